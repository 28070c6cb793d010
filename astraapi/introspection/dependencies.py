"""Dependency helpers of the route analyser: markers, callables, body embedding."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import sys
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel

from astraapi import _starlette_compat as starlette_compat
from astraapi import params
from astraapi.background import BackgroundTasks
from astraapi.encoders import jsonable_encoder
from astraapi.requests import HTTPConnection
from astraapi.responses import Response
from astraapi.introspection.annotations import _UNION_ORIGINS, _lenient_issubclass, strip_annotated
from astraapi.introspection.records import DependantAnalysis, ParamAnalysis

class _PrefixedProblems:
    """Problems found inside a dependency, reported under the route with the dependency named."""

    def __init__(self, parent: Any, prefix: str) -> None:
        self.parent = parent
        self.prefix = prefix

    @property
    def count(self) -> int:
        return self.parent.count

    def add(self, message: str) -> None:
        self.parent.add(self.prefix + message)


def _special_location(annotation: Any) -> str | None:
    # An app that never imported the module defining SecurityScopes cannot annotate with it (and
    # importing it here would build the OpenAPI models for every app).
    scopes_module = sys.modules.get("astraapi.security.oauth2")
    if _lenient_issubclass(annotation, HTTPConnection):
        return "request"
    if _lenient_issubclass(annotation, Response):
        return "response"
    if _lenient_issubclass(annotation, BackgroundTasks):
        return "background_tasks"
    if scopes_module is not None and _lenient_issubclass(annotation, scopes_module.SecurityScopes):
        return "security_scopes"
    return starlette_compat.special_location(annotation)


def _depends_marker(annotation: Any, default: Any) -> params.Depends | None:
    found = None
    if get_origin(annotation) is Annotated:
        markers = [m for m in get_args(annotation)[1:] if isinstance(m, (params.Param, params.Body, params.Depends))]
        if markers and isinstance(markers[-1], params.Depends):
            found = markers[-1]
    if isinstance(default, params.Depends):
        found = default
    return found


def _unwrap_call(call: Any) -> Any:
    while isinstance(call, functools.partial):
        call = call.func
    return inspect.unwrap(call)


def _is_instance_call(call: Any) -> bool:
    target = _unwrap_call(call)
    return not inspect.isroutine(target) and not inspect.isclass(target) and callable(target)


def _impartial(call: Any) -> Any:
    while isinstance(call, functools.partial):
        call = call.func
    return call


def _forms(call: Any) -> list[Any]:
    """`call` as FastAPI classifies it: through partials, then through `__wrapped__` as well."""
    return [_impartial(call), inspect.unwrap(_impartial(call))]


def _dependency_kind(call: Any) -> str:
    """How FastAPI calls `call`: generator and coroutine functions found through partials,
    `functools.wraps` wrappers and an instance's `__call__`; a class is a plain call."""
    import asyncio

    def dunders() -> list[Any]:
        if inspect.isclass(inspect.unwrap(_impartial(call))):
            return []
        found = []
        for form in _forms(call):
            dunder = getattr(form, "__call__", None)
            if dunder is not None:
                found.extend(_forms(dunder))
        return found

    candidates = _forms(call) + dunders()
    if any(inspect.isasyncgenfunction(c) for c in candidates):
        return "async_generator"
    if any(inspect.isgeneratorfunction(c) for c in candidates):
        return "generator"
    if any(inspect.isroutine(c) and asyncio.iscoroutinefunction(c) for c in _forms(call)):
        return "coroutine"
    if any(asyncio.iscoroutinefunction(c) for c in dunders()):
        return "coroutine"
    return "function"


def check_dependency_scopes(endpoint: Any, dependencies: Any) -> None:
    """FastAPI's declaration-time rule: a `yield` dependency whose scope is "request" cannot depend on
    one declared with scope "function" (its exit code would run after the other's). Raises
    DependencyScopeError, as FastAPI raises it from the route decorator."""
    from astraapi.exceptions import DependencyScopeError

    seen: set[tuple[int, Any]] = set()

    def markers(call: Any) -> list[params.Depends]:
        try:
            entries = _signature_entries(call)
        except (TypeError, ValueError):  # no signature: the route analysis reports it
            return []
        found = []
        for _, annotation, default in entries:
            depends = _depends_marker(annotation, default)
            if depends is not None:
                if depends.dependency is None:
                    depends = depends._with_dependency(strip_annotated(annotation))
                found.append(depends)
        return found

    def walk(depends: params.Depends) -> None:
        call = depends.dependency
        if call is None or (id(call), depends.scope) in seen:
            return
        seen.add((id(call), depends.scope))
        subs = markers(call)
        if _dependency_kind(call) in ("generator", "async_generator") and depends.scope in (None, "request"):
            for sub in subs:
                if sub.scope == "function":
                    name = getattr(call, "__name__", "<unnamed_callable>")
                    raise DependencyScopeError(
                        f'The dependency "{name}" has a scope of "request", it cannot depend on dependencies '
                        'with scope "function".')
        for sub in subs:
            walk(sub)

    for depends in [*(d for d in dependencies or () if isinstance(d, params.Depends)), *markers(endpoint)]:
        walk(depends)


