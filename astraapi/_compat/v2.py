"""Pydantic 2 helpers under FastAPI's module path (`fastapi._compat.v2`): a `ModelField` (a named
`FieldInfo` with a TypeAdapter that validates and serializes it), JSON Schema definitions for a set of
fields, and the small helpers FastAPI's dependency code and libraries built on it call.

AstraAPI's own request path does not go through these: it validates from the App IR. They exist for
code written against FastAPI's internals."""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Sequence
from copy import copy
from enum import Enum
from functools import lru_cache
from typing import Annotated, Any, Literal, Union, cast, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, create_model
from pydantic import PydanticSchemaGenerationError as PydanticSchemaGenerationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined, PydanticUndefinedType
from pydantic_core import Url as Url
from pydantic_core.core_schema import with_info_plain_validator_function as with_info_plain_validator_function

from astraapi._compat import shared
from astraapi.openapi.constants import REF_TEMPLATE as REF_TEMPLATE
from astraapi._compat.shared import lenient_issubclass

Undefined = PydanticUndefined
UndefinedType = PydanticUndefinedType
RequiredParam = PydanticUndefined
BaseConfig = ConfigDict  # pydantic 2 has no BaseConfig class; a model's config is a ConfigDict
Validator = Any


class ErrorWrapper(Exception):
    """Kept for code written against FastAPI before 0.100 (pydantic 1's error wrapper); pydantic 2 has none."""


def evaluate_forwardref(value: Any, globalns: dict[str, Any] | None = None, localns: dict[str, Any] | None = None) -> Any:
    """A forward reference evaluated in the given namespaces; unchanged when a name is not defined yet."""
    from pydantic._internal import _typing_extra

    evaluate = getattr(_typing_extra, "try_eval_type", None)
    if evaluate is not None:
        return evaluate(value, globalns, localns)[0]
    return _typing_extra.eval_type_lenient(value, globalns, localns)


# the FieldInfo attributes that are rebuilt into a fresh Field(...) (metadata travels separately)
_FIELD_ATTRIBUTES = (
    "default", "default_factory", "alias", "alias_priority", "validation_alias", "serialization_alias", "title",
    "field_title_generator", "description", "examples", "exclude", "exclude_if", "discriminator", "deprecated",
    "json_schema_extra", "frozen", "validate_default", "repr", "init", "init_var", "kw_only",
)


def _field_attributes(field_info: FieldInfo) -> dict[str, Any]:
    present = {}
    for name in _FIELD_ATTRIBUTES:
        value = getattr(field_info, name, Undefined)
        if value is not Undefined:
            present[name] = value
    return present


def asdict(field_info: FieldInfo) -> dict[str, Any]:
    """A FieldInfo as {"annotation", "metadata", "attributes"} (what `FieldInfo.asdict()` gives in pydantic >= 2.12.3)."""
    return {"annotation": field_info.annotation, "metadata": field_info.metadata, "attributes": _field_attributes(field_info)}


@dataclasses.dataclass
class ModelField:
    """One named field: its `FieldInfo`, whether it describes input (validation) or output
    (serialization), and a TypeAdapter over the annotation with the field's constraints."""

    field_info: FieldInfo
    name: str
    mode: Literal["validation", "serialization"] = "validation"
    config: ConfigDict | None = None

    def __post_init__(self) -> None:
        annotated = (self.field_info.annotation, *self.field_info.metadata, Field(**_field_attributes(self.field_info)))
        with warnings.catch_warnings():
            # field-only attributes (an alias) mean nothing to a bare TypeAdapter: pydantic >= 2.12 says so
            category = getattr(__import__("pydantic.warnings").warnings, "UnsupportedFieldAttributeWarning", None)
            if category is not None:
                warnings.simplefilter("ignore", category=category)
            self._type_adapter: TypeAdapter[Any] = TypeAdapter(cast(Any, Annotated[annotated]), config=self.config)

    @property
    def alias(self) -> str:
        return self.field_info.alias if self.field_info.alias is not None else self.name

    @property
    def validation_alias(self) -> str | None:
        alias = self.field_info.validation_alias
        return alias if isinstance(alias, str) and alias else None

    @property
    def serialization_alias(self) -> str | None:
        return self.field_info.serialization_alias or None

    @property
    def required(self) -> bool:
        return self.field_info.is_required()

    @property
    def default(self) -> Any:
        return self.get_default()

    @property
    def type_(self) -> Any:
        return self.field_info.annotation

    def get_default(self) -> Any:
        if self.field_info.is_required():
            return Undefined
        return self.field_info.get_default(call_default_factory=True)

    def validate(
        self, value: Any, values: dict[str, Any] | None = None, *, loc: tuple[int | str, ...] = (),
    ) -> tuple[Any, list[dict[str, Any]]]:
        """(validated value, []) or (None, the errors with `loc` prefixed)."""
        try:
            return self._type_adapter.validate_python(value, from_attributes=True), []
        except ValidationError as exc:
            return None, _regenerate_error_with_loc(errors=exc.errors(include_url=False), loc_prefix=loc)

    def serialize(
        self, value: Any, *, mode: Literal["json", "python"] = "json", include: Any = None, exclude: Any = None,
        by_alias: bool = True, exclude_unset: bool = False, exclude_defaults: bool = False, exclude_none: bool = False,
    ) -> Any:
        return self._type_adapter.dump_python(
            value, mode=mode, include=include, exclude=exclude, by_alias=by_alias, exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults, exclude_none=exclude_none,
        )

    def serialize_json(
        self, value: Any, *, include: Any = None, exclude: Any = None, by_alias: bool = True,
        exclude_unset: bool = False, exclude_defaults: bool = False, exclude_none: bool = False,
    ) -> bytes:
        return self._type_adapter.dump_json(
            value, include=include, exclude=exclude, by_alias=by_alias, exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults, exclude_none=exclude_none,
        )

    def __hash__(self) -> int:
        return id(self)  # each field is its own key in a field -> schema mapping


