"""The request body schema of a form read by models (FastAPI 0.165's document for it).

When a form body has a parameter read from the whole form (a model, an optional model, a
union of models: astraapi/introspection/forms.py) and is combined (several body parameters),
or has an optional such parameter, the body is one `Body_<unique id>` model whose schema is
rebuilt after pydantic generates it:

- plain form fields are `properties` under the key they are read from (`required` when they
  are); a second field read from the same key becomes an `allOf` condition;
- each form-model parameter is an `allOf` member: its schema (a `$ref`, or the union's
  `anyOf`/`oneOf`) without default; an optional one either sends none of its keys (`not` any of
  them required, or no property at all when extra keys count) or matches the schema; a required
  nullable one must send some of them;
- a single model whose form keys differ from the names in its schema (an alias choice, a field
  name accepted beside its alias) is described inline with those keys for this form only.
"""

from __future__ import annotations

import copy
import functools
import warnings
from typing import Annotated, Any, get_args

from pydantic import AliasChoices, BaseModel, ConfigDict, GetJsonSchemaHandler, GetPydanticSchema, create_model
from pydantic_core import CoreSchema

from astraapi.introspection.forms import FormModel, form_model


def _model_keys_schema(form: FormModel, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> dict[str, Any]:
    """The model's schema, described inline with its form keys when they differ from its names."""
    schema = handler(core_schema)
    model_schema = handler.resolve_ref_schema(schema)
    properties = model_schema.get("properties", {})
    required = model_schema.get("required", [])
    renamed: dict[str, tuple[str, ...]] = {}
    for field in form.fields:
        info = form.model.model_fields[field.name]
        validation_alias = info.validation_alias
        if isinstance(validation_alias, AliasChoices):
            schema_name: Any = validation_alias.choices[0]
        elif isinstance(validation_alias, str) and validation_alias:
            schema_name = validation_alias
        else:
            schema_name = info.alias if info.alias is not None else field.name
        keys = field.aliases
        if isinstance(schema_name, str) and schema_name in properties and (
                keys[0] != schema_name or (len(keys) > 1 and schema_name in required)):
            renamed[schema_name] = keys
    if not renamed:
        return schema
    model_schema = copy.deepcopy(model_schema)
    model_schema["properties"] = {renamed.get(name, (name,))[0]: value
                                  for name, value in model_schema["properties"].items()}
    model_schema["required"] = []
    for name in required:
        keys = renamed.get(name, (name,))
        if len(keys) == 1:
            model_schema["required"].append(keys[0])
        else:
            model_schema.setdefault("allOf", []).append({"anyOf": [{"required": [key]} for key in keys]})
    return model_schema


def _rebuild(params: list[Any], schema: dict[str, Any]) -> None:
    """The Body model's json_schema_extra: its `field_<i>` properties become the form's shape."""
    generated = schema.pop("properties")
    schema.pop("required", None)
    properties: dict[str, Any] = {}
    required: list[str] = []
    conditions: list[dict[str, Any]] = []
    for index, param in enumerate(params):
        field_schema = generated[f"field_{index}"]
        if not param.form_models:
            key = _first_key(param)
            if key in properties:
                conditions.append({"properties": {key: field_schema}})
            else:
                properties[key] = field_schema
            if param.field_info.is_required() and key not in required:
                required.append(key)
            continue
        field_schema.pop("default", None)
        if type(None) in get_args(param.field_info.annotation):
            field_schema["anyOf"] = [choice for choice in field_schema["anyOf"] if choice.get("type") != "null"]
            if any(m.extra_policy for m in param.form_models):
                absent: dict[str, Any] = {"maxProperties": 0}
            else:
                names = sorted({key for m in param.form_models for key in m.names})
                absent = {"not": {"anyOf": [{"required": [name]} for name in names]}} if names else {}
            if param.field_info.is_required():
                conditions.append({"not": absent})
            else:
                field_schema = {"anyOf": [absent, field_schema]}
        conditions.append(field_schema)
    if properties:
        schema["properties"] = properties
    if required:
        schema["required"] = required
    schema["allOf"] = conditions


def _first_key(param: Any) -> str:
    field = param.form_field
    return field.aliases[0] if field is not None else param.ir.alias


def needs_form_body_model(params: list[Any], embedded: bool) -> bool:
    """Whether the body is described as a combined model: several parameters, or an optional
    form-model parameter (its absence is a shape of the form, not a null body)."""
    return embedded or any(p.form_models and type(None) in get_args(p.field_info.annotation) for p in params)


def form_body_model(route_unique_id: str, params: list[Any]) -> type[BaseModel]:
    """The `Body_<unique id>` model of a form with form-model parameters (`params`: the body
    parameters' analyses, in FastAPI's order)."""
    definitions: dict[str, Any] = {}
    for index, param in enumerate(params):
        info = copy.copy(param.field_info)
        if len(param.form_models) == 1:
            model = param.form_models[0].model
            described = Annotated[model, GetPydanticSchema(get_pydantic_json_schema=functools.partial(
                _model_keys_schema, form_model(model)))]
            info.annotation = described if info.annotation is model else described | None  # type: ignore[assignment]
        name = f"field_{index}"
        info.alias = info.validation_alias = info.serialization_alias = name
        info.title = info.title or param.ir.name.replace("_", " ").title()
        definitions[name] = (info.annotation, info)
    config = ConfigDict(json_schema_extra=functools.partial(_rebuild, params))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return create_model("Body_" + route_unique_id, __config__=config, **definitions)


__all__ = ["form_body_model", "needs_form_body_model"]
