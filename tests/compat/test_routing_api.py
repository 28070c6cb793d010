"""The routing API's declarations: FastAPI's Default/DefaultPlaceholder, what routes and routers hold,
include_router's refusals, response_model_include/_exclude in the IR, route classes."""

from __future__ import annotations

import pytest

from astraapi import APIRouter, FastAPI
from astraapi.datastructures import Default, DefaultPlaceholder, get_value_or_default
from astraapi.exceptions import FastAPIError
from astraapi.introspection.incex import IncExError, incex_from_json, incex_json
from astraapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from astraapi.routing import APIRoute, iter_route_contexts


def test_default_placeholder_has_fastapis_shape():
    assert isinstance(Default("a"), DefaultPlaceholder) and Default("a") == Default("a") != Default("b")
    assert Default("a").value == "a" and bool(Default("a")) and not Default("")
    assert Default(1) != 1
    assert get_value_or_default(Default(1), Default(2), 3, 4) == 3
    first = Default(1)
    assert get_value_or_default(first, Default(2)) is first
    import astraapi.routing
    import astraapi.utils

    assert astraapi.routing.Default is Default and astraapi.utils.get_value_or_default is get_value_or_default


def test_routes_hold_fastapis_placeholders_and_chosen_classes():
    app = FastAPI()
    router = APIRouter(default_response_class=HTMLResponse)

    @app.get("/a")
    def a():
        return 1

    @router.get("/b")
    def b():
        return 1

    @router.get("/c", response_class=PlainTextResponse)
    def c():
        return 1

    plain = APIRouter()

    @plain.get("/d")
    def d():
        return 1

    app.include_router(router)
    app.include_router(plain, default_response_class=PlainTextResponse)
    served = list(iter_route_contexts(app.routes))  # FastAPI 0.165: an inclusion is one entry of app.routes
    classes = {route.path: route.response_class for route in served if route.path in ("/a", "/b", "/c", "/d")}
    assert classes["/a"] == Default(JSONResponse) and isinstance(classes["/a"], DefaultPlaceholder)
    assert (classes["/b"], classes["/c"], classes["/d"]) == (HTMLResponse, PlainTextResponse, PlainTextResponse)
    assert isinstance(served[-1].generate_unique_id_function, DefaultPlaceholder)
    assert isinstance(served[-1].response_model, DefaultPlaceholder)


def test_include_router_refusals():
    router = APIRouter()

    @router.get("")
    def empty():
        return 1

    with pytest.raises(FastAPIError, match=r"Prefix and path cannot be both empty \(path operation: empty\)"):
        FastAPI().include_router(router)
    FastAPI().include_router(router, prefix="/p")
    with pytest.raises(AssertionError, match="into itself"):
        router.include_router(router, prefix="/p")


def test_include_exclude_are_canonical_in_the_ir():
    assert incex_json(None, "x") is None
    same = {incex_json({"b", "a"}, "x"), incex_json(["a", "b"], "x"), incex_json({"a": ..., "b": True}, "x")}
    assert same == {'[["a",true],["b",true]]'}
    text = incex_json({"parts": {0: {"bar"}, "__all__": {"foo"}}}, "x")
    assert incex_from_json(text) == {"parts": {0: {"bar": True}, "__all__": {"foo": True}}}
    with pytest.raises(IncExError, match="response_model_include"):
        incex_json("name", "response_model_include")
    with pytest.raises(IncExError):
        incex_json({"a": False}, "response_model_exclude")


def test_an_invalid_include_is_reported_with_the_declaration():
    from astraapi.exceptions import DeclarationError
    from astraapi.introspection.app import build_ir

    app = FastAPI()

    @app.get("/", response_model=dict, response_model_include="name")
    def root():
        return {}

    with pytest.raises(DeclarationError, match="response_model_include: 'name' is not a set, list or dict"):
        build_ir(app, openapi=False)


def test_route_class_is_the_class_of_the_records():
    class Custom(APIRoute):
        pass

    router = APIRouter(route_class=Custom)

    @router.get("/x")
    def x():
        return 1

    app = FastAPI()
    app.include_router(router, prefix="/p")
    served = list(iter_route_contexts(app.routes))[-1]
    assert type(router.routes[0]) is Custom and served.original_route is router.routes[0]
    assert type(served._effective_route) is Custom and served.path == "/p/x"
    with pytest.raises(TypeError, match="not a subclass"):
        APIRouter(route_class=dict).add_api_route("/y", x)


def test_get_route_handler_outside_serving_says_so():
    app = FastAPI()

    @app.get("/x")
    def x():
        return 1

    with pytest.raises(RuntimeError, match="builds a route's handler when it serves the route"):
        app.routes[-1].get_route_handler()


def test_route_contexts_and_get_openapi():
    from astraapi.openapi.utils import get_openapi
    from astraapi.routing import APIWebSocketRoute, RouteContext, iter_route_contexts

    router = APIRouter()

    @router.get("/public/{item_id:int}", tags=["public"])
    def public(item_id: int):
        return 1

    @router.get("/private", tags=["private"])
    def private():
        return 1

    @router.websocket("/ws")
    async def ws(websocket):
        pass

    app = FastAPI()
    app.include_router(router, prefix="/api")
    contexts = list(iter_route_contexts(app.routes))
    assert all(isinstance(c, RouteContext) for c in contexts) and list(iter_route_contexts(contexts)) == contexts
    by_path = {c.path: c for c in contexts}
    context = by_path["/api/public/{item_id:int}"]
    assert (context.path_format, context.name, context.methods, context.endpoint) == \
        ("/api/public/{item_id}", "public", {"GET"}, public)
    assert tuple(context.tags) == ("public",)
    assert context.original_route is context.route
    assert by_path["/api/ws"].methods is None and isinstance(by_path["/api/ws"].route, APIWebSocketRoute)
    chosen = [c for c in contexts if "public" in getattr(c, "tags", ())]
    schema = get_openapi(title="Public", version="1", routes=chosen)
    assert set(schema["paths"]) == {"/api/public/{item_id}"}
