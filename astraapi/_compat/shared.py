"""Annotation predicates shared by parameter analysis (`fastapi._compat.shared`).

Each takes a type annotation (with `Annotated`, `Optional`/`X | None` and unions looked through as FastAPI
does) and answers one question: is it a sequence, a scalar, bytes, an upload file, a pydantic.v1 model."""

from __future__ import annotations

import types
import typing
import warnings
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import is_dataclass
from typing import Annotated, Any, TypeGuard, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.version import VERSION as PYDANTIC_VERSION

from astraapi.datastructures import UploadFile

_T = TypeVar("_T")

PYDANTIC_VERSION_MINOR_TUPLE: tuple[int, ...] = tuple(int(part) for part in PYDANTIC_VERSION.split(".")[:2])
PYDANTIC_V2 = PYDANTIC_VERSION_MINOR_TUPLE[0] == 2

# parametrized generics: `issubclass` refuses them, and they are never a subclass of anything
WithArgsTypes: tuple[type[Any], ...] = (typing._GenericAlias, types.GenericAlias, types.UnionType)  # type: ignore[attr-defined]

# the abstract or concrete sequence annotation -> the concrete type a value of it is rebuilt as
sequence_annotation_to_type: dict[Any, type[Any]] = {
    Sequence: list, list: list, tuple: tuple, set: set, frozenset: frozenset, deque: deque,
}
sequence_types: tuple[type[Any], ...] = tuple(sequence_annotation_to_type)


def _is_union(origin: Any) -> bool:
    return origin is Union or origin is types.UnionType


def lenient_issubclass(cls: Any, class_or_tuple: type[_T] | tuple[type[_T], ...] | None) -> TypeGuard[type[_T]]:
    """`issubclass` that answers False for anything that is not a class (a parametrized generic included)."""
    if not isinstance(cls, type):
        return False
    try:
        return issubclass(cls, class_or_tuple)  # type: ignore[arg-type]
    except TypeError:
        if isinstance(cls, WithArgsTypes):
            return False
        raise


def _is_sequence_class(annotation: Any) -> bool:
    return not lenient_issubclass(annotation, (str, bytes)) and lenient_issubclass(annotation, sequence_types)


def field_annotation_is_sequence(annotation: Any) -> bool:
    """list/set/tuple/frozenset/deque/Sequence (bare or parametrized, or in a union), never str or bytes."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return field_annotation_is_sequence(get_args(annotation)[0])
    if _is_union(origin):
        return any(field_annotation_is_sequence(arg) for arg in get_args(annotation))
    return _is_sequence_class(annotation) or _is_sequence_class(origin)


def value_is_sequence(value: Any) -> bool:
    return isinstance(value, sequence_types) and not isinstance(value, (str, bytes))


def _is_complex_class(annotation: Any) -> bool:
    return (
        lenient_issubclass(annotation, (BaseModel, Mapping, UploadFile))
        or _is_sequence_class(annotation)
        or is_dataclass(annotation)
    )


def field_annotation_is_complex(annotation: Any) -> bool:
    """A model, mapping, upload file, sequence or dataclass (or a union holding one)."""
    origin = get_origin(annotation)
    if _is_union(origin):
        return any(field_annotation_is_complex(arg) for arg in get_args(annotation))
    if origin is Annotated:
        return field_annotation_is_complex(get_args(annotation)[0])
    return (
        _is_complex_class(annotation)
        or _is_complex_class(origin)
        or hasattr(origin, "__pydantic_core_schema__")
        or hasattr(origin, "__get_pydantic_core_schema__")
    )


def field_annotation_is_scalar(annotation: Any) -> bool:
    """Not complex. `...` counts as scalar, so that `tuple[int, ...]` is a sequence of scalars."""
    return annotation is Ellipsis or not field_annotation_is_complex(annotation)


def field_annotation_is_scalar_sequence(annotation: Any) -> bool:
    """A sequence of scalars; a union qualifies when it has one and every other member is scalar."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return field_annotation_is_scalar_sequence(get_args(annotation)[0])
    if _is_union(origin):
        found = False
        for arg in get_args(annotation):
            if field_annotation_is_scalar_sequence(arg):
                found = True
            elif not field_annotation_is_scalar(arg):
                return False
        return found
    return field_annotation_is_sequence(annotation) and all(
        field_annotation_is_scalar(arg) for arg in get_args(annotation)
    )


def _is_or_holds(annotation: Any, cls: type[Any]) -> bool:
    if lenient_issubclass(annotation, cls):
        return True
    return _is_union(get_origin(annotation)) and any(lenient_issubclass(arg, cls) for arg in get_args(annotation))


def is_bytes_or_nonable_bytes_annotation(annotation: Any) -> bool:
    return _is_or_holds(annotation, bytes)


def is_uploadfile_or_nonable_uploadfile_annotation(annotation: Any) -> bool:
    return _is_or_holds(annotation, _upload_file_classes())


def _upload_file_classes() -> Any:
    # Starlette's UploadFile, when it is importable, is accepted beside ours (FastAPI's is a subclass of it)
    starlette = __import__("sys").modules.get("starlette.datastructures")
    other = getattr(starlette, "UploadFile", None)
    return (UploadFile, other) if isinstance(other, type) else UploadFile


def _sequence_of(annotation: Any, item_test: Any) -> bool:
    if _is_union(get_origin(annotation)):
        return any(_sequence_of(arg, item_test) for arg in get_args(annotation))
    return field_annotation_is_sequence(annotation) and all(item_test(arg) for arg in get_args(annotation))


def is_bytes_sequence_annotation(annotation: Any) -> bool:
    return _sequence_of(annotation, is_bytes_or_nonable_bytes_annotation)


def is_uploadfile_sequence_annotation(annotation: Any) -> bool:
    return _sequence_of(annotation, is_uploadfile_or_nonable_uploadfile_annotation)


def _pydantic_v1_base() -> type[Any] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            from pydantic import v1
    except ImportError:
        return None
    return v1.BaseModel


def is_pydantic_v1_model_instance(obj: Any) -> bool:
    base = _pydantic_v1_base()
    return base is not None and isinstance(obj, base)


def is_pydantic_v1_model_class(cls: Any) -> bool:
    base = _pydantic_v1_base()
    return base is not None and lenient_issubclass(cls, base)


def annotation_is_pydantic_v1(annotation: Any) -> bool:
    """A pydantic.v1 model, or a union or sequence holding one."""
    if is_pydantic_v1_model_class(annotation):
        return True
    if _is_union(get_origin(annotation)) and any(is_pydantic_v1_model_class(arg) for arg in get_args(annotation)):
        return True
    return field_annotation_is_sequence(annotation) and any(
        annotation_is_pydantic_v1(arg) for arg in get_args(annotation)
    )
