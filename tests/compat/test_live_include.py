"""Live router inclusion (FastAPI 0.165's include_router, astraapi/_routing/include.py): what an app
serves follows the included routers as they change, through the test client's real server; the
inclusion's API (`_IncludedRouter`, RouteContext, url_path_for); and the clear error once a natively
served app's routes change. Both serving modes of the same behaviour: tests/apps/compat_live_include_app.py
in the example-app set (tests/compat/test_example_apps.py)."""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager

import pytest

from astraapi import APIRouter, Depends, FastAPI, Request, Response
from astraapi.routing import APIRoute, _IncludedRouter, iter_route_contexts
from astraapi.testclient import TestClient


def test_a_route_added_after_the_first_request_is_served_and_documented():
    calls = []
    router = APIRouter()
    app = FastAPI()
    app.include_router(router, prefix="/api", tags=["inc"], dependencies=[Depends(lambda: calls.append("dep"))])
    client = TestClient(app)
    assert client.get("/api/later").status_code == 404
    assert "/api/later" not in client.get("/openapi.json").json()["paths"]

    @router.get("/later")
    def later():
        return {"later": True}

    assert client.get("/api/later").json() == {"later": True}
    assert calls == ["dep"]
    assert client.get("/openapi.json").json()["paths"]["/api/later"]["get"]["tags"] == ["inc"]


def test_a_route_added_inside_the_lifespan_is_served_with_the_lifespan_state():
    @asynccontextmanager
    async def lifespan(app):
        yield {"answer": 42}

    router = APIRouter()
    app = FastAPI(lifespan=lifespan)
    app.include_router(router, prefix="/api")

    @router.get("/first")
    def first():
        return 1

    with TestClient(app) as client:
        assert client.get("/api/first").json() == 1
        nested = APIRouter()
        router.include_router(nested, prefix="/nested")

        @nested.get("/second")
        def second(request: Request):
            return request.state.answer

        assert client.get("/api/nested/second").json() == 42
        assert client.get("/api/first").json() == 1


def test_nested_and_repeated_inclusions_each_serve_the_route():
    shared = APIRouter()
    parent = APIRouter()
    parent.include_router(shared, prefix="/a")
    parent.include_router(shared, prefix="/b")
    app = FastAPI()
    app.include_router(parent, prefix="/v1")
    app.include_router(parent, prefix="/v2")

    @shared.get("/items", name="items")
    def items(request: Request):
        return request.scope["fastapi"]["effective_route_context"].path

    client = TestClient(app)
    for prefix in ("/v1/a", "/v1/b", "/v2/a", "/v2/b"):
        assert client.get(prefix + "/items").json() == prefix + "/items"
    assert app.url_path_for("items") == "/v1/a/items"
    assert parent.routes[1].url_path_for("items") == "/b/items"
    contexts = list(iter_route_contexts(app.routes))
    assert [c.path for c in contexts if c.name == "items"] == ["/v1/a/items", "/v1/b/items", "/v2/a/items",
                                                               "/v2/b/items"]
    assert all(c.original_route is shared.routes[0] for c in contexts if c.name == "items")


def test_the_declared_route_class_builds_the_handler():
    class Counting(APIRoute):
        calls = 0

        def get_route_handler(self):
            handler = super().get_route_handler()

            async def counted(request):
                self.calls += 1
                return await handler(request)
            return counted

    router = APIRouter(route_class=Counting)

    @router.get("/x")
    def x():
        return "x"

    app = FastAPI()
    app.include_router(router, prefix="/p")
    assert TestClient(app).get("/p/x").json() == "x"
    assert router.routes[0].calls == 1


def test_inclusion_cycles_are_refused():
    parent, child, grandchild = APIRouter(), APIRouter(), APIRouter()
    parent.include_router(child, prefix="/c")
    child.include_router(grandchild, prefix="/g")
    with pytest.raises(AssertionError, match="already includes this router"):
        grandchild.include_router(parent, prefix="/p")
    with pytest.raises(AssertionError, match="into itself"):
        parent.include_router(parent)


