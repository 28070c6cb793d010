"""A WebSocket handshake to a mounted ASGI app: the app gets the `websocket` scope, and `receive` /
`send` are the connection's ASGI-style messages (astraapi.websockets.WebSocket drives the native
connection: accept, frames, close, a denial response)."""

from __future__ import annotations

from typing import Any

from astraapi.engine.responses import BodyThroughPython


async def serve_websocket(asgi_app: Any, scope: dict, native: Any, label: str) -> None:
    from astraapi.websockets import WebSocket, WebSocketState

    websocket = WebSocket(native, {}, app=scope.get("app"), state=scope.get("state"))
    try:
        await asgi_app(scope, websocket.receive, websocket.send)
    except Exception as error:  # what uvicorn does with it: 500 before accepting, else drop the connection
        from astraapi.engine.websocket import fail_websocket

        fail_websocket(websocket, error, label)
        return
    finally:
        if websocket.application_state != WebSocketState.DISCONNECTED:
            await websocket._finish()


class WebSocketBelow(BodyThroughPython):
    """The native request as the WebSocket route below a pure ASGI middleware sees it: the route's
    `ws_*` calls become ASGI messages sent through the middleware's `send`, and what the middleware's
    `receive` gives becomes the frames the route reads. Used by `asgi/bridge.py` AsgiEndpoint."""

    through_python = True

    def __init__(self, native: Any, state_dict: dict) -> None:
        import asyncio
        from collections import deque

        self._native = native
        self.state_dict = state_dict
        self.responded = False
        self.failed = False
        self.outbox: asyncio.Queue = asyncio.Queue()
        self._inbox: deque = deque()
        self._wake: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._native, name)

    @property
    def connected(self) -> bool:
        return bool(self._native.connected)

    def _end(self) -> None:
        self.outbox.put_nowait(None)

    def ws_accept(self, subprotocol: Any, headers: Any) -> None:
        self.responded = True
        self.outbox.put_nowait({"type": "websocket.accept", "subprotocol": subprotocol, "headers": list(headers)})

    def ws_send(self, data: bytes, binary: bool) -> int:
        message = {"type": "websocket.send", "bytes": bytes(data)} if binary else \
            {"type": "websocket.send", "text": bytes(data).decode("utf-8")}
        self.outbox.put_nowait(message)
        return 1

    def ws_close(self, code: int, reason: bytes) -> None:
        self.outbox.put_nowait({"type": "websocket.close", "code": code, "reason": bytes(reason).decode("utf-8")})
        self._end()

    def respond(self, status: int, headers: Any, body: bytes) -> bool:
        self.responded = True
        if status == 403 and not body:  # the route closed before accepting: uvicorn's 403
            self.outbox.put_nowait({"type": "websocket.close", "code": 1000})
        elif status == 500:  # an error below: raised to the middleware when it was recorded
            self.failed = True
        else:
            self.outbox.put_nowait({"type": "websocket.http.response.start", "status": status,
                                    "headers": list(headers or ())})
            self.outbox.put_nowait({"type": "websocket.http.response.body", "body": bytes(body)})
        self._end()
        return True

    def abort(self) -> None:
        self.failed = True
        self._end()

    def on_drain(self, callback: Any) -> None:
        import asyncio

        asyncio.get_running_loop().call_soon(callback)

    def ws_receive(self) -> Any:
        return self._inbox.popleft() if self._inbox else None

    def on_ws_message(self, callback: Any) -> None:
        self._wake = callback

    def deliver(self, message: dict) -> None:
        """A message from the middleware's `receive`, as the native connection would give it."""
        kind = message["type"]
        if kind == "websocket.receive":
            text = message.get("text")
            self._inbox.append((1, text.encode("utf-8")) if text is not None else (2, bytes(message.get("bytes") or b"")))
        elif kind == "websocket.disconnect":
            reason = message.get("reason") or ""
            self._inbox.append((8, int(message.get("code", 1000)), reason.encode("utf-8")))
        else:
            return
        wake, self._wake = self._wake, None
        if wake is not None:
            wake()


async def route_below(inner: Any, native: Any, state: dict, route_index: int, path_params: tuple,
                      receive: Any, send: Any) -> BaseException | None:
    """Run the WebSocket route below a pure ASGI middleware on its `receive` / `send`; the exception
    recorded below when the route failed (to raise to the middleware), else None."""
    import asyncio

    from astraapi.engine.responses import server_error_sink

    below = WebSocketBelow(native, state)
    captured: list = []
    token = server_error_sink.set(captured)
    try:
        inner(below, route_index, path_params)
    finally:
        server_error_sink.reset(token)

    async def read() -> None:
        connected = False
        while True:
            message = await receive()
            if message["type"] == "websocket.connect" and not connected:
                connected = True
                continue
            below.deliver(message)
            if message["type"] == "websocket.disconnect":
                return

    reader = None  # started once the handshake is answered (the native connection reads frames from then on)
    try:
        while True:
            message = await below.outbox.get()
            if message is None:
                break
            await send(message)
            if reader is None:
                reader = asyncio.get_running_loop().create_task(read())
    finally:
        if reader is not None:
            reader.cancel()
    if below.failed and captured:
        return captured[0]
    if below.failed:
        return RuntimeError("the WebSocket route below the middleware failed")
    return None
