"""`Depends` and `Security` as FastAPI 0.165 declares them: frozen dataclasses (hashable and equal by
value, copied with `dataclasses.replace`, a copy sharing the limiter only when its limit is the same),
and the route decorator refusing a request-scoped `yield` dependency that depends on a function-scoped
one, as FastAPI does when the route is declared."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import pytest

from astraapi import APIRouter, Depends, FastAPI, Security
from astraapi.dependencies.utils import get_typed_annotation
from astraapi.exceptions import DependencyScopeError, FastAPIError


def dep():
    return 1


def test_depends_is_hashable_and_equal_by_value():
    assert Depends(dep) == Depends(dep) and hash(Depends(dep)) == hash(Depends(dep))
    assert hash(Depends(dep)) != hash(Depends(dep, scope="function"))
    assert hash(Security(dep)) == hash(Security(dep))
    assert {Depends(dep): 1}[Depends(dep)] == 1
    # a limit is the declaration's own: two declarations with one never compare equal
    assert Depends(dep, max_concurrency=1) != Depends(dep, max_concurrency=1)


def test_replace_keeps_or_renews_the_limiter():
    original = Depends(dep, max_concurrency=2)
    same = dataclasses.replace(original, use_cache=False)
    other = dataclasses.replace(original, max_concurrency=3)
    unlimited = dataclasses.replace(original, max_concurrency=None)
    assert same._concurrency is original._concurrency
    assert other._concurrency is not original._concurrency and other._concurrency.max_concurrency == 3
    assert unlimited._concurrency is None
    with pytest.raises(ValueError, match="positive integer or None"):
        dataclasses.replace(original, max_concurrency=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        original.use_cache = False  # type: ignore[misc]


def test_security_keeps_its_scopes():
    marker = Security(dep, scopes=["read"])
    assert marker.scopes == ["read"] and marker.dependency is dep


def named_function_session():
    yield "session"


def request_scoped(session: Annotated[str, Depends(named_function_session, scope="function")]):
    yield session


@pytest.mark.parametrize("kind", ["http", "websocket", "router", "route_dependencies"])
def test_request_scoped_yield_on_function_scoped_is_refused_when_declared(kind):
    app = FastAPI()
    router = APIRouter()
    message = 'The dependency "request_scoped" has a scope of "request", it cannot depend on dependencies with scope "function"'
    with pytest.raises(FastAPIError, match=message) as raised:
        if kind == "http":
            @app.get("/")
            def endpoint(value: Annotated[str, Depends(request_scoped)]):
                return value
        elif kind == "websocket":
            @app.websocket("/")
            async def ws_endpoint(value: Annotated[str, Depends(request_scoped)]):
                return None
        elif kind == "router":
            @router.get("/")
            def router_endpoint(value: Annotated[str, Depends(request_scoped)]):
                return value
        else:
            app.add_api_route("/", dep, dependencies=[Depends(request_scoped)])
    assert isinstance(raised.value, DependencyScopeError)
    assert app.routes == [] or all(getattr(r, "path", None) != "/" for r in app.routes)


def test_function_scoped_chain_is_accepted():
    app = FastAPI()

    @app.get("/")
    def endpoint(value: Annotated[str, Depends(request_scoped, scope="function")]):
        return value

    assert any(getattr(route, "path", None) == "/" for route in app.routes)


def test_get_typed_annotation_as_fastapi():
    assert get_typed_annotation("None", {}) is None
    assert get_typed_annotation("int", {}) is int
    assert get_typed_annotation(list[int], {}) == list[int]
