"""Under an ASGI server the request body is read when something asks for it, as Starlette reads it: a route
without body parameters whose code never reads the body makes no `receive` call before it answers, a
WebSocket handshake's `websocket.connect` is read when the route accepts (dependencies run before), and a
body read on demand keeps its limit (413) and its bytes."""

from __future__ import annotations

import anyio
import httpx
import pytest

from astraapi import Body, Depends, FastAPI, HTTPException, Request, WebSocket
from astraapi.responses import StreamingResponse

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request):
    return request.param


class Recorder:
    """An ASGI connection: the messages `receive` gives, in order, and what the app sent."""

    def __init__(self, messages):
        self.messages = list(messages)
        self.calls = 0
        self.sent = []

    async def receive(self):
        self.calls += 1
        if self.messages:
            return self.messages.pop(0)
        await anyio.sleep_forever()

    async def send(self, message):
        self.sent.append(message)


def _http_scope(method: str, path: str, headers=()) -> dict:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "path": path,
            "root_path": "", "query_string": b"", "headers": list(headers)}


def _answer(sent) -> tuple[int, bytes]:
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


async def test_route_that_does_not_read_the_body_never_calls_receive(anyio_backend):
    app = FastAPI()
    seen = []

    def dependency(request: Request):
        seen.append(request.headers.get("x-a"))
        return 1

    @app.post("/plain")
    async def plain(value: int = Depends(dependency)):
        return {"value": value}

    @app.get("/failing")
    async def failing(value: int = Depends(dependency)):
        raise HTTPException(418, "no")

    for path, status, body in (("/plain", 200, b'{"value":1}'), ("/failing", 418, b'{"detail":"no"}'),
                               ("/missing", 404, b'{"detail":"Not Found"}')):
        conn = Recorder([{"type": "http.request", "body": b"ignored", "more_body": False}])
        await app(_http_scope("POST" if path == "/plain" else "GET", path, [(b"x-a", b"1")]), conn.receive, conn.send)
        assert _answer(conn.sent) == (status, body)
        assert conn.calls == 0, path
    assert seen == ["1", "1"]


async def test_body_read_on_demand_in_pieces(anyio_backend):
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request):
        return {"body": (await request.body()).decode(), "json": await request.json()}

    conn = Recorder([{"type": "http.request", "body": b'{"a":', "more_body": True},
                     {"type": "http.request", "body": b"1}", "more_body": False}])
    await app(_http_scope("POST", "/echo"), conn.receive, conn.send)
    assert _answer(conn.sent) == (200, b'{"body":"{\\"a\\":1}","json":{"a":1}}')
    assert conn.calls >= 2


async def test_body_parameter_and_on_demand_read_keep_the_limit(anyio_backend):
    app = FastAPI(max_body_size=5)

    @app.post("/raw")
    async def raw(request: Request):
        return {"size": len(await request.body())}

    @app.post("/model")
    async def model(payload: dict = Body()):
        return payload

    for path in ("/raw", "/model"):
        conn = Recorder([{"type": "http.request", "body": b'{"a":"0123456789"}', "more_body": False}])
        await app(_http_scope("POST", path), conn.receive, conn.send)
        assert _answer(conn.sent) == (413, b'{"detail":"Content Too Large"}'), path
    conn = Recorder([{"type": "http.request", "body": b"{}", "more_body": False}])
    await app(_http_scope("POST", "/raw"), conn.receive, conn.send)
    assert _answer(conn.sent) == (200, b'{"size":2}')


async def test_httpx_transport_body_sent_to_a_route_that_ignores_it(anyio_backend):
    app = FastAPI()

    @app.post("/ignore")
    async def ignore():
        return "ok"

    @app.post("/stream")
    async def stream():
        async def chunks():
            yield b"a"
            yield b"b"
        return StreamingResponse(chunks())

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        assert (await client.post("/ignore", content=b"x" * 100_000)).json() == "ok"
        assert (await client.post("/stream", content=b"y" * 1000)).content == b"ab"


async def test_websocket_connect_is_read_when_the_route_accepts():
    app = FastAPI()

    def deny():
        raise HTTPException(403, "denied")

    @app.websocket("/denied")
    async def denied(websocket: WebSocket, _=Depends(deny)):
        await websocket.accept()

    @app.websocket("/echo")
    async def echo(websocket: WebSocket):
        await websocket.accept()
        text = await websocket.receive_text()
        await websocket.send_text(text.upper())
        await websocket.close()

    scope = {"type": "websocket", "asgi": {"version": "3.0"}, "http_version": "1.1", "path": "/denied",
             "root_path": "", "query_string": b"", "headers": [], "scheme": "ws", "subprotocols": []}
    conn = Recorder([{"type": "websocket.connect"}])
    with anyio.fail_after(5):
        await app(scope, conn.receive, conn.send)
    assert conn.calls == 0
    assert [m["type"] for m in conn.sent] == ["websocket.close"]

    conn = Recorder([{"type": "websocket.connect"}, {"type": "websocket.receive", "text": "hi"},
                     {"type": "websocket.disconnect", "code": 1000}])
    with anyio.fail_after(5):
        await app({**scope, "path": "/echo"}, conn.receive, conn.send)
    assert [m["type"] for m in conn.sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert conn.sent[1]["text"] == "HI"

