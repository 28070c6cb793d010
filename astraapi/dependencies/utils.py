"""The commonly used helpers of `fastapi.dependencies.utils`: reading a callable's typed
signature, and telling how a callable runs. (FastAPI's own dependency solver, built on its
`Dependant` model, has no counterpart here: AstraAPI analyses dependencies into the App IR,
see astraapi.introspection, and solves them in astraapi.engine.dependencies.)"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
import typing
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from astraapi.background import BackgroundTasks as BackgroundTasks
from astraapi.background import StarletteBackgroundTasks as StarletteBackgroundTasks
from astraapi.concurrency import run_in_threadpool as run_in_threadpool
from astraapi.concurrency import contextmanager_in_threadpool as contextmanager_in_threadpool
from astraapi.datastructures import FormData as FormData
from astraapi.datastructures import Headers as Headers
from astraapi.datastructures import QueryParams as QueryParams
from astraapi.exceptions import DependencyScopeError as DependencyScopeError
from astraapi.requests import HTTPConnection as HTTPConnection
from astraapi.requests import Request as Request
from astraapi.responses import Response as Response
from astraapi.security.oauth2 import SecurityScopes as SecurityScopes
from astraapi.websockets import WebSocket as WebSocket

sequence_types: tuple[type[Any], ...] = (list, set, frozenset, tuple, deque)

_PATH_PARAM = re.compile(r"{(.*?)}")


def get_path_param_names(path: str) -> set[str]:
    """The names of a path's `{parameters}`."""
    return set(_PATH_PARAM.findall(path))


def _unwrapped(call: Callable[..., Any]) -> Any:
    while isinstance(call, functools.partial):
        call = call.func
    return inspect.unwrap(call)


def evaluate_forwardref(annotation: Any, globalns: dict[str, Any], localns: dict[str, Any] | None = None) -> Any:
    """A string or ForwardRef annotation resolved in `globalns` (unchanged when it cannot be)."""
    if isinstance(annotation, str):
        annotation = typing.ForwardRef(annotation)
    if isinstance(annotation, typing.ForwardRef):
        try:
            return typing._eval_type(annotation, globalns, localns)  # type: ignore[attr-defined]
        except NameError:
            return annotation
    return annotation


def get_typed_annotation(annotation: Any, globalns: dict[str, Any]) -> Any:
    """An annotation with string/forward references resolved against the callable's module."""
    return evaluate_forwardref(annotation, globalns, globalns)


def _globals(call: Callable[..., Any]) -> dict[str, Any]:
    target = _unwrapped(call)
    if not inspect.isfunction(target) and not inspect.ismethod(target) and callable(target):
        target = getattr(target, "__call__", target) if not inspect.isclass(target) else target.__init__
    return getattr(target, "__globals__", {})


def get_typed_signature(call: Callable[..., Any]) -> inspect.Signature:
    """The callable's signature with every parameter annotation resolved."""
    signature = inspect.signature(call)
    globalns = _globals(call)
    return signature.replace(parameters=[
        parameter.replace(annotation=get_typed_annotation(parameter.annotation, globalns))
        for parameter in signature.parameters.values()
    ])


def get_typed_return_annotation(call: Callable[..., Any]) -> Any:
    """The callable's resolved return annotation, or None when it has none."""
    annotation = inspect.signature(call).return_annotation
    if annotation is inspect.Signature.empty:
        return None
    return get_typed_annotation(annotation, _globals(call))


def _dunder_call(call: Any) -> Any:
    return getattr(call, "__call__", None) if not inspect.isroutine(call) and not inspect.isclass(call) else None


def is_coroutine_callable(call: Callable[..., Any]) -> bool:
    """`async def` function, or an object whose `__call__` is one (a class is a plain call)."""
    target = _unwrapped(call)
    if inspect.isclass(target):
        return False
    if inspect.iscoroutinefunction(target):
        return True
    return inspect.iscoroutinefunction(_dunder_call(target))


def is_async_gen_callable(call: Callable[..., Any]) -> bool:
    target = _unwrapped(call)
    return inspect.isasyncgenfunction(target) or inspect.isasyncgenfunction(_dunder_call(target))


def is_gen_callable(call: Callable[..., Any]) -> bool:
    target = _unwrapped(call)
    return inspect.isgeneratorfunction(target) or inspect.isgeneratorfunction(_dunder_call(target))


def lenient_issubclass(cls: Any, class_or_tuple: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, class_or_tuple)


def value_is_sequence(value: Any) -> bool:
    return isinstance(value, sequence_types) and not isinstance(value, (str, bytes))


def field_annotation_is_sequence(annotation: Any) -> bool:
    """A list/set/tuple/deque annotation (or a union containing one), not str or bytes."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)) or origin is typing.Annotated:
        return any(field_annotation_is_sequence(arg) for arg in typing.get_args(annotation)[:None if origin is not typing.Annotated else 1])
    target = origin or annotation
    return lenient_issubclass(target, sequence_types) and not lenient_issubclass(target, (str, bytes))


def field_annotation_is_scalar(annotation: Any) -> bool:
    """Not a model, a mapping, a sequence or a dataclass."""
    from pydantic import BaseModel

    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return field_annotation_is_scalar(typing.get_args(annotation)[0])
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return all(field_annotation_is_scalar(arg) for arg in typing.get_args(annotation))
    target = origin or annotation
    return annotation is Ellipsis or not (
        lenient_issubclass(target, (BaseModel, typing.Mapping, dict)) or field_annotation_is_sequence(annotation)
        or dataclasses.is_dataclass(target)
    )


def field_annotation_is_scalar_sequence(annotation: Any) -> bool:
    """A sequence of scalars (what a repeated query parameter can hold)."""
    if not field_annotation_is_sequence(annotation):
        return False
    args = typing.get_args(annotation)
    return all(field_annotation_is_scalar(arg) for arg in args if arg is not Ellipsis) if args else True


__all__: Sequence[str] = [
    "evaluate_forwardref",
    "field_annotation_is_scalar",
    "field_annotation_is_scalar_sequence",
    "field_annotation_is_sequence",
    "get_path_param_names",
    "get_typed_annotation",
    "get_typed_return_annotation",
    "get_typed_signature",
    "is_async_gen_callable",
    "is_coroutine_callable",
    "is_gen_callable",
    "lenient_issubclass",
    "sequence_types",
    "value_is_sequence",
]