def _regenerate_error_with_loc(*, errors: Sequence[Any], loc_prefix: tuple[str | int, ...]) -> list[dict[str, Any]]:
    return [{**error, "loc": loc_prefix + tuple(error.get("loc", ()))} for error in errors]


def _model_dump(model: BaseModel, mode: Literal["json", "python"] = "json", **kwargs: Any) -> Any:
    return model.model_dump(mode=mode, **kwargs)


def _holds_computed_fields(annotation: Any, seen: set[Any]) -> bool:
    if lenient_issubclass(annotation, BaseModel):
        if annotation in seen:
            return False
        seen.add(annotation)
        return bool(annotation.model_computed_fields) or any(
            _holds_computed_fields(info.annotation, seen) for info in annotation.model_fields.values()
        )
    return any(_holds_computed_fields(arg, seen) for arg in get_args(annotation))


def _has_computed_fields(field: ModelField) -> bool:
    if field._type_adapter.core_schema.get("schema", {}).get("computed_fields", []):
        return True
    return _holds_computed_fields(field.field_info.annotation, set())


def get_schema_from_model_field(
    *, field: ModelField, model_name_map: Any, field_mapping: dict[tuple[ModelField, str], dict[str, Any]],
    separate_input_output_schemas: bool = True, field_alias: str | None = None,
) -> dict[str, Any]:
    """The field's schema out of `field_mapping` (from `get_definitions`), titled as FastAPI titles it."""
    mode = field.mode
    if not separate_input_output_schemas and not _has_computed_fields(field):
        mode = "validation"
    if field_alias is None:
        field_alias = (field.validation_alias if field.mode == "validation" else field.serialization_alias) or field.alias
    schema = dict(field_mapping[(field, mode)])
    if "$ref" not in schema:
        schema["title"] = field.field_info.title or field_alias.title().replace("_", " ")
    return schema


def get_definitions(
    *, fields: Sequence[ModelField], model_name_map: Any, separate_input_output_schemas: bool = True,
) -> tuple[dict[tuple[ModelField, str], dict[str, Any]], dict[str, dict[str, Any]]]:
    """(field, mode) -> JSON Schema, and the `components.schemas` definitions they refer to."""
    given = {field.field_info.annotation for field in fields}
    extra: list[ModelField] = []
    for mode in ("validation", "serialization"):
        models = get_flat_models_from_fields([f for f in fields if f.mode == mode], known_models=set())
        extra += [
            ModelField(field_info=FieldInfo(annotation=model), name=model.__name__, mode=mode)  # type: ignore[arg-type]
            for model in models if model not in given
        ]
    inputs = [
        (field, field.mode if separate_input_output_schemas or _has_computed_fields(field) else "validation",
         field._type_adapter.core_schema)
        for field in [*fields, *extra]
    ]
    mapping, definitions = __getattr__("GenerateJsonSchema")(ref_template=REF_TEMPLATE).generate_definitions(inputs=inputs)
    for definition in definitions.values():
        if "description" in definition:
            definition["description"] = definition["description"].split("\f")[0]
    return cast(Any, mapping), cast(dict[str, dict[str, Any]], definitions)


