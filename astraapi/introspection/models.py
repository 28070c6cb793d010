"""Pydantic models -> ModelIR, with the reasons a model's generated decoder or validation falls back,
and the TypeAdapters the engine validates with."""

from __future__ import annotations

import dataclasses
import inspect
import json
from collections.abc import Mapping
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, RootModel, TypeAdapter
from pydantic.fields import FieldInfo

from astraapi.introspection.source_lines import class_line
from astraapi.ir.nodes import FieldIR, ModelIR, SourceLoc, TypeRef
from astraapi.introspection.annotations import _json_or_none, _qualified, source_path
from astraapi.introspection.types import _TypeMapper

# --------------------------------------------------------------------------- models


def _model_ir(cls: type[BaseModel], mapper: _TypeMapper) -> ModelIR:
    reasons: list[str] = []
    decorators = cls.__pydantic_decorators__
    for kind, label in (
        ("validators", "field validators"),
        ("field_validators", "field validators"),
        ("root_validators", "model validators"),
        ("model_validators", "model validators"),
        ("field_serializers", "field serializers"),
        ("model_serializers", "a model serializer"),
    ):
        if getattr(decorators, kind, None):
            reason = f"has {label}"
            if reason not in reasons:
                reasons.append(reason)
    if cls.model_computed_fields:
        reasons.append("has computed fields")
    config = cls.model_config
    if config.get("extra") == "allow":
        reasons.append('extra="allow"')
    for name in sorted(config):
        if name.startswith("ser_json_") or name in ("use_enum_values", "serialize_by_alias", "json_encoders"):
            reasons.append(f"model_config sets {name}")
    if issubclass(cls, RootModel):
        reasons.append("is a RootModel")
    generic = getattr(cls, "__pydantic_generic_metadata__", None) or {}
    if generic.get("parameters") or generic.get("origin") is not None:
        reasons.append("is a generic model")
    if "__get_pydantic_core_schema__" in vars(cls):
        reasons.append("defines __get_pydantic_core_schema__")

    fields: list[FieldIR] = []
    validation_reasons = _validation_config_reasons(config)
    decode_reasons = _decode_model_reasons(cls, config)
    for name, info in cls.model_fields.items():
        ref = mapper.ref(info.annotation)
        field_constraints, field_decode_reasons = _decode_field(name, info, config)
        decode_reasons += field_decode_reasons
        validation_reasons += _validation_field_reasons(name, info, ref, config)
        if any(_contains_kind(ref, kind) for kind in ("other", "literal", "timedelta")):
            reasons.append(f"field {name!r} has type {ref.text} the serializer does not specialize")
        if any(type(m).__name__.endswith("Serializer") for m in info.metadata):
            reasons.append(f"field {name!r} has a serializer annotation")
        if getattr(info, "exclude_if", None) is not None:
            reasons.append(f"field {name!r} uses exclude_if")
        validation_alias = info.validation_alias if isinstance(info.validation_alias, str) else None
        fields.append(
            FieldIR(
                name=name,
                serialized_name=info.serialization_alias or info.alias or name,
                type=ref,
                required=info.is_required(),
                default_json=None
                if info.is_required() or info.default_factory is not None
                else _json_or_none(info.default),
                validation_alias=validation_alias if validation_alias != name else None,
                exclude=bool(info.exclude),
                default_dump=_default_dump(info),
                constraints=field_constraints,
                has_default_factory=info.default_factory is not None,
            )
        )
    source_file, source_line = "<unknown>", 0
    try:
        source_file = source_path(inspect.getsourcefile(cls) or "<unknown>")
        source_line = class_line(cls)
    except (OSError, TypeError):
        pass  # a class built at run time has no source; "<unknown>:0" says so
    return ModelIR(
        key=_qualified(cls),
        name=cls.__name__,
        source=SourceLoc(source_file, source_line),
        fields=tuple(fields),
        fallback_reasons=tuple(reasons),
        validation_fallback_reasons=tuple(reasons) + tuple(validation_reasons),
        decode_fallback_reasons=tuple(decode_reasons),
    )


