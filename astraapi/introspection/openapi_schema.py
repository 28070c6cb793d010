"""The OpenAPI pieces of the IR: JSON Schemas and operation metadata, computed from the live analysis.

Introspection calls `openapi_parts(routes, ...)` once per app. Everything OpenAPI generation
needs that only the live objects know (JSON Schemas, which need pydantic; docstrings;
`responses=` models; the operation id a user function generates) is computed here and stored
in the IR as plain values or as JSON text, so that `astraapi.openapi.utils` is a pure
function of the IR.

How the schemas are made, to give FastAPI's document:

- Every schema-bearing value is a *field*: a parameter (validation mode), the request body
  (validation mode; several body parameters or `embed=True` make one `Body_<unique id>` model),
  the response model (`Response_<unique id>`, serialization mode) and each `responses=` model
  (`Response_<code>_<unique id>`, serialization mode).
- One pydantic `GenerateJsonSchema` run over all fields of all routes, plus every BaseModel
  and Enum they reach (each in the mode of the fields reaching it), gives the field schemas
  and the shared definitions (`#/components/schemas/...`; a model whose input and output
  schemas differ becomes `Name-Input` and `Name-Output`). With
  `separate_input_output_schemas=False` everything is generated in validation mode except
  what has computed fields.
- A field schema that is not a `$ref` gets a title: the field's own, or its alias title-cased.

Each parameter kind has its own function (`_param_field`, `_body_field`, `_response_field`);
a new kind of declaration (dependencies, forms, security) adds its function and its fields.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import json
import re
import warnings
import weakref
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Annotated, Any, get_args

from pydantic import BaseModel, Field, TypeAdapter, create_model
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import PydanticUndefined, core_schema

from astraapi import _starlette_compat as starlette_compat
from astraapi.introspection.form_schema import needs_form_body_model
from astraapi.ir.nodes import ResponseIR
from astraapi.openapi.constants import REF_TEMPLATE
from astraapi.datastructures import DefaultPlaceholder
from astraapi.routing import APIRoute, path_format

# The pydantic Field attributes that carry over from a parameter's FieldInfo to the schema.
_FIELD_ATTRIBUTES = (
    "default", "default_factory", "alias", "alias_priority", "validation_alias", "serialization_alias",
    "title", "field_title_generator", "description", "examples", "exclude", "exclude_if", "discriminator",
    "deprecated", "json_schema_extra", "frozen", "validate_default", "repr", "init", "init_var", "kw_only",
)


def dumps_fragment(value: Any) -> str:
    """JSON text for an IR fragment: compact, key order kept (it is the document's order)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def generate_unique_id(route: APIRoute) -> str:
    """FastAPI's default operation id: the route name, its path and its first method, with
    every non-word character replaced by `_`."""
    text = re.sub(r"\W", "_", f"{route.name}{path_format(route.path)}")
    return f"{text}_{list(route.methods)[0].lower()}"


def endpoint_description(route: APIRoute) -> str:
    """The declared description, or the endpoint's docstring, up to the first form feed."""
    text = route.description or inspect.cleandoc(getattr(route.endpoint, "__doc__", None) or "")
    return text.split("\f")[0].strip()


class _SchemaGenerator(GenerateJsonSchema):
    """pydantic's generator, with bytes described as binary content (as FastAPI does), and set
    defaults listed in a fixed order (Python's set order changes from process to process; the IR,
    and so the build's hash, must not)."""

    def encode_default(self, dft: Any) -> Any:
        return super().encode_default(_ordered_sets(dft))

    def bytes_schema(self, schema: core_schema.BytesSchema) -> dict[str, Any]:
        result: dict[str, Any] = {"type": "string", "contentMediaType": "application/octet-stream"}
        mode = self._config.ser_json_bytes if self.mode == "serialization" else self._config.val_json_bytes
        if mode == "base64":
            result["contentEncoding"] = "base64"
        self.update_with_validations(result, schema, self.ValidationsMapping.bytes)
        return result


def _ordered_sets(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        from pydantic_core import to_jsonable_python

        return sorted(value, key=lambda item: json.dumps(to_jsonable_python(item), sort_keys=True))
    if isinstance(value, list):
        return [_ordered_sets(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_ordered_sets(item) for item in value)
    if isinstance(value, dict):
        return {key: _ordered_sets(item) for key, item in value.items()}
    return value


@dataclasses.dataclass(eq=False)
class SchemaField:
    """One value the document describes (hashed by identity)."""

    name: str  # the alias the title falls back to
    annotation: Any  # the bare type, for finding the models it reaches
    title: str | None
    mode: str  # "validation" | "serialization"
    adapter: TypeAdapter[Any]


def _field_adapter(annotation: Any, field_info: FieldInfo | None) -> TypeAdapter[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Field attributes a bare TypeAdapter does not use
        if field_info is None:
            return TypeAdapter(annotation)
        attributes = {}
        for name in _FIELD_ATTRIBUTES:
            value = getattr(field_info, name, PydanticUndefined)
            if value is not PydanticUndefined:
                attributes[name] = value
        return TypeAdapter(Annotated[(annotation, *field_info.metadata, Field(**attributes))])  # type: ignore[misc]


def param_field(name: str, field_info: FieldInfo) -> SchemaField:
    """A path, query, header or cookie parameter (`name`: the key it is read from)."""
    return SchemaField(name, field_info.annotation, field_info.title, "validation",
                       _field_adapter(field_info.annotation, field_info))


def body_field(route_unique_id: str, body_params: Sequence[tuple[str, str, FieldInfo]],
               embedded: bool, markers: Sequence[tuple[bool, str | None]] | None = None,
               ) -> tuple[SchemaField, bool, str]:
    """The request body: (field, required, media type). `body_params`: (name, alias, FieldInfo);
    `markers`: for each, (declared with Form(), the marker's media type)."""
    if markers is None:
        markers = [(False, getattr(info, "media_type", None)) for _, _, info in body_params]
    if not embedded:
        _, alias, info = body_params[0]
        return (SchemaField(alias, info.annotation, info.title, "validation", _field_adapter(info.annotation, info)),
                info.is_required(), markers[0][1] or "application/json")
    definitions: dict[str, Any] = {}
    for name, alias, info in body_params:
        copied = copy.copy(info)
        copied.alias = alias
        if alias != name:  # a declared alias is also the key validation reads (as FastAPI's Body sets it)
            copied.validation_alias = copied.serialization_alias = alias
        definitions[name] = (info.annotation, copied)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = create_model("Body_" + route_unique_id, **definitions)
    required = any(info.is_required() for _, _, info in body_params)
    media_type = embedded_media_type(markers)
    wrapper = FieldInfo(annotation=model, alias="body") if required else FieldInfo(
        annotation=model, alias="body", default=None)
    return SchemaField("body", model, None, "validation", _field_adapter(model, wrapper)), required, media_type


def form_body_field(route_unique_id: str, params: Sequence[Any], embedded: bool,
                    markers: Sequence[tuple[bool, str | None]]) -> tuple[SchemaField, bool, str]:
    """The request body of a form with form-model parameters, as one `Body_` model
    (astraapi/introspection/form_schema.py): (field, required, media type)."""
    from astraapi.introspection.form_schema import form_body_model

    model = form_body_model(route_unique_id, list(params))
    if not embedded:  # an optional form model alone: the body model, under the parameter's marker
        first = params[0]
        info = copy.copy(first.field_info)
        info.annotation = model
        info.metadata = []
        info.discriminator = None
        return (SchemaField(first.ir.alias, model, info.title, "validation", _field_adapter(model, info)),
                info.is_required(), markers[0][1] or "application/json")
    required = any(p.field_info.is_required() for p in params)
    wrapper = FieldInfo(annotation=model, alias="body") if required else FieldInfo(
        annotation=model, alias="body", default=None)
    return (SchemaField("body", model, None, "validation", _field_adapter(model, wrapper)), required,
            embedded_media_type(markers))


def embedded_media_type(markers: Sequence[tuple[bool, str | None]]) -> str:
    """The media type of a combined body, as FastAPI picks it: a form when any part is a Form()
    (multipart when one of them is), else the parts' common media type, else the class default.
    `markers`: (declared with Form(), the marker's media type) for each part."""
    is_form = any(form for form, _ in markers)
    media_types = [media_type or ("application/x-www-form-urlencoded" if form else "application/json")
                   for form, media_type in markers if form or not is_form]
    if is_form and "multipart/form-data" in media_types:
        return "multipart/form-data"
    if len(set(media_types)) == 1:
        return media_types[0]
    return "application/x-www-form-urlencoded" if is_form else "application/json"


def response_field(name: str, annotation: Any) -> SchemaField:
    """A response model (serialization mode)."""
    return SchemaField(name, annotation, None, "serialization",
                       _field_adapter(annotation, FieldInfo(annotation=annotation)))


# --------------------------------------------------------------------------- models reached


def _reached_models(annotation: Any, found: dict[Any, None]) -> None:
    """Every BaseModel and Enum `annotation` reaches (through generic arguments and model fields)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in found:
            return
        found[annotation] = None
        for info in annotation.model_fields.values():
            _reached_models(info.annotation, found)
    elif isinstance(annotation, type) and issubclass(annotation, Enum):
        found[annotation] = None
    else:
        for arg in get_args(annotation):
            _reached_models(arg, found)


def _has_computed_fields(field: SchemaField) -> bool:
    if field.adapter.core_schema.get("schema", {}).get("computed_fields", []):
        return True
    seen: dict[Any, None] = {}
    _reached_models(field.annotation, seen)
    return any(isinstance(m, type) and issubclass(m, BaseModel) and m.model_computed_fields for m in seen)


# --------------------------------------------------------------------------- definitions


def generate_schemas(
    fields: Sequence[SchemaField], separate_input_output_schemas: bool
) -> tuple[dict[SchemaField, dict[str, Any]], dict[str, Any]]:
    """({field: its schema, titled}, {component name: schema}) for all fields at once."""
    by_mode: dict[str, dict[Any, None]] = {"validation": {}, "serialization": {}}
    for field in fields:
        _reached_models(field.annotation, by_mode[field.mode])
    direct = {id(field.annotation) for field in fields}
    extra = [
        SchemaField(model.__name__, model, None, mode, _field_adapter(model, FieldInfo(annotation=model)))
        for mode, models in by_mode.items()
        for model in models
        if id(model) not in direct
    ]

    def mode_of(field: SchemaField) -> str:
        if separate_input_output_schemas or _has_computed_fields(field):
            return field.mode
        return "validation"

    inputs = [(field, mode_of(field), field.adapter.core_schema) for field in [*fields, *extra]]
    generator = _SchemaGenerator(ref_template=REF_TEMPLATE)
    mapping, definitions = generator.generate_definitions(inputs=inputs)  # type: ignore[arg-type]
    for definition in definitions.values():
        if isinstance(definition.get("description"), str):
            definition["description"] = definition["description"].split("\f")[0]

    schemas: dict[SchemaField, dict[str, Any]] = {}
    for field in fields:
        mode = field.mode if separate_input_output_schemas or _has_computed_fields(field) else "validation"
        schema = dict(mapping[(field, mode)])
        if "$ref" not in schema:
            schema["title"] = field.title or field.name.title().replace("_", " ")
        schemas[field] = schema
    return schemas, dict(definitions)


# --------------------------------------------------------------------------- per route


@dataclasses.dataclass
class RouteOpenAPI:
    """What introspection adds to one route's IR for OpenAPI."""

    unique_id: str = ""
    description: str = ""
    # id(ParamAnalysis) -> field, for the parameters of the endpoint and of every dependency
    # ((id, index) for each field of a parameter model)
    param_fields: dict[Any, SchemaField] = dataclasses.field(default_factory=dict)
    body: SchemaField | None = None
    body_required: bool = False
    body_media_type: str = "application/json"
    response: SchemaField | None = None
    stream_item: SchemaField | None = None  # a JSON Lines stream's item type
    response_models: dict[str, SchemaField] = dataclasses.field(default_factory=dict)  # str(code) -> field
    schemas: dict[SchemaField, str] = dataclasses.field(default_factory=dict)  # param field -> schema JSON


def unique_id_function(route: APIRoute, app_function: Any) -> Callable[[APIRoute], str]:
    for candidate in (getattr(route, "generate_unique_id_function", None), app_function):
        if candidate is not None and not isinstance(candidate, DefaultPlaceholder):
            return candidate
    return generate_unique_id


# --------------------------------------------------------------------------- the IR


def _marker(param: Any) -> Any:
    """The parameter's astraapi marker (Query(), Body(), ...), wherever it was written."""
    from astraapi import params

    info = param.field_info
    if isinstance(info, (params.Param, params.Body)):
        return info
    for arg in reversed(get_args(param.annotation)[1:]):
        if isinstance(arg, (params.Param, params.Body)):
            return arg
    return None


# How each kind of endpoint parameter (IR `ParamIR.location`) enters the document: each function
# receives the route's plan, the parameter's analysis and the list of body parameters to combine.
# A new kind (a dependency's own parameters, forms and files, security schemes) adds its entry;
# a kind without one (e.g. "request", the Request object) is not documented.


def _document_parameter(plan: RouteOpenAPI, param: Any, body_params: list[tuple[str, str, FieldInfo]]) -> None:
    """A path, query, header or cookie parameter: one entry of the operation's `parameters`."""
    marker = _marker(param)
    if marker is not None and not getattr(marker, "include_in_schema", True):
        return
    if param.group is not None:  # a parameter model: one operation parameter per field, as FastAPI expands it
        for index, group_field in enumerate(param.group.fields):
            plan.param_fields[(id(param), index)] = param_field(group_field.aliases[0][0], group_field.field_info)
        return
    plan.param_fields[id(param)] = param_field(param.ir.alias, param.field_info)


def _document_body(plan: RouteOpenAPI, param: Any, body_params: list[tuple[str, str, FieldInfo]]) -> None:
    """A body parameter: part of the operation's `requestBody` (combined after all parameters)."""
    body_params.append((param.ir.name, param.ir.alias, param.field_info))


PARAMETER_KINDS: dict[str, Callable[[RouteOpenAPI, Any, list[tuple[str, str, FieldInfo]]], None]] = {
    "path": _document_parameter,
    "query": _document_parameter,
    "header": _document_parameter,
    "cookie": _document_parameter,
    "body": _document_body,
}


def _examples(marker: Any) -> tuple[str | None, str | None]:
    """(example JSON, openapi_examples JSON) declared on a marker."""
    from astraapi.encoders import jsonable_encoder

    if marker is None:
        return None, None
    openapi_examples = getattr(marker, "openapi_examples", None)
    example = getattr(marker, "example", PydanticUndefined)
    return (
        None if example is PydanticUndefined else dumps_fragment(jsonable_encoder(example)),
        dumps_fragment(jsonable_encoder(openapi_examples)) if openapi_examples else None,
    )


def _response_class(route: APIRoute) -> Any:
    from astraapi.responses import JSONResponse

    return JSONResponse if isinstance(route.response_class, DefaultPlaceholder) else route.response_class


def _class_status_code(cls: Any) -> str:
    try:
        parameter = inspect.signature(cls.__init__).parameters.get("status_code")
    except (TypeError, ValueError):
        parameter = None
    if parameter is not None and isinstance(parameter.default, int):
        return str(parameter.default)
    return "200"


def _tree_params(analysis: Any) -> list[Any]:
    """The parameters of the endpoint and of every node of its dependency tree, in FastAPI's
    flattening order (each occurrence: body parameters count every one, as FastAPI does)."""
    if analysis.dependant is None:
        return list(analysis.params)
    return [param for node in analysis.dependant.walk() for param in node.params]


def _documented_param(plan: RouteOpenAPI, param: Any) -> Any:
    """The parameter's IR with its OpenAPI fields."""
    param_ir = param.ir
    if param.field_info is None or param_ir.location not in _VALUE_LOCATIONS:
        return param_ir
    marker = _marker(param)
    example, openapi_examples = _examples(marker)
    info = param.field_info
    field = plan.param_fields.get(id(param))
    if param.group is not None:
        param_ir = dataclasses.replace(param_ir, fields=tuple(
            _documented_group_field(plan, field_ir, group_field, plan.param_fields.get((id(param), index)))
            for index, (field_ir, group_field) in enumerate(zip(param_ir.fields, param.group.fields))))
    return dataclasses.replace(
        param_ir,
        schema_json=None if field is None else plan.schemas[field],
        description=info.description or None,
        deprecated=bool(getattr(info, "deprecated", None)),
        example_json=example,
        openapi_examples_json=openapi_examples,
        include_in_schema=bool(getattr(marker, "include_in_schema", True)),
    )


def _documented_group_field(plan: RouteOpenAPI, field_ir: Any, group_field: Any, field: Any) -> Any:
    info = group_field.field_info
    openapi_examples = getattr(info, "openapi_examples", None)
    example = getattr(info, "example", PydanticUndefined)
    from astraapi.encoders import jsonable_encoder

    return dataclasses.replace(
        field_ir,
        schema_json=None if field is None else plan.schemas[field],
        description=info.description or None,
        deprecated=bool(getattr(info, "deprecated", None)),
        example_json=None if example is PydanticUndefined or openapi_examples
        else dumps_fragment(jsonable_encoder(example)),
        openapi_examples_json=dumps_fragment(jsonable_encoder(openapi_examples)) if openapi_examples else None,
    )


def _documented_dependency(plan: RouteOpenAPI, node: Any, call_ids: dict[int, int]) -> Any:
    """A dependency's IR node with its parameters' OpenAPI fields and its call identity."""
    call_id = call_ids.setdefault(id(node.call), len(call_ids) + 1)
    return dataclasses.replace(
        node.ir,
        params=tuple(_documented_param(plan, param) for param in node.params),
        dependencies=tuple(_documented_dependency(plan, sub, call_ids) for sub in node.dependencies
                           if sub.ir is not None),
        call_id=call_id,
    )


_VALUE_LOCATIONS = ("path", "query", "header", "cookie", "body")


def with_openapi(routes: Sequence[Any], *, separate_input_output_schemas: bool = True,
                 generate_unique_id_function: Any = None) -> tuple[tuple[Any, ...], str]:
    """The routes' IR with the OpenAPI fields filled in, and the component schemas as JSON.

    `routes`: the `RouteAnalysis` objects of introspection (live objects plus IR).
    """
    from astraapi.encoders import jsonable_encoder
    from astraapi.responses import JSONResponse

    plans: list[tuple[Any, RouteOpenAPI]] = []
    body_fields: list[SchemaField] = []
    response_fields: list[SchemaField] = []
    request_fields: list[SchemaField] = []
    for analysis in routes:
        route: APIRoute = analysis.route
        plan = RouteOpenAPI(description=endpoint_description(route))
        plans.append((analysis, plan))
        if not route.include_in_schema:
            continue
        plan.unique_id = route.operation_id or unique_id_function(route, generate_unique_id_function)(route)
        body_params: list[tuple[str, str, FieldInfo]] = []
        for param in _tree_params(analysis):
            document = PARAMETER_KINDS.get(param.ir.location)
            if document is not None and param.field_info is not None:
                document(plan, param, body_params)
        if body_params:
            body_analyses = [p for p in _tree_params(analysis) if p.ir.location == "body" and p.field_info is not None]
            markers = [(p.ir.is_form, p.ir.media_type) for p in body_analyses]
            if any(p.form_models for p in body_analyses) and needs_form_body_model(body_analyses,
                                                                                  analysis.ir.body_embedded):
                plan.body, plan.body_required, plan.body_media_type = form_body_field(
                    plan.unique_id, body_analyses, analysis.ir.body_embedded, markers)
            else:
                plan.body, plan.body_required, plan.body_media_type = body_field(
                    plan.unique_id, body_params, analysis.ir.body_embedded, markers)
            body_fields.append(plan.body)
        if analysis.response_annotation is not None:
            plan.response = response_field("Response_" + plan.unique_id, analysis.response_annotation)
            response_fields.append(plan.response)
        elif analysis.stream == "sse" and analysis.stream_item_type is not None:
            plan.response = response_field("StreamItem_" + plan.unique_id, analysis.stream_item_type)
            response_fields.append(plan.response)
        if analysis.stream == "jsonl" and analysis.stream_item_type is not None:
            plan.stream_item = response_field("StreamItem_" + plan.unique_id, analysis.stream_item_type)
            response_fields.append(plan.stream_item)
        for status, spec in route.responses.items():
            model = spec.get("model") if isinstance(spec, dict) else None
            if model:
                plan.response_models[str(status)] = response_field(f"Response_{status}_{plan.unique_id}", model)
                response_fields.append(plan.response_models[str(status)])
        request_fields.extend(plan.param_fields.values())

    schemas, definitions = generate_schemas([*body_fields, *response_fields, *request_fields],
                                            separate_input_output_schemas)

    def schema_text(field: SchemaField | None) -> str | None:
        return None if field is None else dumps_fragment(schemas[field])

    def sse_item_schema(field: SchemaField | None) -> str:
        """A text/event-stream response's itemSchema: the event object, its data described as
        JSON of the item type when the return annotation names one (FastAPI 0.165)."""
        from astraapi.sse import SSE_EVENT_SCHEMA

        item = copy.deepcopy(SSE_EVENT_SCHEMA)
        if field is not None:
            item["required"] = ["data"]
            item["properties"]["data"] = {"type": "string", "contentMediaType": "application/json",
                                          "contentSchema": schemas[field]}
        return dumps_fragment(item)

    for _, plan in plans:
        plan.schemas = {field: dumps_fragment(schemas[field]) for field in plan.param_fields.values()}

    result = []
    for analysis, plan in plans:
        route = analysis.route
        ir = analysis.ir
        new_params = [_documented_param(plan, param) for param in analysis.params]
        dependencies = ir.dependencies
        if analysis.dependant is not None:
            call_ids: dict[int, int] = {}
            dependencies = tuple(_documented_dependency(plan, node, call_ids)
                                 for node in analysis.dependant.dependencies if node.ir is not None)
        body_example = body_examples = None
        body = [p for p in _tree_params(analysis) if p.ir.location == "body"]
        if body and not ir.body_embedded:
            body_example, body_examples = _examples(_marker(body[0]))
        response_class = _response_class(route)
        responses = []
        for status, spec in route.responses.items():
            rest = {k: v for k, v in spec.items() if k != "model"} if isinstance(spec, dict) else spec
            responses.append(ResponseIR(status=str(status), spec_json=dumps_fragment(jsonable_encoder(rest)),
                                        schema_json=schema_text(plan.response_models.get(str(status)))))
        result.append(dataclasses.replace(
            ir,
            params=tuple(new_params),
            dependencies=dependencies,
            description=plan.description,
            response_description=route.response_description,
            operation_id=route.operation_id,
            unique_id=plan.unique_id,
            deprecated=route.deprecated,
            openapi_extra_json=None if route.openapi_extra is None
            else dumps_fragment(jsonable_encoder(route.openapi_extra)),
            responses=tuple(responses),
            response_media_type=getattr(response_class, "media_type", None),
            response_class_is_json=isinstance(response_class, type) and (
                issubclass(response_class, JSONResponse) or starlette_compat.is_response_class(response_class, "JSONResponse")),
            openapi_status_code=str(route.status_code) if route.status_code is not None
            else _class_status_code(response_class),
            # An SSE stream: the itemSchema (openapi.utils writes it under text/event-stream).
            response_schema_json=sse_item_schema(plan.response) if analysis.stream == "sse"
            else None if getattr(response_class, "media_type", None) == "text/event-stream"
            else schema_text(plan.response),
            json_stream=analysis.stream == "jsonl",
            stream_item_schema_json=schema_text(plan.stream_item),
            body_schema_json=schema_text(plan.body),
            body_required=plan.body_required,
            body_media_type=plan.body_media_type,
            body_example_json=body_example,
            body_openapi_examples_json=body_examples,
            enum_tags=tuple(sorted(getattr(route, "enum_tags", ()))),
        ))
    return tuple(result), dumps_fragment({name: definitions[name] for name in sorted(definitions)})


_app_cache: weakref.WeakKeyDictionary[Any, tuple[tuple[Any, ...], tuple[tuple[Any, ...], dict[str, Any]]]] = (
    weakref.WeakKeyDictionary()
)


def app_openapi_parts(app: Any, analysis: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """(the app's routes' IR with their OpenAPI fields, the AppIR's OpenAPI fields), cached.

    The app's webhooks (`app.webhooks`, documented but not served) share the schema run with the
    routes, as in FastAPI. When the pieces cannot be computed (a type pydantic has no JSON
    Schema for, a failing `generate_unique_id_function`), the routes come without them and
    `openapi_error` says why: serving never depends on the document.
    """
    from astraapi.introspection.app import analyze_records

    separate = getattr(app, "separate_input_output_schemas", True)
    unique_id = getattr(app.router, "generate_unique_id_function", None)
    webhook_router = getattr(app, "webhooks", None)
    webhook_records = list(getattr(webhook_router, "routes", []) or [])
    key = (id(analysis), separate, unique_id, tuple(id(r) for r in webhook_records), openapi_settings(app))
    cached = _app_cache.get(app)
    if cached is not None and cached[0] == key:
        return cached[1]
    fields: dict[str, Any] = {"openapi_settings_json": key[-1]}
    try:
        webhooks = analyze_records(webhook_records).routes if webhook_records else ()
        endpoints = [route for route in analysis.routes if route.ir.mount is None and not route.ir.low_priority]  # mounts: nothing to document
        # `callbacks=` routes (APIRoute records of a router, documented under their operation).
        callback_owners = [(route.ir.index, record) for route in endpoints
                           for record in route.route.callbacks if isinstance(record, APIRoute)]
        callbacks = analyze_records([record for _, record in callback_owners]).routes if callback_owners else ()
        documented, schemas_json = with_openapi((*endpoints, *webhooks, *callbacks),
                                                separate_input_output_schemas=separate,
                                                generate_unique_id_function=unique_id)
        count = len(endpoints)
        fields.update(schemas_json=schemas_json, webhooks=documented[count:count + len(webhooks)])
        callback_irs = documented[count + len(webhooks):]
        by_index = {route.index: route for route in documented[:count]}
        for (owner, _), callback_ir in zip(callback_owners, callback_irs):
            by_index[owner] = dataclasses.replace(by_index[owner], callbacks=(*by_index[owner].callbacks, callback_ir))
        routes = tuple(by_index.get(route.ir.index, route.ir) for route in analysis.routes)
    except Exception as error:  # pydantic raises several classes for types without a JSON Schema
        routes = tuple(route.ir for route in analysis.routes)
        fields["openapi_error"] = f"{type(error).__name__}: {error}"
    result = (routes, fields)
    _app_cache[app] = (key, result)
    return result


def openapi_settings(app: Any) -> str:
    """The app's document settings as JSON (read by astraapi.openapi.utils.openapi_from_ir)."""
    from astraapi.encoders import jsonable_encoder

    return dumps_fragment(jsonable_encoder({
        "openapi_version": getattr(app, "openapi_version", "3.1.0"),
        "title": app.title,
        "version": app.version,
        "summary": getattr(app, "summary", None),
        "description": getattr(app, "description", None),
        "terms_of_service": getattr(app, "terms_of_service", None),
        "contact": getattr(app, "contact", None),
        "license_info": getattr(app, "license_info", None),
        "servers": getattr(app, "servers", None),
        "tags": getattr(app, "openapi_tags", None),
        "external_docs": getattr(app, "openapi_external_docs", None),
        "separate_input_output_schemas": getattr(app, "separate_input_output_schemas", True),
    }))


__all__ = [
    "PARAMETER_KINDS",
    "app_openapi_parts",
    "RouteOpenAPI",
    "SchemaField",
    "body_field",
    "dumps_fragment",
    "endpoint_description",
    "generate_schemas",
    "generate_unique_id",
    "param_field",
    "path_format",
    "response_field",
    "openapi_settings",
    "unique_id_function",
    "with_openapi",
]
