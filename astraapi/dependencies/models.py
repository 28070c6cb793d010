"""FastAPI's `Dependant` model (`fastapi.dependencies.models`): a callable's parameters sorted by where
their values come from, and its sub-dependencies.

AstraAPI does not solve requests with it: it analyses routes into the App IR (astraapi.introspection)
and solves them in astraapi.engine.dependencies. `astraapi.dependencies.utils.get_dependant` builds a
`Dependant` from that same analysis for code written against FastAPI's internals (Sentry, Logfire,
fastapi-users and others read it); the helpers below answer what FastAPI derives from one."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from astraapi._compat.v2 import ModelField
from astraapi.security.base import SecurityBase
from astraapi.types import DependencyCacheKey


@dataclass(slots=True)
class Dependant:
    path_params: list[ModelField] = field(default_factory=list)
    query_params: list[ModelField] = field(default_factory=list)
    header_params: list[ModelField] = field(default_factory=list)
    cookie_params: list[ModelField] = field(default_factory=list)
    body_params: list[ModelField] = field(default_factory=list)
    dependencies: list[Dependant] = field(default_factory=list)
    name: str | None = None
    call: Callable[..., Any] | None = None
    request_param_name: str | None = None
    websocket_param_name: str | None = None
    http_connection_param_name: str | None = None
    response_param_name: str | None = None
    background_tasks_param_name: str | None = None
    security_scopes_param_name: str | None = None
    own_oauth_scopes: list[str] | None = None
    parent_oauth_scopes: list[str] | None = None
    use_cache: bool = True
    path: str | None = None
    scope: Literal["function", "request"] | None = None
    concurrency: Any = None  # the Depends(max_concurrency=...) declaration's limiter, or None


_UsesScopesCache = dict[int, tuple[Dependant, bool]]
_CALLABLE_CLASSIFICATION_CACHE_SIZE = 4096


class _CallIdentity:
    """A callable as a cache key by identity (a callable object may be unhashable, or equal to another)."""

    __slots__ = ("call",)

    def __init__(self, call: Callable[..., Any]) -> None:
        self.call = call

    def __hash__(self) -> int:
        return id(self.call)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _CallIdentity) and self.call is other.call


def _impartial(call: Any) -> Any:
    while isinstance(call, functools.partial):
        call = call.func
    return call


def _unwrapped_call(call: Any) -> Any:
    return None if call is None else inspect.unwrap(_impartial(call))


def _classify(call: Any, test: Callable[[Any], bool]) -> bool:
    """`test` on the callable (partials stripped, then also unwrapped); for an instance, on its `__call__`
    the same two ways, then on the unwrapped callable's `__call__`. A class is never a coroutine/generator."""
    if test(_impartial(call)) or test(_unwrapped_call(call)):
        return True
    if inspect.isclass(_unwrapped_call(call)):
        return False
    for owner in (_impartial(call), _unwrapped_call(call)):
        dunder = getattr(owner, "__call__", None)
        if dunder is not None and (test(_impartial(dunder)) or test(_unwrapped_call(dunder))):
            return True
    return False


def _is_coroutine(target: Any) -> bool:
    # asyncio's test also honours the legacy `_is_coroutine` marker (Python 3.11, 3.12)
    return asyncio.iscoroutinefunction(target)


@functools.lru_cache(maxsize=_CALLABLE_CLASSIFICATION_CACHE_SIZE)
def _is_gen_callable_cached(call_identity: _CallIdentity) -> bool:
    return _classify(call_identity.call, inspect.isgeneratorfunction)


@functools.lru_cache(maxsize=_CALLABLE_CLASSIFICATION_CACHE_SIZE)
def _is_async_gen_callable_cached(call_identity: _CallIdentity) -> bool:
    return _classify(call_identity.call, inspect.isasyncgenfunction)


@functools.lru_cache(maxsize=_CALLABLE_CLASSIFICATION_CACHE_SIZE)
def _is_coroutine_callable_cached(call_identity: _CallIdentity) -> bool:
    call = call_identity.call
    for target in (_impartial(call), _unwrapped_call(call)):
        if inspect.isroutine(target) and _is_coroutine(target):
            return True
    if inspect.isclass(_unwrapped_call(call)):
        return False
    for owner in (_impartial(call), _unwrapped_call(call)):
        dunder = getattr(owner, "__call__", None)
        if dunder is not None and (_is_coroutine(_impartial(dunder)) or _is_coroutine(_unwrapped_call(dunder))):
            return True
    return False


def _is_gen_callable(call: Callable[..., Any] | None) -> bool:
    return call is not None and _is_gen_callable_cached(_CallIdentity(call))


def _is_async_gen_callable(call: Callable[..., Any] | None) -> bool:
    return call is not None and _is_async_gen_callable_cached(_CallIdentity(call))


def _is_coroutine_callable(call: Callable[..., Any] | None) -> bool:
    return call is not None and _is_coroutine_callable_cached(_CallIdentity(call))


def _get_oauth_scopes(*, dependant: Dependant) -> list[str]:
    """The parents' scopes, then this dependency's own ones not already there (order kept)."""
    scopes = list(dependant.parent_oauth_scopes or [])
    for scope in dependant.own_oauth_scopes or []:
        if scope not in scopes:
            scopes.append(scope)
    return scopes


def _is_security_scheme(*, dependant: Dependant) -> bool:
    return dependant.call is not None and isinstance(_unwrapped_call(dependant.call), SecurityBase)


def _get_security_scheme(*, dependant: Dependant) -> SecurityBase:
    scheme = _unwrapped_call(dependant.call)
    if not isinstance(scheme, SecurityBase):
        raise TypeError(f"{dependant.call!r} is not a security scheme")
    return scheme


def _uses_scopes(*, dependant: Dependant, cache: _UsesScopesCache | None = None) -> bool:
    """Whether this dependency or one below it declares or reads OAuth2 scopes, or is a security scheme."""
    cache = {} if cache is None else cache
    known = cache.get(id(dependant))
    if known is not None and known[0] is dependant:
        return known[1]
    result = (
        bool(dependant.own_oauth_scopes)
        or dependant.security_scopes_param_name is not None
        or _is_security_scheme(dependant=dependant)
        or any(_uses_scopes(dependant=sub, cache=cache) for sub in dependant.dependencies)
    )
    cache[id(dependant)] = (dependant, result)
    return result


def _get_computed_scope(*, dependant: Dependant) -> str | None:
    """The declared scope, or "request" for a `yield` dependency declared without one."""
    if dependant.scope:
        return dependant.scope
    if _is_gen_callable(dependant.call) or _is_async_gen_callable(dependant.call):
        return "request"
    return None


def _get_cache_key(*, dependant: Dependant, uses_scopes_cache: _UsesScopesCache | None = None) -> DependencyCacheKey:
    """What identifies one dependency call within a request: (call, sorted scopes when scopes matter, scope)."""
    scopes = tuple(sorted(set(_get_oauth_scopes(dependant=dependant)))) \
        if _uses_scopes(dependant=dependant, cache=uses_scopes_cache) else ()
    return (dependant.call, scopes, _get_computed_scope(dependant=dependant) or "")