# annotated_types constraints a generated body decoder checks (their one attribute each).
_DECODE_CONSTRAINTS = frozenset({"Gt", "Ge", "Lt", "Le", "MultipleOf", "MinLen", "MaxLen"})


def _decode_model_reasons(cls: type[BaseModel], config: Mapping[str, Any]) -> list[str]:
    """Model-level reasons why pydantic's validation of a JSON object into `cls` does more than
    check its fields' types and constraints and fill their defaults."""
    reasons: list[str] = []
    decorators = cls.__pydantic_decorators__
    if any(getattr(decorators, kind, None) for kind in
           ("validators", "field_validators", "root_validators", "model_validators")):
        reasons.append("has validators")
    if issubclass(cls, RootModel):
        reasons.append("is a RootModel")
    generic = getattr(cls, "__pydantic_generic_metadata__", None) or {}
    if generic.get("parameters") or generic.get("origin") is not None:
        reasons.append("is a generic model")
    if "__get_pydantic_core_schema__" in vars(cls):
        reasons.append("defines __get_pydantic_core_schema__")
    if getattr(cls, "__pydantic_custom_init__", False):
        reasons.append("defines __init__")
    if getattr(cls, "__pydantic_post_init__", None) is not None:
        reasons.append("defines model_post_init")
    if getattr(cls, "__private_attributes__", None):
        reasons.append("has private attributes")
    if "__new__" in vars(cls):
        reasons.append("defines __new__")
    reasons += _validation_config_reasons(config)
    if config.get("extra") == "allow":
        reasons.append('extra="allow"')
    if config.get("use_enum_values"):
        reasons.append("model_config sets use_enum_values")
    if config.get("validate_by_alias") is False:
        reasons.append("model_config sets validate_by_alias=False")
    return reasons


def _decode_field(name: str, info: FieldInfo,
                  config: Mapping[str, Any]) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    """The field's constraints a body decoder can check, and why it cannot decode the field."""
    reasons: list[str] = []
    found: dict[str, str] = {}
    for item in info.metadata:
        kind = type(item)
        if kind.__module__ == "annotated_types" and kind.__name__ in _DECODE_CONSTRAINTS:
            ((key, value),) = dataclasses.asdict(item).items()
            text = _json_or_none(value)
            if text is None or key in found:
                reasons.append(f"field {name!r} has constraint {item!r}")
            else:
                found[key] = text
        elif kind.__name__ == "_PydanticGeneralMetadata" and list(vars(item)) == ["pattern"] \
                and type(item.pattern) is str and "pattern" not in found \
                and config.get("regex_engine", "rust-regex") == "rust-regex":
            found["pattern"] = json.dumps(item.pattern)  # Field(pattern=...): pydantic's Rust regex
        else:
            reasons.append(f"field {name!r} has annotation {type(item).__name__}")
    if _has_nested_annotated(info.annotation):
        reasons.append(f"field {name!r} has annotations inside its type")
    if info.validation_alias is not None and not isinstance(info.validation_alias, str):
        reasons.append(f"field {name!r} has an AliasPath/AliasChoices validation alias")
    if info.validation_alias is not None and info.validation_alias != name and (
            config.get("populate_by_name") or config.get("validate_by_name")):
        reasons.append(f"field {name!r} has an alias and the model validates by name too")
    if info.default_factory is not None and getattr(info, "default_factory_takes_data", False):
        reasons.append(f"field {name!r} has a default factory taking the data")
    if info.validate_default:
        reasons.append(f"field {name!r} validates its default")
    if info.discriminator is not None:
        reasons.append(f"field {name!r} is a discriminated union")
    return tuple(sorted(found.items())), reasons


