"""What instrumentation libraries read from an ASGI app, as FastAPI gives it: the scope after routing
(`route`, `endpoint`, `path_params`, `router`, `app`), `route.matches(scope)` with Starlette's Match
semantics, `route.path_format`, `app.url_path_for`, and `app.middleware_stack` /
`app.build_middleware_stack()` (replaced by a wrapper, as OpenTelemetry's instrument_app does). Also
`root_path` from the scope, against FastAPI."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from astraapi import FastAPI, Request, WebSocket

starlette_routing = pytest.importorskip("starlette.routing")
fastapi = pytest.importorskip("fastapi")


def _app():
    app = FastAPI()

    @app.get("/items/{item_id:int}")
    async def read_item(item_id: int, request: Request):
        return {"item_id": item_id, "url": str(request.url), "base": str(request.base_url)}

    @app.get("/files/{name:path}", name="files")
    def read_file(name: str):
        return {"name": name}

    @app.websocket("/ws/{room}")
    async def ws(websocket: WebSocket, room: str):
        await websocket.accept()
        await websocket.close()

    return app


class ScopeRecorder:
    """A pure ASGI middleware that keeps each scope it saw (read after the app answered)."""

    def __init__(self, app):
        self.app = app
        self.scopes = []

    async def __call__(self, scope, receive, send):
        self.scopes.append(scope)
        await self.app(scope, receive, send)


async def _get(app, path: str, **transport_options) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, **transport_options)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path, follow_redirects=False)


def test_scope_after_routing_is_starlettes():
    app = _app()
    recorder = ScopeRecorder(app.build_middleware_stack())
    app.middleware_stack = recorder  # what OpenTelemetry's FastAPIInstrumentor does
    response = asyncio.run(_get(app, "/items/7"))
    assert response.json()["item_id"] == 7
    scope = recorder.scopes[-1]
    route = scope["route"]
    assert route is app.routes[-3] and route in app.router.routes
    assert route.path == "/items/{item_id:int}" and route.path_format == "/items/{item_id}"
    assert scope["endpoint"] is route.endpoint
    assert scope["path_params"] == {"item_id": 7}
    assert scope["router"] is app.router and scope["app"] is app
    assert scope["asgi"]["version"] == "3.0"
    asyncio.run(_get(app, "/files/a/b.txt"))
    assert recorder.scopes[-1]["path_params"] == {"name": "a/b.txt"}
    assert app.url_path_for("files", name="a/b.txt") == "/files/a/b.txt"
    asyncio.run(_get(app, "/nowhere"))
    assert "route" not in recorder.scopes[-1]


@pytest.mark.parametrize("scope", [
    {"type": "http", "path": "/items/3", "method": "GET"},
    {"type": "http", "path": "/items/3", "method": "POST"},
    {"type": "http", "path": "/items/x", "method": "GET"},
    {"type": "http", "path": "/api/items/3", "method": "GET", "root_path": "/api"},
    {"type": "websocket", "path": "/items/3"},
    {"type": "http", "path": "/files/a/b", "method": "GET"},
    {"type": "websocket", "path": "/ws/blue"},
    {"type": "http", "path": "/ws/blue", "method": "GET"},
])
def test_route_matches_as_starlette(scope):
    ours = _app()
    theirs = {"/items/{item_id:int}": starlette_routing.Route("/items/{item_id:int}", lambda r: None, methods=["GET"]),
              "/files/{name:path}": starlette_routing.Route("/files/{name:path}", lambda r: None, methods=["GET"]),
              "/ws/{room}": starlette_routing.WebSocketRoute("/ws/{room}", lambda w: None)}
    for route in ours.routes:
        if route.path not in theirs:
            continue
        match, child = route.matches(dict(scope))
        want, want_child = theirs[route.path].matches(dict(scope))
        assert match is want  # starlette.routing is imported: its own enum members
        assert child.get("path_params") == want_child.get("path_params")


def test_root_path_from_the_scope_as_fastapi(tmp_path):
    reference = fastapi.FastAPI()

    @reference.get("/items/{item_id:int}")
    async def read_item(item_id: int, request: fastapi.Request):
        return {"item_id": item_id, "url": str(request.url), "base": str(request.base_url)}

    for path in ("/api/items/7", "/items/7", "/api/items/7/"):
        want = asyncio.run(_get(reference, path, root_path="/api"))
        got = asyncio.run(_get(_app(), path, root_path="/api"))
        assert (got.status_code, got.headers.multi_items(), got.content) == \
            (want.status_code, want.headers.multi_items(), want.content), path
