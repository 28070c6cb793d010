"""The commonly used helpers of `fastapi.dependencies.utils`: reading a callable's typed
signature, telling how a callable runs, `get_dependant` (FastAPI's `Dependant` for a callable,
built from AstraAPI's own route analysis), and `request_params_to_args` / `request_body_to_args`
(one location's values validated with the engine's own parameter plans). FastAPI's whole-request
solver (`solve_dependencies`) has no counterpart here: AstraAPI analyses dependencies into the App IR,
see astraapi.introspection, and solves them in astraapi.engine.dependencies."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
import typing
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, ForwardRef

from pydantic.fields import FieldInfo

from astraapi._compat.shared import lenient_issubclass as lenient_issubclass
from astraapi.background import BackgroundTasks as BackgroundTasks
from astraapi.background import StarletteBackgroundTasks as StarletteBackgroundTasks
from astraapi.concurrency import run_in_threadpool as run_in_threadpool
from astraapi.concurrency import contextmanager_in_threadpool as contextmanager_in_threadpool
from astraapi.datastructures import FormData as FormData
from astraapi.datastructures import Headers as Headers
from astraapi.datastructures import QueryParams as QueryParams
from astraapi.exceptions import AstraAPIError
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
    """An annotation with string/forward references resolved against the callable's module (the
    string "None" gives None, as FastAPI's)."""
    if isinstance(annotation, str):
        annotation = evaluate_forwardref(ForwardRef(annotation), globalns, globalns)
        if annotation is type(None):
            return None
    return annotation


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


# FastAPI requires python-multipart for forms; AstraAPI parses form bodies itself (astraapi.engine.form),
# so these messages are never raised here. They are kept for code that matches on them.
multipart_not_installed_error = (
    'Form data requires "python-multipart" to be installed (FastAPI). '
    "AstraAPI parses form data itself and does not need it.\n"
)
multipart_incorrect_install_error = (
    'Form data requires "python-multipart" to be installed, not "multipart" (FastAPI). '
    "AstraAPI parses form data itself and does not need either.\n"
)


def ensure_multipart_is_installed() -> None:
    """FastAPI checks that python-multipart is installed when a route declares a form; AstraAPI parses
    forms natively, so there is nothing to check."""


async def _read_file_bytes(file: Any) -> bytes:
    """A File() bytes parameter's content; the file's position is restored afterwards, also on failure."""
    from astraapi.engine.form import read_file_bytes

    return await read_file_bytes(file)