def _has_nested_annotated(annotation: Any) -> bool:
    if get_origin(annotation) is Annotated:
        return True
    return any(_has_nested_annotated(arg) for arg in get_args(annotation) if arg is not Ellipsis)


# Model config keys that do not change how plain JSON-like data validates.
_CONFIG_KEYS_PLAIN_VALIDATION = frozenset({
    "title", "json_schema_extra", "json_schema_mode_override", "protected_namespaces", "frozen",
    "validate_assignment", "arbitrary_types_allowed", "from_attributes", "populate_by_name",
    "use_enum_values", "hide_input_in_errors", "defer_build", "plugin_settings", "regex_engine",
    "use_attribute_docstrings", "cache_strings", "validate_by_name", "validate_by_alias",
    "serialize_by_alias", "ser_json_timedelta", "ser_json_bytes", "ser_json_inf_nan", "json_encoders",
    "loc_by_alias", "alias_generator", "title_generator", "field_title_generator", "allow_inf_nan",
    "validation_error_cause", "coerce_numbers_to_str", "revalidate_instances", "extra",
})
# Field kinds whose plain-data validation generated code reproduces exactly.
_PLAIN_VALIDATION_KINDS = frozenset({"int", "float", "str", "bool", "none", "any", "optional", "list", "model"})


def _validation_config_reasons(config: Mapping[str, Any]) -> list[str]:
    reasons = [f"model_config sets {key}" for key in sorted(config) if key not in _CONFIG_KEYS_PLAIN_VALIDATION]
    if config.get("extra") == "forbid":
        reasons.append('extra="forbid"')
    if config.get("revalidate_instances", "never") != "never":
        reasons.append("model_config sets revalidate_instances")
    if config.get("coerce_numbers_to_str"):
        reasons.append("model_config sets coerce_numbers_to_str")
    if config.get("alias_generator") is not None:
        reasons.append("model_config sets alias_generator")
    return reasons


def _validation_field_reasons(name: str, info: FieldInfo, ref: TypeRef, config: Mapping[str, Any]) -> list[str]:
    """Why generated encoders may not validate this field of plain data as pydantic does.
    Constraints (FieldIR.constraints) and a plain validation alias are left to the planner."""
    reasons = []
    _, decode_reasons = _decode_field(name, info, config)
    if decode_reasons:
        reasons.append(f"field {name!r} has constraints or annotations generated code does not check")
    if info.default_factory is not None or info.validate_default:
        reasons.append(f"field {name!r} has a default factory or a validated default")
    if info.exclude:
        reasons.append(f"field {name!r} is excluded from serialization")
    if not info.is_required() and _default_dump(info) is None:
        reasons.append(f"field {name!r} has a default pydantic cannot write")
    if not _plain_kinds(ref):
        reasons.append(f"field {name!r} has type {ref.text}, not validated by generated code")
    return reasons


def _stable_plain(value: Any) -> bool:
    if value is None or type(value) in (bool, int, float, str):
        return True
    if type(value) in (list, tuple):
        return all(_stable_plain(item) for item in value)
    if type(value) is dict:
        return all(type(key) is str and _stable_plain(item) for key, item in value.items())
    return False


def _plain_kinds(ref: TypeRef) -> bool:
    return ref.kind in _PLAIN_VALIDATION_KINDS and all(_plain_kinds(arg) for arg in ref.args)


def _default_dump(info: FieldInfo) -> str | None:
    """pydantic's own JSON for the field's default value, as dump_json writes it; None for
    defaults whose JSON could differ between processes (sets, objects) or runs."""
    if info.is_required() or info.default_factory is not None or not _stable_plain(info.default):
        return None
    try:
        return TypeAdapter(info.annotation).dump_json(info.default).decode()
    except Exception:  # a default pydantic cannot write: left to pydantic at run time
        return None


def _contains_kind(ref: TypeRef, kind: str) -> bool:
    return ref.kind == kind or any(_contains_kind(a, kind) for a in ref.args)