def _signature_entries(call: Any) -> list[tuple[str, Any, Any]]:
    """(name, annotation, default) for each parameter, string annotations evaluated."""
    try:
        signature = inspect.signature(call, eval_str=True)
    except NameError:
        signature = inspect.signature(call)
    globalns = getattr(inspect.unwrap(call), "__globals__", None) or {}
    entries = []
    for name, parameter in signature.parameters.items():
        # As FastAPI: every parameter counts by its name, `*args`, `**kwargs` and positional-only ones
        # too (query parameters unless annotated otherwise; their values are passed by keyword).
        annotation = parameter.annotation
        if isinstance(annotation, str):  # a `__signature__` given with string annotations (eval_str skips it)
            annotation = _evaluated(annotation, globalns)
        if hasattr(annotation, "__value__") and type(annotation).__name__ == "TypeAliasType":
            annotation = annotation.__value__
        entries.append((name, annotation, parameter.default))
    return entries


def _evaluated(annotation: str, globalns: dict[str, Any]) -> Any:
    """A string annotation evaluated in the function's module, as FastAPI's get_typed_signature does
    (left as it is when it names something that module does not have)."""
    import typing

    try:
        return typing._eval_type(typing.ForwardRef(annotation), globalns, globalns)  # type: ignore[attr-defined]
    except NameError:
        return annotation


def _scheme_json(scheme: Any) -> str | None:
    try:
        plain = jsonable_encoder(scheme.model, by_alias=True, exclude_none=True)
    except Exception:  # a user subclass with a model jsonable_encoder cannot encode: no schema entry
        return None
    # key order kept: it is the document's (an OAuth2 flow's scopes are listed as declared)
    return json.dumps(plain, separators=(",", ":"), ensure_ascii=False)


def form_model_type(annotation: Any) -> type[BaseModel] | None:
    """The model of a `Form()` parameter annotated with a model or an optional model."""
    annotation = strip_annotated(annotation)
    if get_origin(annotation) in _UNION_ORIGINS:
        args = get_args(annotation)
        if len(args) == 2 and type(None) in args:
            annotation = next(arg for arg in args if arg is not type(None))
    return annotation if _lenient_issubclass(annotation, BaseModel) else None


def _should_embed(body_params: list[ParamAnalysis]) -> bool:
    """FastAPI's rule over the flattened body parameters of the whole tree (counted by name)."""
    if not body_params:
        return False
    if len({p.ir.name for p in body_params}) > 1:
        return True
    first = body_params[0]
    # dependencies can give the same name to different form models
    if first.form_models and any(not p.form_models or p.field_info.annotation is not first.field_info.annotation
                                 for p in body_params[1:]):
        return True
    if any(p.ir.embed for p in body_params):
        return True
    return first.ir.is_form and not first.form_models


def _body_is_form(body_params: list[ParamAnalysis], embedded: bool) -> bool:
    if not body_params:
        return False
    if not embedded:
        return body_params[0].ir.is_form
    return any(p.ir.is_form for p in body_params)


def embed_body(node: DependantAnalysis) -> DependantAnalysis:
    """The same tree with every body parameter marked embedded (IR included)."""
    new_params = tuple(
        dataclasses.replace(p, ir=dataclasses.replace(p.ir, embed=True)) if p.ir.location == "body" else p
        for p in node.params
    )
    new_deps = tuple(embed_body(d) for d in node.dependencies)
    ir = node.ir
    if ir is not None:
        ir = dataclasses.replace(ir, params=tuple(p.ir for p in new_params),
                                 dependencies=tuple(d.ir for d in new_deps if d.ir is not None))
    return dataclasses.replace(node, params=new_params, dependencies=new_deps, ir=ir)


def _looks_like_foreign_marker(value: Any) -> bool:
    """A FastAPI marker object (Depends, Security, ...) passed to an AstraAPI app."""
    module = type(value).__module__ or ""
    return module.startswith(("fastapi", "starlette"))
