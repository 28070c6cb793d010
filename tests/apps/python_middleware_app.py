"""Pure ASGI middleware and mounted ASGI apps on the native server (tests/middleware/test_python_middleware.py):
what the middleware sees (the scope, before and after routing; receive's messages), what it may change (request
headers, the body through a wrapped receive, the response head, the whole response) and streaming through it."""

import asyncio
import json

from starlette.applications import Starlette
from starlette.responses import JSONResponse as StarletteJSON
from starlette.routing import Route, WebSocketRoute

from astraapi import FastAPI, Request, WebSocket
from astraapi.middleware.base import BaseHTTPMiddleware
from astraapi.responses import PlainTextResponse, StreamingResponse

SCOPE_KEYS = ("type", "asgi", "http_version", "method", "scheme", "path", "raw_path", "root_path", "query_string",
              "headers", "client", "server", "state", "app")


class Recorder:
    """Records the scope it saw, before and after the app ran, in response headers; uppercases the request body
    through a wrapped receive; reports the message receive gives after the response."""

    def __init__(self, app, prefix: str = "x-rec") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        before = sorted(k for k in SCOPE_KEYS if k in scope)
        scope["headers"] = [*scope["headers"], (b"x-from-middleware", b"1")]

        async def upper_receive():
            message = await receive()
            if message["type"] == "http.request":
                message = {**message, "body": message.get("body", b"").upper()}
            return message

        async def wrapped_send(message):
            if message["type"] == "http.response.start":
                extra = [(b"x-scope-before", ",".join(before).encode()),
                         (b"x-scope-route", (getattr(scope.get("route"), "path", "") or "").encode()),
                         (b"x-scope-endpoint", getattr(scope.get("endpoint"), "__name__", "").encode()),
                         (b"x-scope-path-params", json.dumps(scope.get("path_params", {})).encode()),
                         (b"x-scope-router", str(scope.get("router") is not None).encode())]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, upper_receive if scope["path"] == "/upper" else receive, wrapped_send)


class WebSocketTagger:
    """Pure ASGI around WebSocket routes: sets state, tags each text frame the route sends."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        scope["state"]["tag"] = "ws-mw"

        async def tagged(message):
            if message["type"] == "websocket.send" and "text" in message:
                message = {**message, "text": message["text"] + "|tagged"}
            await send(message)

        await self.app(scope, receive, tagged)


class Replace:
    """Replaces the whole response for /replaced; streams its own body in three messages for /own-stream;
    reports what receive gives after the response for /after."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/replaced":
            await send({"type": "http.response.start", "status": 203, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"replaced by the middleware"})
            return
        if scope["type"] == "http" and scope["path"] == "/own-stream":
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
            for part in (b"one,", b"two,", b"three"):
                await send({"type": "http.response.body", "body": part, "more_body": True})
                await asyncio.sleep(0)
            await send({"type": "http.response.body", "body": b""})
            return
        if scope["type"] == "http" and scope["path"] == "/after":
            await self.app(scope, receive, send)
            first = await receive()
            second = await asyncio.wait_for(receive(), 5)
            scope["state"]["after"] = [first["type"], second["type"]]
            AFTER.append([first["type"], second["type"]])
            return
        await self.app(scope, receive, send)


AFTER: list = []


class Tagger(BaseHTTPMiddleware):
    def __init__(self, app, tag: str) -> None:
        super().__init__(app)
        self.tag = tag

    async def dispatch(self, request, call_next):
        request.state.tag = self.tag
        response = await call_next(request)
        response.headers["x-tag"] = self.tag
        return response


app = FastAPI()
app.add_middleware(Recorder)
app.add_middleware(Tagger, tag="outer-tag")
app.add_middleware(Replace)
app.add_middleware(WebSocketTagger)


@app.get("/items/{item_id}")
async def read_item(item_id: int, request: Request):
    return {"item_id": item_id, "from_middleware": request.headers.get("x-from-middleware"),
            "tag": request.state.tag}


@app.post("/upper")
async def upper(request: Request):
    return PlainTextResponse(await request.body())


@app.get("/stream")
def stream():
    def parts():
        for i in range(3):
            yield f"part {i};"
    return StreamingResponse(parts(), media_type="text/plain")


@app.get("/after")
async def after():
    return {"ok": True}


@app.get("/after-seen")
async def after_seen():
    return {"after": AFTER[-1] if AFTER else None}


@app.websocket("/ws-route")
async def ws_route(websocket: WebSocket):
    await websocket.accept()
    text = await websocket.receive_text()
    await websocket.send_text(f"route:{text}:{websocket.state.tag if hasattr(websocket.state, 'tag') else '-'}")
    await websocket.close(code=1001)


@app.get("/fails")
async def fails():
    raise RuntimeError("boom")


async def plain_asgi(scope, receive, send):
    body = json.dumps({"path": scope["path"], "root_path": scope["root_path"], "query": scope["query_string"].decode(),
                       "method": scope["method"]}).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def hello(request):
    return StarletteJSON({"path": request.url.path, "root_path": request.scope["root_path"]})


async def echo(websocket):
    await websocket.accept()
    text = await websocket.receive_text()
    await websocket.send_text(f"{websocket.scope['root_path']}:{text}")
    await websocket.close()


app.mount("/plain", plain_asgi)
app.mount("/star", Starlette(routes=[Route("/hello", hello), WebSocketRoute("/ws", echo)]))
