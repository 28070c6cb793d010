"""WebSocket scopes through `await app(scope, receive, send)`: the messages AstraAPI sends are FastAPI's
for the same app (accept, echoes, the close code and reason, a close before accepting, a validation error's
1008, a path no route takes)."""


import asyncio
import importlib

import pytest

pytest.importorskip("fastapi")


def make_app(framework: str):
    package = importlib.import_module(framework)
    app = package.FastAPI()
    WebSocket = package.WebSocket

    async def echo(websocket: WebSocket, room: str):
        await websocket.accept(subprotocol="chat")
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") == "bye":
                await websocket.close(code=4001, reason="bye yourself")
                return
            await websocket.send_text(f"{room}: {message.get('text')}")

    async def refuse(websocket: WebSocket):
        await websocket.close(code=4003, reason="not you")

    async def typed(websocket: WebSocket, n: int):
        await websocket.accept()
        await websocket.send_json({"n": n})
        await websocket.close()

    app.add_api_websocket_route("/echo/{room}", echo)
    app.add_api_websocket_route("/refuse", refuse)
    app.add_api_websocket_route("/typed", typed)
    return app


async def _session(app, path: str, query: bytes, incoming: list) -> list:
    scope = {"type": "websocket", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
             "scheme": "ws", "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
             "headers": [(b"host", b"testserver"), (b"sec-websocket-protocol", b"chat")],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80), "subprotocols": ["chat"], "state": {}}
    queue: asyncio.Queue = asyncio.Queue()
    for message in [{"type": "websocket.connect"}, *incoming]:
        queue.put_nowait(message)
    sent: list = []

    async def receive():
        return await queue.get()

    async def send(message):
        sent.append({k: v for k, v in message.items() if k != "headers" or v})
        if message["type"] == "websocket.close":
            queue.put_nowait({"type": "websocket.disconnect", "code": message.get("code", 1000)})

    try:
        await asyncio.wait_for(app(scope, receive, send), 5)
    except Exception as error:  # noqa: BLE001 - compared: the type the app raised, if any
        sent.append({"raised": type(error).__name__})
    return sent


CASES = [
    ("/echo/blue", b"", [{"type": "websocket.receive", "text": "hi"}, {"type": "websocket.receive", "text": "bye"}]),
    ("/echo/red", b"", [{"type": "websocket.receive", "text": "x"}, {"type": "websocket.disconnect", "code": 1001}]),
    ("/refuse", b"", []),
    ("/typed", b"n=3", []),
    ("/typed", b"n=x", []),
    ("/nowhere", b"", []),
]


@pytest.mark.parametrize(("path", "query", "incoming"), CASES)
def test_websocket_messages_as_fastapi(path, query, incoming):
    want = asyncio.run(_session(make_app("fastapi"), path, query, incoming))
    got = asyncio.run(_session(make_app("astraapi"), path, query, incoming))
    assert got == want