class _Problems:
    """Collects what the route analysis refuses, for one get_dependant call."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.messages: list[str] = []

    @property
    def count(self) -> int:
        return len(self.messages)

    def add(self, message: str) -> None:
        self.messages.append(message)


def get_dependant(
    *, path: str, call: Callable[..., Any], name: str | None = None, own_oauth_scopes: list[str] | None = None,
    parent_oauth_scopes: list[str] | None = None, use_cache: bool = True, scope: str | None = None,
    concurrency: Any = None,
) -> Any:
    """FastAPI's `Dependant` for `call` served at `path`: its parameters sorted by location (as
    `ModelField`s), its special parameters by name, and its sub-dependencies, recursively.

    Built from the same analysis AstraAPI serves the route with (astraapi.introspection), so what
    it reports is what the engine does. Raises `FastAPIError` with the analysis' messages when the
    callable cannot be served (as route declaration would)."""
    from astraapi.introspection.analyzer import analyze_dependency

    label = getattr(call, "__qualname__", None) or repr(call)
    problems = _Problems(label)
    analysis = analyze_dependency(
        call, name=name, path_names=get_path_param_names(path), problems=problems,  # type: ignore[arg-type]
        own_scopes=tuple(own_oauth_scopes or ()), parent_scopes=tuple(parent_oauth_scopes or ()),
        use_cache=use_cache, scope=scope, concurrency=concurrency,
    )
    if analysis is None:
        raise AstraAPIError(f"{label}: " + "; ".join(problems.messages))
    return _dependant_from_analysis(analysis, path, own_oauth_scopes, parent_oauth_scopes)


def _dependant_from_analysis(node: Any, path: str, own_scopes: list[str] | None,
                             parent_scopes: list[str] | None) -> Any:
    from astraapi._compat.v2 import ModelField
    from astraapi.dependencies.models import Dependant

    dependant = Dependant(
        call=node.call, name=node.name, path=path, use_cache=node.use_cache, scope=node.scope,  # type: ignore[arg-type]
        concurrency=node.concurrency, own_oauth_scopes=own_scopes, parent_oauth_scopes=parent_scopes,
    )
    by_location = {"path": dependant.path_params, "query": dependant.query_params,
                   "header": dependant.header_params, "cookie": dependant.cookie_params,
                   "body": dependant.body_params}
    for param in node.params:
        location = param.ir.location
        if location in by_location:
            model_field = ModelField(field_info=_marker_field_info(param), name=param.ir.name)
            model_field._astra_param = param  # type: ignore[attr-defined]  # the analysis the engine plans from
            by_location[location].append(model_field)
        else:
            setattr(dependant, _special_attribute(location, param.annotation), param.ir.name)
    current = list(parent_scopes or []) + list(own_scopes or [])
    for sub in node.dependencies:
        dependant.dependencies.append(_dependant_from_analysis(sub, path, list(sub.own_scopes), current))
    return dependant


def _marker_field_info(param: Any) -> Any:
    """The parameter's FieldInfo as FastAPI keeps it: an instance of the marker class (Path, Query, Header,
    Cookie, Body, Form, File; inferred from the location when none was written), with the analysed
    annotation, metadata and default, and `alias` set to the key read from the request."""
    import copy

    from astraapi import params

    merged = param.field_info
    declared = [arg for arg in typing.get_args(param.annotation)[1:] if isinstance(arg, FieldInfo)] \
        if typing.get_origin(param.annotation) is typing.Annotated else []
    marker = next((m for m in reversed(declared) if isinstance(m, (params.Param, params.Body))), None)
    if marker is None and isinstance(merged, (params.Param, params.Body)):
        marker = merged  # declared as the default (`q: str = Query()`)
    if marker is None:
        location = param.ir.location
        if location == "body":
            upload = _compat_shared().is_uploadfile_or_nonable_uploadfile_annotation(merged.annotation) or \
                _compat_shared().is_uploadfile_sequence_annotation(merged.annotation)
            cls: Any = params.File if upload or param.reads_file_bytes else (params.Form if param.ir.is_form else params.Body)
        else:
            cls = {"path": params.Path, "query": params.Query, "header": params.Header, "cookie": params.Cookie}[location]
        marker = cls(annotation=merged.annotation, default=... if location == "path" else merged.default)
    result = copy.copy(marker)
    result.annotation = merged.annotation
    result.metadata = list(merged.metadata)
    result.default = merged.default
    result.default_factory = merged.default_factory
    result.alias = param.ir.alias
    return result


def _compat_shared() -> Any:
    from astraapi._compat import shared

    return shared


def _special_attribute(location: str, annotation: Any) -> str:
    if location != "request":
        return f"{location}_param_name"  # response, background_tasks, security_scopes
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if lenient_issubclass(annotation, Request):
        return "request_param_name"
    if lenient_issubclass(annotation, WebSocket):
        return "websocket_param_name"
    return "http_connection_param_name"


def _field_analysis(field: Any) -> Any:
    """The route analysis of one `ModelField` of a `Dependant` (kept by get_dependant; for a field built
    some other way, analysed here from its FieldInfo, as a parameter declared with that marker)."""
    analysis = getattr(field, "_astra_param", None)
    if analysis is not None:
        return analysis
    from astraapi import params
    from astraapi.introspection.analyzer import _Analyzer

    info = field.field_info
    if not isinstance(info, (params.Param, params.Body)):
        raise AstraAPIError(f"field {field.name!r}: its FieldInfo must be a Param or Body marker, not "
                            f"{type(info).__name__}")
    problems = _Problems(field.name)
    in_ = getattr(info, "in_", None)
    path_names = {field.name} if in_ is not None and in_.value == "path" else set()
    analysis = _Analyzer()._param(field.name, info.annotation, info, path_names, problems)  # noqa: SLF001
    if analysis is None:
        raise AstraAPIError(f"field {field.name!r}: " + "; ".join(problems.messages))
    field._astra_param = analysis
    return analysis


def _plan(analysis: Any, loc: tuple[Any, ...] | None = None) -> Any:
    from astraapi.engine.params import ParamPlan

    param = analysis.ir
    return ParamPlan(param, analysis.adapter, analysis.field_info, loc or (param.location, param.alias),
                     analysis.group)


def _received_pairs(received: Any) -> list[tuple[Any, Any]]:
    """Every (key, value) of a mapping, repeated keys kept (MultiDict, QueryParams, FormData, Headers)."""
    if hasattr(received, "multi_items"):
        return list(received.multi_items())
    return list(received.items())


def _received_inputs(location: str, received: Any) -> Any:
    """The engine's view of one location's received values (RequestInputs over them)."""
    from astraapi.engine.params import RequestInputs

    class Received:
        __slots__ = ("headers", "query_string")

    native = Received()
    native.query_string = b""
    if location == "header":
        raw = getattr(received, "raw", None)
        if raw is None:
            raw = [(str(k).encode("latin-1"), str(v).encode("latin-1")) for k, v in _received_pairs(received)]
        native.headers = [(k.lower(), v) for k, v in raw]
    else:
        native.headers = []
    inputs = RequestInputs(native)
    if location == "query":
        inputs._query_items = _received_pairs(received)  # noqa: SLF001
    elif location == "cookie":
        inputs._cookies = dict(received)  # noqa: SLF001
    return inputs


def request_params_to_args(fields: Sequence[Any], received_params: Any) -> tuple[dict[str, Any], list[Any]]:
    """FastAPI's validation of one location's parameters (a Dependant's `query_params`, `header_params`,
    `cookie_params` or `path_params`) against the values received there (QueryParams or any mapping,
    Headers, a cookie dict, the path parameters): (values by parameter name, errors). The same plans
    the engine serves requests with, so keys, aliases, parameter models and errors are the served ones."""
    from astraapi.engine.body import MISSING

    values: dict[str, Any] = {}
    errors: list[Any] = []
    inputs: dict[str, Any] = {}
    for field in fields:
        analysis = _field_analysis(field)
        location = analysis.ir.location
        plan = _plan(analysis)
        if location == "path":
            raw = received_params.get(analysis.ir.alias, MISSING) if hasattr(received_params, "get") else MISSING
        else:
            if location not in inputs:
                inputs[location] = _received_inputs(location, received_params)
            raw = plan.read(inputs[location])
        plan.apply(raw, values, errors)
    return values, errors


async def request_body_to_args(body_fields: list[Any], received_body: Any,
                               embed_body_fields: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """FastAPI's validation of the body parameters against a parsed body: a JSON value (MISSING/None for
    none) or a form (FormData). (values by parameter name, errors), as the engine serves them."""
    from astraapi.engine.body import MISSING
    from astraapi.engine.dependencies import _FormReader
    from astraapi.engine.form import form_value
    from astraapi.engine.params import ChosenValue, apply_json_body

    if not body_fields:
        raise AstraAPIError("request_body_to_args() should be called with fields")
    analyses = [_field_analysis(field) for field in body_fields]
    values: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    is_form = hasattr(received_body, "getlist") and hasattr(received_body, "multi_items")
    embedded = embed_body_fields or len(analyses) > 1 or bool(analyses[0].ir.embed)
    if not is_form:
        plans = tuple(_plan(a, ("body", a.ir.alias) if embedded else ("body",)) for a in analyses)
        apply_json_body(MISSING if received_body is None else received_body, plans, embedded, values, errors)
        return values, errors
    for analysis in analyses:
        # as the engine reads a form (engine/dependencies.py): form models from the whole form,
        # other fields from the first of their keys with a value
        plan = _plan(analysis, ("body",) if analysis.form_models else ("body", analysis.ir.alias))
        if analysis.ir.is_form:
            raw = _FormReader(analysis).read(received_body)
        else:
            raw = form_value(received_body, analysis.ir.alias, plan.is_sequence)
        if analysis.reads_file_bytes and raw is not MISSING:
            chosen = raw if isinstance(raw, ChosenValue) else None
            value = chosen.value if chosen is not None else raw
            value = [await _file_bytes(item) for item in value] if isinstance(value, list) \
                else await _file_bytes(value)
            if chosen is not None:
                chosen.value = value
            else:
                raw = value
        plan.apply(raw, values, errors)
    return values, errors


async def _file_bytes(item: Any) -> Any:
    """An upload's content (its position kept), any other value as it is."""
    from astraapi.engine.form import read_file_bytes

    return await read_file_bytes(item) if hasattr(item, "seek") and hasattr(item, "file") else item