def test_the_effective_routes_are_cached_until_a_router_changes():
    router = APIRouter()
    app = FastAPI()
    app.include_router(router)
    included = app.router.routes[-1]
    assert isinstance(included, _IncludedRouter)
    results = []
    barrier = threading.Barrier(4)

    def build():
        barrier.wait()
        results.append(included.effective_candidates())

    threads = [threading.Thread(target=build) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(result is results[0] for result in results)

    @router.get("/new")
    def new():
        return 1

    assert included.effective_candidates() is not results[0]
    assert [route.path for route in included.effective_candidates()] == ["/new"]


def test_a_route_added_after_the_native_server_started_is_refused():
    from astraapi._routing import include

    router = APIRouter()
    app = FastAPI()
    app.include_router(router, prefix="/api")
    include.serving_natively(app.router)
    try:
        with pytest.raises(RuntimeError, match="added after the server started"):
            @router.get("/later")
            def later():
                return 1
        other = APIRouter()  # a router the served app does not include: no refusal

        @other.get("/free")
        def free():
            return 1
    finally:
        include._natively_served.discard(app.router)


def test_router_default_is_accepted():
    async def fallback(scope, receive, send):
        pass

    assert APIRouter(default=fallback).default is fallback
    with pytest.raises(TypeError, match="not an ASGI application"):
        APIRouter(default="nope")


def test_a_dependency_signature_given_with_string_annotations_is_evaluated_in_its_module():
    # strawberry's GraphQLRouter (included as a router) sets such a `__signature__` on its context dependency
    import inspect

    def getter():
        return 1

    async def dependency(custom: int, response: "Response" = None):
        return [custom, response is not None]

    signature = inspect.signature(dependency)
    dependency.__signature__ = signature.replace(parameters=[
        signature.parameters["response"], signature.parameters["custom"].replace(default=Depends(getter))])
    router = APIRouter()

    @router.get("/")
    async def endpoint(value=Depends(dependency)):
        return value

    app = FastAPI()
    app.include_router(router, prefix="/graphql")
    assert TestClient(app).get("/graphql/").json() == [1, True]


def test_low_priority_routes_of_an_included_router_answer_after_every_route():
    def fallback(name: str):
        return {"low": name}

    router = APIRouter()

    @router.get("/items/{item_id}")
    def item(item_id: int):
        return {"item": item_id}

    router._low_priority_routes.append(APIRoute("/{name}", fallback, methods=["GET"]))
    router._mark_routes_changed()
    app = FastAPI()
    app.include_router(router, prefix="/api")
    client = TestClient(app)
    assert client.get("/api/items/3").json() == {"item": 3}
    assert client.get("/api/other").json() == {"low": "other"}
    assert "/api/{name}" not in client.get("/openapi.json").json()["paths"]


def test_the_frontend_route_group_outside_an_app(tmp_path):
    import asyncio

    from astraapi.exceptions import HTTPException

    (tmp_path / "index.html").write_text("shell")
    app = FastAPI()
    app.frontend("/app", directory=tmp_path)
    group = app.router._frontend_routes
    assert group.routes[0].app is app.router.frontends[0].app
    match, child = group.matches_with_prefix({"type": "http", "path": "/p/app/x", "method": "GET"}, "/p")
    assert match.value == 2 and child["fastapi"]["frontend_path"] == "x"
    assert group.matches({"type": "websocket", "path": "/app"})[0].value == 0
    messages = []

    async def receive():
        await asyncio.sleep(3600)  # the files answer without reading a body

    async def send(message):
        messages.append(message)

    scope = {"type": "http", "http_version": "1.1", "method": "GET", "scheme": "http", "path": "/app/",
             "root_path": "", "query_string": b"", "headers": [(b"accept", b"text/html")],
             "client": ("127.0.0.1", 1), "server": ("testserver", 80)}
    asyncio.run(asyncio.wait_for(group.handle(scope, receive, send), 30))
    assert messages[0]["status"] == 200 and b"".join(m.get("body", b"") for m in messages[1:]) == b"shell"
    with pytest.raises(HTTPException) as raised:
        asyncio.run(group.handle({"type": "http", "path": "/missing", "method": "GET"}, receive, send))
    assert raised.value.status_code == 404
