"""Annotation and callable helpers shared by the analysers: what an annotation or a callable is."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import os
import re
import types
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from astraapi._compat.shared import lenient_issubclass as _lenient_issubclass
from astraapi.encoders import jsonable_encoder
from astraapi.introspection.module_names import module_of
from astraapi._path_template import PATH_PARAM

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_SEQUENCE_TYPES: tuple[type, ...] = (list, tuple, set, frozenset, deque, Sequence)
_UNION_ORIGINS = (Union, types.UnionType)

# --------------------------------------------------------------------------- helpers


def source_path(filename: str) -> str:
    """`filename` relative to the working directory when it lies inside it."""
    absolute = os.path.abspath(filename)
    cwd = os.getcwd()
    if absolute.startswith(cwd + os.sep):
        return os.path.relpath(absolute, cwd).replace(os.sep, "/")
    return absolute


def path_param_names(path: str) -> list[tuple[str, str]]:
    """(name, convertor) for each `{name}` / `{name:convertor}` in `path`, in order."""
    return [(m.group(1), m.group(2) or "str") for m in PATH_PARAM.finditer(path)]


def _qualified(obj: Any) -> str:
    return f"{module_of(obj)}.{getattr(obj, '__qualname__', type(obj).__name__)}"


def endpoint_ref(endpoint: Any) -> str:
    target = endpoint.func if isinstance(endpoint, functools.partial) else endpoint
    module = module_of(target)
    qualname = getattr(target, "__qualname__", None) or type(target).__qualname__
    return f"{module}:{qualname}"


def endpoint_is_async(call: Any) -> bool:
    """Whether calling `call` gives a coroutine, as FastAPI decides it: through partials, through
    `functools.wraps` wrappers (a plain `def` wrapper around an `async def` endpoint returns its
    coroutine), and through an instance's `__call__`; a class is a plain call."""
    import asyncio  # asyncio's check knows the legacy `_is_coroutine` marker, as FastAPI's on 3.11/3.12

    while isinstance(call, functools.partial):
        call = call.func
    unwrapped = inspect.unwrap(call)
    for form in (call, unwrapped):
        if inspect.isroutine(form) and asyncio.iscoroutinefunction(form):
            return True
    if inspect.isclass(unwrapped) or inspect.isroutine(call):
        return False
    dunder = getattr(call, "__call__", None)
    if dunder is None:
        return False
    return any(asyncio.iscoroutinefunction(form) for form in (dunder, inspect.unwrap(dunder)))


def _is_generator_callable(call: Any) -> bool:
    while isinstance(call, functools.partial):
        call = call.func
    return inspect.isgeneratorfunction(call) or inspect.isasyncgenfunction(call)


def _stream_item_type(annotation: Any) -> Any:
    """The item type of an (async) iterable/iterator/generator annotation, as FastAPI reads it."""
    import collections.abc as abc

    origin = get_origin(annotation)
    if origin in (abc.AsyncIterable, abc.AsyncIterator, abc.AsyncGenerator, abc.Iterable, abc.Iterator,
                  abc.Generator):
        args = get_args(annotation)
        return args[0] if args else Any
    return None


def _json_or_none(value: Any) -> str | None:
    """Canonical JSON for a default or constraint value (sets sorted), None when not JSON-able."""
    try:
        return json.dumps(jsonable_encoder(_sorted_sets(value)), sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return None


def _sorted_sets(value: Any) -> Any:
    """Sets as lists in a process-independent order (set iteration order depends on hashing)."""
    if isinstance(value, (set, frozenset)):
        items = [_sorted_sets(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(jsonable_encoder(item), sort_keys=True))
    if isinstance(value, (list, tuple)):
        return [_sorted_sets(item) for item in value]
    if isinstance(value, dict):
        return {key: _sorted_sets(item) for key, item in value.items()}
    return value


def strip_annotated(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if hasattr(annotation, "__value__") and type(annotation).__name__ == "TypeAliasType":
        return strip_annotated(annotation.__value__)
    return annotation


def _is_complex(annotation: Any) -> bool:
    """FastAPI's notion of a non-scalar annotation (models, mappings, sequences, dataclasses)."""
    annotation = strip_annotated(annotation)
    origin = get_origin(annotation)
    if origin in _UNION_ORIGINS:
        return any(_is_complex(arg) for arg in get_args(annotation))
    for candidate in (annotation, origin):
        if _lenient_issubclass(candidate, (str, bytes)):
            continue
        if _lenient_issubclass(candidate, (BaseModel, Mapping, *_SEQUENCE_TYPES)):
            return True
        if candidate is not None and dataclasses.is_dataclass(candidate):
            return True
    return hasattr(origin, "__pydantic_core_schema__") or hasattr(origin, "__get_pydantic_core_schema__")


def is_sequence(annotation: Any) -> bool:
    annotation = strip_annotated(annotation)
    origin = get_origin(annotation)
    if origin in _UNION_ORIGINS:
        return any(is_sequence(arg) for arg in get_args(annotation))
    for candidate in (annotation, origin):
        if _lenient_issubclass(candidate, (str, bytes)):
            continue
        if _lenient_issubclass(candidate, _SEQUENCE_TYPES):
            return True
    return False


def _is_scalar_sequence(annotation: Any) -> bool:
    annotation = strip_annotated(annotation)
    origin = get_origin(annotation)
    if origin in _UNION_ORIGINS:
        args = [a for a in get_args(annotation) if a is not type(None)]
        return any(_is_scalar_sequence(a) for a in args) and all(
            _is_scalar_sequence(a) or not _is_complex(a) for a in args
        )
    return is_sequence(annotation) and all(
        arg is Ellipsis or not _is_complex(arg) for arg in get_args(annotation)
    )


def _constraints(field_info: FieldInfo) -> tuple[tuple[str, str], ...]:
    """The parameter's metadata as (name, JSON value). A value that is not JSON-able (a validator
    function, a compiled pattern) is named by its type, and a metadata object with a schema hook
    but no attributes by its class, so a generated decoder sees it and leaves the parameter to
    pydantic instead of skipping it."""
    found: dict[str, str] = {}
    for item in field_info.metadata:
        values = dataclasses.asdict(item) if dataclasses.is_dataclass(item) else getattr(item, "__dict__", {})
        if not values and callable(getattr(item, "__get_pydantic_core_schema__", None)):
            found[f"annotation {_type_name(type(item))}"] = "true"
        for name, value in values.items():
            if value is None or name.startswith("_"):
                continue
            text = _json_or_none(value)
            found[name] = text if text is not None else json.dumps(f"<{_type_name(type(value))}>")
    return tuple(sorted(found.items()))


def _type_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