def get_parameterless_sub_dependant(*, depends: Any, path: str) -> Any:
    """The `Dependant` of a `dependencies=[Depends(...)]` entry (its value is not passed anywhere)."""
    from astraapi.params import Security

    if not callable(depends.dependency):
        raise AstraAPIError("A parameter-less dependency must have a callable dependency")
    scopes = list(depends.scopes or []) if isinstance(depends, Security) else []
    return get_dependant(path=path, call=depends.dependency, scope=depends.scope,
                         concurrency=depends._concurrency, own_oauth_scopes=scopes)


def get_flat_dependant(dependant: Any, *, skip_repeats: bool = False, visited: list[Any] | None = None,
                       parent_oauth_scopes: list[str] | None = None) -> Any:
    """One `Dependant` holding the parameters of `dependant` and of every dependency below it."""
    from astraapi.dependencies.models import Dependant, _get_cache_key

    visited = [] if visited is None else visited
    visited.append(_get_cache_key(dependant=dependant))
    flat = Dependant(
        path_params=list(dependant.path_params), query_params=list(dependant.query_params),
        header_params=list(dependant.header_params), cookie_params=list(dependant.cookie_params),
        body_params=list(dependant.body_params), name=dependant.name, call=dependant.call,
        use_cache=dependant.use_cache, path=dependant.path, scope=dependant.scope,
        own_oauth_scopes=dependant.own_oauth_scopes, parent_oauth_scopes=parent_oauth_scopes,
    )
    for sub in dependant.dependencies:
        if skip_repeats and _get_cache_key(dependant=sub) in visited:
            continue
        inner = get_flat_dependant(sub, skip_repeats=skip_repeats, visited=visited,
                                   parent_oauth_scopes=flat.own_oauth_scopes)
        for attribute in ("path_params", "query_params", "header_params", "cookie_params", "body_params"):
            getattr(flat, attribute).extend(getattr(inner, attribute))
    return flat


def get_flat_params(dependant: Any) -> list[Any]:
    """The path, query, header and cookie fields of the whole tree, in that order."""
    flat = get_flat_dependant(dependant, skip_repeats=True)
    return [*flat.path_params, *flat.query_params, *flat.header_params, *flat.cookie_params]


__all__: Sequence[str] = [
    "ensure_multipart_is_installed",
    "evaluate_forwardref",
    "get_dependant",
    "get_flat_dependant",
    "get_flat_params",
    "get_parameterless_sub_dependant",
    "multipart_incorrect_install_error",
    "multipart_not_installed_error",
    "request_body_to_args",
    "request_params_to_args",
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