def __getattr__(name: str) -> Any:
    # the OpenAPI generator (bytes as binary content) loads with the compiler's schema module, only when asked for
    if name == "GenerateJsonSchema":
        from astraapi.introspection.openapi_schema import _SchemaGenerator

        return _SchemaGenerator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return [*globals(), "GenerateJsonSchema"]


def is_scalar_field(field: ModelField) -> bool:
    from astraapi import params

    return shared.field_annotation_is_scalar(field.field_info.annotation) and not isinstance(field.field_info, params.Body)


def copy_field_info(*, field_info: FieldInfo, annotation: Any) -> FieldInfo:
    """A copy of `field_info` (same class) whose annotation and metadata are taken from `annotation`."""
    merged = type(field_info).from_annotation(annotation)
    result = copy(field_info)
    for name, value in _field_attributes(merged).items():
        setattr(result, name, value)
    result._attributes_set = merged._attributes_set.copy()
    result.metadata = merged.metadata
    result.annotation = merged.annotation
    return result


def serialize_sequence_value(*, field: ModelField, value: Any) -> Sequence[Any]:
    """`value` rebuilt as the concrete sequence type the field declares (Optional looked through)."""
    annotation = field.field_info.annotation
    origin = get_origin(annotation) or annotation
    if origin is Union or origin is shared.types.UnionType:
        member = next(arg for arg in get_args(annotation) if arg is not type(None))
        origin = get_origin(member) or member
    if origin not in shared.sequence_annotation_to_type:
        raise TypeError(f"{annotation!r} is not a sequence annotation")
    return shared.sequence_annotation_to_type[origin](value)


def get_missing_field_error(loc: tuple[int | str, ...]) -> dict[str, Any]:
    """pydantic's "Field required" error at `loc`, with `input` None (as FastAPI reports a missing parameter)."""
    error = ValidationError.from_exception_data(
        "Field required", [{"type": "missing", "loc": loc, "input": {}}],
    ).errors(include_url=False)[0]
    error["input"] = None
    return cast(dict[str, Any], error)


def create_body_model(*, fields: Sequence[ModelField], model_name: str, config: ConfigDict | None = None) -> type[BaseModel]:
    definitions = {field.name: (field.field_info.annotation, field.field_info) for field in fields}
    return cast(type[BaseModel], create_model(model_name, __config__=config, **definitions))  # type: ignore[call-overload]


def get_model_fields(model: type[BaseModel]) -> list[ModelField]:
    result = []
    for name, info in model.model_fields.items():
        nested = lenient_issubclass(info.annotation, (BaseModel, dict)) or dataclasses.is_dataclass(info.annotation)
        result.append(ModelField(field_info=info, name=name, config=None if nested else model.model_config))
    return result


@lru_cache
def get_cached_model_fields(model: type[BaseModel]) -> list[ModelField]:
    return get_model_fields(model)


def normalize_name(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9.\-_]", "_", name)


def get_model_name_map(unique_models: set[Any]) -> dict[Any, str]:
    """Each model (or enum) -> its component name (the class name with unsafe characters replaced)."""
    by_name = {normalize_name(model.__name__): model for model in unique_models}
    return {model: name for name, model in by_name.items()}


get_compat_model_name_map = get_model_name_map


def _add_flat_models(annotation: Any, known: set[Any]) -> None:
    if lenient_issubclass(annotation, BaseModel):
        if annotation not in known:
            known.add(annotation)
            for field in get_model_fields(annotation):
                _add_flat_models(field.field_info.annotation, known)
    elif lenient_issubclass(annotation, Enum):
        known.add(annotation)
    else:
        for arg in get_args(annotation):
            _add_flat_models(arg, known)


def get_flat_models_from_annotation(annotation: Any, known_models: set[Any]) -> set[Any]:
    for arg in get_args(annotation):
        _add_flat_models(arg, known_models)
    return known_models


def get_flat_models_from_model(model: type[BaseModel], known_models: set[Any] | None = None) -> set[Any]:
    known = known_models if known_models is not None else set()
    for field in get_model_fields(model):
        _add_flat_models(field.field_info.annotation, known)
    return known


def get_flat_models_from_field(field: ModelField, known_models: set[Any]) -> set[Any]:
    _add_flat_models(field.field_info.annotation, known_models)
    return known_models


def get_flat_models_from_fields(fields: Sequence[ModelField], known_models: set[Any]) -> set[Any]:
    for field in fields:
        _add_flat_models(field.field_info.annotation, known_models)
    return known_models
