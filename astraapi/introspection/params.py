"""Parameter helpers of the route analyser: parameter models (groups) and file/bytes annotations."""

from __future__ import annotations

from typing import Any, get_args, get_origin

from pydantic import BaseModel

from astraapi.ir.nodes import ParamIR
from astraapi.introspection.annotations import (
    _UNION_ORIGINS,
    _constraints,
    is_sequence,
    _json_or_none,
    _lenient_issubclass,
    strip_annotated,
)
from astraapi.introspection.records import GroupField, ParamGroup
from astraapi.introspection.types import _TypeMapper

def _param_model_type(annotation: Any) -> type[BaseModel] | None:
    """The model of a parameter model declaration: `Model` or `Model | None` (FastAPI's rule)."""
    if get_origin(annotation) in _UNION_ORIGINS:
        args = get_args(annotation)
        if len(args) == 2 and type(None) in args:
            annotation = next(arg for arg in args if arg is not type(None))
    return annotation if _lenient_issubclass(annotation, BaseModel) else None


def _param_group(name: str, model: type[BaseModel], optional: bool, location: str, marker: Any,
                 problems: Any) -> ParamGroup | None:
    config = model.model_config
    default_convert = getattr(marker, "convert_underscores", True)
    by_name = config.get("validate_by_name", config.get("populate_by_name", False))
    fields = []
    for field_name, info in model.model_fields.items():
        validation_alias = info.validation_alias
        choices = getattr(validation_alias, "choices", None)
        if choices is not None and not all(isinstance(choice, str) for choice in choices):
            choices = None  # choices holding an AliasPath: the field's alias is read, as for an AliasPath
        convert = location == "header" and getattr(info, "convert_underscores", default_convert)
        if choices is not None:  # AliasChoices: literal names (headers too), the first present wins
            aliases = [(choice, choice) for choice in choices]
        else:
            # an AliasPath is resolved by the model from the location's other keys (the extras)
            alias = (validation_alias if isinstance(validation_alias, str) and validation_alias
                     else None) or info.alias or field_name
            request_key = alias.replace("_", "-") if convert and alias == field_name else alias
            aliases = [(alias, request_key)]
        if config.get("validate_by_alias") is False or by_name:
            request_name = field_name.replace("_", "-") if convert else field_name
            if config.get("validate_by_alias") is False:
                aliases = [(field_name, request_name)]
            elif field_name not in [a for a, _ in aliases]:
                aliases.append((field_name, request_name))
        fields.append(GroupField(field_name, tuple(aliases), is_sequence(info.annotation), info))
    return ParamGroup(model=model, optional=optional, fields=tuple(fields),
                      extra_policy=config.get("extra") in ("allow", "forbid"),
                      loc_by_alias=config.get("loc_by_alias", True))


def _group_field_ir(group_field: GroupField, location: str, optional: bool) -> ParamIR:
    info = group_field.field_info
    required = info.is_required()
    return ParamIR(
        name=group_field.name,
        alias=group_field.aliases[0][1],
        location=location,
        type=_TypeMapper().ref(info.annotation),
        required=required and not optional,
        default_json=None if required or info.default_factory is not None else _json_or_none(info.default),
        constraints=_constraints(info),
        is_sequence=group_field.is_sequence,
    )


def _non_none_args(annotation: Any) -> list[Any]:
    annotation = strip_annotated(annotation)
    if get_origin(annotation) in _UNION_ORIGINS:
        return [strip_annotated(a) for a in get_args(annotation) if a is not type(None)]
    return [annotation]


def _is_upload_file_annotation(annotation: Any) -> bool:
    """UploadFile, an optional one, or a sequence of them (FastAPI makes these File() parameters)."""
    from astraapi.datastructures import UploadFile

    for arg in _non_none_args(annotation):
        if _lenient_issubclass(arg, UploadFile):
            return True
        if is_sequence(arg) and any(_lenient_issubclass(strip_annotated(a), UploadFile) for a in get_args(arg)):
            return True
    return False


def _is_bytes_annotation(annotation: Any) -> bool:
    """bytes, optional bytes, or a sequence of bytes."""
    for arg in _non_none_args(annotation):
        if arg is bytes:
            return True
        if is_sequence(arg) and any(strip_annotated(a) is bytes for a in get_args(arg)):
            return True
    return False
