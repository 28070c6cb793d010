"""What FastAPI's in-process TestClient gives that a client of a real server has to carry over: the test's
context variables, `root_path=`, plain ASGI callables, Starlette's exception classes, the response sent
before a failure, and the route in `request.scope`."""

from __future__ import annotations

import contextvars

import pytest

from astraapi import FastAPI, Request, Security, WebSocket
from astraapi.responses import PlainTextResponse, StreamingResponse
from astraapi.security import HTTPBearer
from astraapi.testclient import TestClient, WebSocketDenialResponse
from astraapi.websockets import WebSocketDisconnect

state: contextvars.ContextVar[dict] = contextvars.ContextVar("state")


def test_context_variables_reach_the_app_and_are_shared():
    app = FastAPI()

    @app.get("/")
    async def read():
        state.get()["seen"] = True
        return state.get()["name"]

    @app.websocket("/ws")
    async def ws(websocket: WebSocket):
        await websocket.accept()
        state.get()["ws"] = True
        await websocket.close()

    client = TestClient(app)
    state.set({"name": "first"})
    assert client.get("/").json() == "first"
    values = {"name": "second"}
    state.set(values)
    assert client.get("/").json() == "second"
    assert values["seen"] is True  # the app's change is the test's object
    with client.websocket_connect("/ws") as websocket:
        with pytest.raises(WebSocketDisconnect):
            websocket.receive_text()
    assert values["ws"] is True


def test_root_path_per_client():
    app = FastAPI()

    @app.get("/app")
    def read(request: Request):
        return {"root_path": request.scope["root_path"], "base_url": str(request.base_url)}

    assert TestClient(app, root_path="/api/v1").get("/app").json() == {
        "root_path": "/api/v1", "base_url": "http://testserver/api/v1/"}
    servers = TestClient(app, root_path="/api/v1").get("/openapi.json").json()["servers"]
    assert servers == [{"url": "/api/v1"}]
    # another client of the same app (the same server) has none
    assert TestClient(app).get("/app").json()["root_path"] == ""
    assert "servers" not in TestClient(app).get("/openapi.json").json()
    assert "/api/v1/openapi.json" in TestClient(app, root_path="/api/v1").get("/docs").text


def test_root_path_argument_is_deprecated():
    from astraapi.exceptions import FastAPIDeprecationWarning

    with pytest.warns(FastAPIDeprecationWarning, match="root path"):
        app = FastAPI(root_path="/api/v1")

    @app.get("/app")
    def read(request: Request):
        return request.scope["root_path"]

    assert TestClient(app).get("/app").json() == "/api/v1"


def test_plain_asgi_application():
    events = []

    async def asgi(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                events.append(message["type"])
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = f"{scope['method']} {scope['path']} {scope['server'][0]}".encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": body})

    with TestClient(asgi, base_url="http://listener:8000") as client:
        assert client.get("/some/path").text == "GET /some/path listener"
    assert events == ["lifespan.startup", "lifespan.shutdown"]


def test_exceptions_are_starlette_classes_too():
    starlette_testclient = pytest.importorskip("starlette.testclient")
    import starlette.websockets

    app = FastAPI()

    @app.websocket("/secure")
    async def secure(websocket: WebSocket, credentials=Security(HTTPBearer())):
        await websocket.accept()

    @app.websocket("/closes")
    async def closes(websocket: WebSocket):
        await websocket.accept()
        await websocket.close(code=4000)

    with TestClient(app) as client:
        with pytest.raises(starlette_testclient.WebSocketDenialResponse) as denied:
            with client.websocket_connect("/secure"):
                pass
        assert isinstance(denied.value, WebSocketDenialResponse)
        assert denied.value.status_code == 401
        assert denied.value.json() == {"detail": "Not authenticated"}
        with client.websocket_connect("/closes") as websocket:
            with pytest.raises(starlette.websockets.WebSocketDisconnect) as closed:
                websocket.receive_text()
        assert isinstance(closed.value, WebSocketDisconnect) and closed.value.code == 4000


def test_app_catches_starlette_websocket_disconnect():
    starlette_websockets = pytest.importorskip("starlette.websockets")
    app = FastAPI()
    caught = []

    @app.websocket("/ws")
    async def ws(websocket: WebSocket):
        await websocket.accept()
        try:
            await websocket.receive_text()
        except starlette_websockets.WebSocketDisconnect as error:
            caught.append(error.code)

    with TestClient(app) as client:
        with client.websocket_connect("/ws") as websocket:
            websocket.close(code=1001)
    assert caught == [1001]


def test_abnormal_close_reaches_the_app_as_1006():
    app = FastAPI()

    @app.websocket("/ws")
    async def ws(websocket: WebSocket):
        await websocket.accept()
        await websocket.receive_text()

    with pytest.raises(WebSocketDisconnect) as caught:
        with TestClient(app).websocket_connect("/ws") as websocket:
            websocket.close(code=1006)
    assert caught.value.code == 1006


def test_response_sent_before_a_failure():
    app = FastAPI()

    @app.get("/")
    async def endpoint():
        async def stream():
            yield "start"
            raise ValueError("after the response started")

        return StreamingResponse(stream())

    response = TestClient(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 200
    assert response.text == "start"
    with pytest.raises(ValueError, match="after the response started"):
        TestClient(app).get("/")


def test_route_in_scope():
    app = FastAPI()

    @app.get("/users/{user_id}")
    async def user(user_id: str, request: Request):
        route = request.scope["route"]
        return {"path": route.path, "endpoint": request.scope["endpoint"] is user,
                "params": request.scope["path_params"]}

    @app.websocket("/items/{item_id}")
    async def item(websocket: WebSocket, item_id: str):
        await websocket.accept()
        await websocket.send_json({"path": websocket.scope["route"].path})
        await websocket.close()

    client = TestClient(app)
    assert client.get("/users/rick").json() == {"path": "/users/{user_id}", "endpoint": True,
                                                "params": {"user_id": "rick"}}
    with client.websocket_connect("/items/gun") as websocket:
        assert websocket.receive_json() == {"path": "/items/{item_id}"}


def test_response_is_an_asgi_application():
    app = FastAPI()

    class Middleware:
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            if scope["type"] == "http" and scope["path"] == "/short":
                await PlainTextResponse("from the middleware", status_code=203)(scope, receive, send)
                return
            await self.app(scope, receive, send)

    app.add_middleware(Middleware)

    @app.get("/short")
    def never():
        raise AssertionError("the middleware answers")

    response = TestClient(app).get("/short")
    assert response.status_code == 203
    assert response.text == "from the middleware"


def test_sse_keepalive_interval_is_read_from_routing(monkeypatch):
    import time

    import astraapi.routing
    from astraapi.sse import EventSourceResponse

    app = FastAPI()

    @app.get("/events", response_class=EventSourceResponse)
    def events():
        yield {"n": 1}
        time.sleep(0.3)
        yield {"n": 2}

    monkeypatch.setattr(astraapi.routing, "_PING_INTERVAL", 0.05)
    text = TestClient(app).get("/events").text
    assert ": ping\n" in text
    assert len([line for line in text.split("\n") if line.startswith("data: ")]) == 2
