"""The native request's interface (docs/internals.md, "The handler contract", "Streamed answers",
docs/websockets.md) on top of an ASGI connection, so that the executor, the native middlewares
and the WebSocket engine run unchanged under an ASGI server.

The engine answers synchronously (`respond`, `start_response`, `send`, `end` are plain calls,
made from the event loop), ASGI's `send` is a coroutine: answers are queued as ASGI messages and
`pump(send)`, awaited by the ASGI call, sends them in order. Backpressure is the native server's:
`send` returns False once more than `HIGH_WATER` bytes wait, `on_drain` callbacks run when the
queue is empty or the client left. Framing is the ASGI server's (no `transfer-encoding` is added
here), and a HEAD answer's body is sent as Starlette sends it (the server drops it).

`send_file(fd, segments, tail)` reads the file in the thread pool in `FileResponse.chunk_size`
pieces (the server's sendfile(2) path does not exist here).
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from typing import Any, Callable

from astraapi.engine.responses import ServerErrorHeaders

HIGH_WATER = 256 * 1024
_DEFAULT_JSON = b"application/json"
_FILE_CHUNK = 64 * 1024


class ClientGone(Exception):
    """The ASGI server reported that the client left (an OSError from `send`, or http.disconnect)."""


class ASGIRequest:
    """One HTTP request of an ASGI `http` scope, as the engine sees a native request."""

    __slots__ = ("scope", "method", "path", "raw_path", "query_string", "headers", "_body", "client",
                 "http_version", "scheme", "responded", "connected", "_out", "_pending",
                 "_wake", "_kicked", "_finished", "_aborted", "_drain", "_status", "_started", "hold_errors", "held",
                 "in_caller", "asgi_send", "_receive", "_limit", "_loading", "_lost", "body_whole", "listen_with",
                 "_listener", "_sending")

    @property
    def root_path(self) -> str:
        """The scope's (a mount the request is below updates the scope, as Starlette's router does)."""
        return self.scope.get("root_path", "")

    def __init__(self, scope: dict[str, Any], body: bytes, receive: Any = None, limit: int | None = None) -> None:
        """`body`: the body read before the handler runs; or, with `receive`, read when something asks for it
        (`load_body`), as Starlette reads it: no `receive` call for a request nothing reads the body of."""
        self.scope = scope
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        raw_path = scope.get("raw_path")
        self.raw_path: bytes = raw_path if raw_path is not None else self.path.encode("utf-8")
        self.query_string: bytes = scope.get("query_string", b"")
        self.headers: list[tuple[bytes, bytes]] = [(bytes(name), bytes(value)) for name, value in scope["headers"]]
        self._body = body
        self._receive = receive
        self._limit = limit
        self._loading: asyncio.Event | None = None
        self._lost = False
        self.body_whole = receive is None  # the whole body was read (not stopped past the limit)
        self.listen_with: Callable[[], Any] | None = None  # starts the disconnect listener (astraapi.asgi.app)
        self._listener: Any = None
        self._sending = False  # a message is being sent (by `pump` or `flush`: one sender at a time keeps the order)
        client = scope.get("client")
        self.client = tuple(client) if client else None
        self.http_version: str = scope.get("http_version", "1.1")
        self.scheme: str = scope.get("scheme", "http")
        self.responded = False
        self.connected = True
        self._out: deque[Any] = deque()
        self._pending = 0
        self._wake: asyncio.Future[None] | None = None
        self._kicked = False
        self._finished = False
        self._aborted = False
        self._drain: list[Callable[[], Any]] = []
        self._status = 0
        self._started = False
        self.hold_errors = False  # keep ServerErrorMiddleware's answer in `held` (astraapi.asgi.app)
        self.held: tuple | None = None
        self.in_caller = False  # served in the ASGI call's task: the engine flushes what it answers
        self.asgi_send: Any = None

    # ------------------------------------------------------------------ the body

    @property
    def body(self) -> bytes:
        if self._receive is not None:
            raise RuntimeError("the request body is read on demand under ASGI and was not read yet: "
                               "`await native.load_body()` before reading `native.body` (astraapi.asgi.request)")
        return self._body

    @body.setter
    def body(self, value: bytes) -> None:
        self._body = value
        self._receive = None

    @property
    def body_pending(self) -> bool:
        return self._receive is not None

    async def load_body(self) -> None:
        """Read the body from `receive` now (once; a second reader waits for the first), stopping once more
        than the limit came as Starlette's limiter does (the engine then answers 413 from its length).
        Raises ClientGone when the client disconnected first. Then the disconnect listener may start."""
        receive = self._receive
        if receive is None:
            if self._lost:
                raise ClientGone("the client disconnected before it sent the whole request body")
            return
        if self._loading is not None:
            await self._loading.wait()
            await self.load_body()
            return
        self._loading = asyncio.Event()
        try:
            body, whole = await read_body(receive, self._limit)
        finally:
            self._loading.set()
        self._receive = None
        if body is None:
            self._lost = True
            self._body = b""
            self.disconnected()
            raise ClientGone("the client disconnected before it sent the whole request body")
        self._body = body
        self.body_whole = whole
        self.start_listening()

    def start_listening(self, *, reading: bool = False) -> None:
        """Start the disconnect listener (once), if the ASGI call gave one: once the body was read whole; with
        `reading`, also before it was read (a streamed answer, `is_disconnected()`: the listener reads it first)."""
        if self._listener is None and self.listen_with is not None and (
                self.body_whole or (reading and self._receive is not None)):
            self._listener = self.listen_with()

    def stop_listening(self) -> None:
        listener, self._listener = self._listener, False
        if listener:
            listener.cancel()

    # ------------------------------------------------------------------ the handler contract

    def respond(self, status: int, headers: Any, body: bytes) -> bool:
        if self.responded or self._finished:
            return False
        if self.hold_errors and isinstance(headers, ServerErrorHeaders):
            self.responded = self._finished = True
            self.held = (int(status), list(headers), bytes(body))
            self._kick()
            return self.connected
        if headers is None:
            headers = [(b"content-length", str(len(body)).encode("latin-1")), (b"content-type", _DEFAULT_JSON)]
        self.responded = True
        self._queue({"type": "http.response.start", "status": int(status), "headers": list(headers)})
        self._queue({"type": "http.response.body", "body": bytes(body), "more_body": False})
        self._finished = True
        self._kick()
        return self.connected

    def start_response(self, status: int, headers: Any) -> bool:
        if self.responded or self._finished:
            raise RuntimeError("the response has already started")
        self.responded = True
        self._started = True
        self._status = int(status)
        self._queue({"type": "http.response.start", "status": int(status), "headers": list(headers)})
        self._kick()
        self.start_listening(reading=True)  # a stream stops when the client leaves
        return self.connected

    def send(self, chunk: bytes) -> bool:
        if not self._started or self._finished:
            raise RuntimeError("send() outside a started response")
        if not self.connected:
            return False
        if chunk:
            data = bytes(chunk)
            self._pending += len(data)
            self._queue({"type": "http.response.body", "body": data, "more_body": True})
            self._kick()
        return self._pending <= HIGH_WATER and self.connected

    def send_file(self, fd: int, segments: Any, tail: bytes = b"") -> int:
        if not self._started or self._finished:
            raise RuntimeError("send_file() outside a started response")
        if self.method == "HEAD" or self._status in (204, 304):
            return 1
        if not self.connected:
            return -1
        self._queue(_FileBody(os.dup(fd), list(segments), bytes(tail)))
        self._kick()
        return 0

    def end(self) -> bool:
        if self._finished:
            return False
        self._queue({"type": "http.response.body", "body": b"", "more_body": False})
        self._finished = True
        self._kick()
        return self.connected

    def abort(self) -> None:
        """The producer failed after the head: the ASGI call raises, so the server closes the connection."""
        self._aborted = True
        self._finished = True
        self._kick()

    def on_drain(self, callback: Callable[[], Any]) -> None:
        self._drain.append(callback)
        if not self._out or not self.connected:
            self._run_drain()

    # ------------------------------------------------------------------ the ASGI side

    @property
    def finished(self) -> bool:
        return self._finished

    @property
    def aborted(self) -> bool:
        return self._aborted

    def disconnected(self) -> None:
        """The client left (http.disconnect, or the server's send failed)."""
        if not self.connected:
            return
        self.connected = False
        for item in self._out:
            if isinstance(item, _FileBody):
                os.close(item.fd)
        self._out.clear()
        self._pending = 0
        self._run_drain()
        self._kick()

    async def pump(self, send: Any) -> None:
        """Send what the engine queued, in order, until the answer is complete, aborted, or the
        client left."""
        loop = asyncio.get_running_loop()
        while True:
            while self._out and self.connected and not self._aborted and not self._sending:
                item = self._out.popleft()
                self._sending = True
                try:
                    sent = await self._send_item(send, item, loop)
                finally:
                    self._sending = False
                if not sent:
                    break
                if not self._out:
                    self._run_drain()
            if self._aborted or not self.connected or (self._finished and not self._out):
                return
            self._wake = loop.create_future()
            try:
                await self._wake
            finally:
                self._wake = None

    async def flush(self) -> None:
        """Send what is queued now, in the caller's task (a request served in the ASGI call's task:
        Executor.run_in_caller): no task beside it, no event-loop primitive, so any anyio backend runs it.
        While `pump` is sending (an engine task answers while the ASGI call pumps), it sends this too."""
        if self._sending:
            return
        send = self.asgi_send
        self._sending = True
        try:
            while self._out and self.connected and not self._aborted:
                if not await self._send_item(send, self._out.popleft(), None):
                    return
        finally:
            self._sending = False
            self._kick()  # a pump waiting meanwhile: what came since, or the end of the answer
        if not self._out and self._drain:
            self._run_drain()

    async def _send_item(self, send: Any, item: Any, loop: Any) -> bool:
        """One queued message (or file body) to the ASGI `send`; False when the client left."""
        try:
            if isinstance(item, _FileBody):
                await item.send(send, loop)
            else:
                await send(item)
                if item["type"] == "http.response.body":
                    self._pending -= len(item["body"])
        except OSError:  # ASGI 2.4: the server reports a client that left
            self.disconnected()
            return False
        return True

    def _queue(self, item: Any) -> None:
        self._out.append(item)

    def _kick(self) -> None:
        # Woken on the next loop iteration, not now: a producer that never waits would otherwise keep
        # the pump's future resolved whenever anyio looks, and a cancel scope around the ASGI call
        # (it cancels only a task whose future is still pending) would never reach it.
        wake = self._wake
        if wake is not None and not wake.done() and not self._kicked:
            self._kicked = True
            wake.get_loop().call_soon(self._wake_pump)

    def _wake_pump(self) -> None:
        self._kicked = False
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    def _run_drain(self) -> None:
        if not self._drain:
            return
        callbacks, self._drain = self._drain, []
        loop = asyncio.get_running_loop()
        for callback in callbacks:
            loop.call_soon(callback)


async def read_body(receive: Any, limit: int | None) -> tuple[bytes | None, bool]:
    """The request body and whether all of it came, read as Starlette's limiter reads it: the messages stop
    being read once more than `limit` bytes came (the engine then answers 413 without the rest:
    astraapi.engine.body_limit). (None, False) when the client disconnected first."""
    chunks = []
    total = 0
    stop = float("inf") if limit is None else limit
    whole = False
    while total <= stop:
        message = await receive()
        kind = message["type"]
        if kind == "http.request":
            data = message.get("body", b"")
            if data:
                chunks.append(data)
                total += len(data)
            if not message.get("more_body", False):
                whole = True
                break
        elif kind == "http.disconnect":
            return None, False
    return (b"".join(chunks) if len(chunks) != 1 else chunks[0]), whole


class _FileBody:
    """A `send_file` body: byte ranges of a file (each after its `before` bytes), then `tail`."""

    __slots__ = ("fd", "segments", "tail")

    def __init__(self, fd: int, segments: list[tuple[bytes, int, int]], tail: bytes) -> None:
        self.fd = fd
        self.segments = segments
        self.tail = tail

    async def send(self, send: Any, loop: asyncio.AbstractEventLoop) -> None:
        from astraapi.concurrency import run_in_threadpool  # the sync pool on asyncio, anyio's threads under trio

        try:
            for before, offset, length in self.segments:
                if before:
                    await send({"type": "http.response.body", "body": bytes(before), "more_body": True})
                end = offset + length
                while offset < end:
                    piece = await run_in_threadpool(os.pread, self.fd, min(_FILE_CHUNK, end - offset), offset)
                    if not piece:
                        raise RuntimeError("the file is shorter than its size when the response started")
                    offset += len(piece)
                    await send({"type": "http.response.body", "body": piece, "more_body": True})
            if self.tail:
                await send({"type": "http.response.body", "body": self.tail, "more_body": True})
        finally:
            os.close(self.fd)


# ---------------------------------------------------------------------- WebSockets

_TEXT, _BINARY, _CLOSE = 1, 2, 8


class ASGIWebSocketRequest:
    """A `websocket` scope as the WebSocket engine sees a native upgrade request (docs/websockets.md):
    `ws_accept`, `ws_send`, `ws_close`, `ws_receive`, `on_ws_message`, and `respond` for a handshake
    answered without accepting."""

    __slots__ = ("scope", "method", "path", "raw_path", "query_string", "headers", "body", "client",
                 "http_version", "scheme", "responded", "connected", "accepted", "closed",
                 "aborted", "_outbox", "_wake", "_inbox", "_on_message", "_drain", "_done", "_denial_supported",
                 "_connect", "listen_with", "_listener")

    @property
    def root_path(self) -> str:
        """The scope's (a mount the request is below updates the scope, as Starlette's router does)."""
        return self.scope.get("root_path", "")

    def __init__(self, scope: dict[str, Any], receive: Any = None) -> None:
        """`receive`: the connection's, read for the client's `websocket.connect` when the engine accepts
        (as Starlette's `accept()` reads it: a handshake denied or failed reads nothing)."""
        self.scope = scope
        self.method = "GET"
        self.path: str = scope["path"]
        raw_path = scope.get("raw_path")
        self.raw_path: bytes = raw_path if raw_path is not None else self.path.encode("utf-8")
        self.query_string: bytes = scope.get("query_string", b"")
        self.headers = [(bytes(name), bytes(value)) for name, value in scope["headers"]]
        self.body = b""
        client = scope.get("client")
        self.client = tuple(client) if client else None
        self.http_version: str = scope.get("http_version", "1.1")
        self.scheme: str = scope.get("scheme", "ws")
        self.responded = False
        self.connected = True
        self.accepted = False
        self.closed = False
        self.aborted = False
        self._outbox: deque[dict[str, Any]] = deque()
        self._wake: asyncio.Future[None] | None = None
        self._inbox: deque[tuple[Any, ...]] = deque()
        self._on_message: list[Callable[[], Any]] = []
        self._drain: list[Callable[[], Any]] = []
        self._done = False
        self._denial_supported = "websocket.http.response" in (scope.get("extensions") or {})
        self._connect = receive
        self.listen_with: Callable[[], Any] | None = None  # reads the client's messages (astraapi.asgi.app)
        self._listener: Any = None

    # ------------------------------------------------------------------ the engine's side

    def ws_accept(self, subprotocol: str | None, headers: Any) -> bool:
        if self.responded:
            return False
        self.responded = True
        self.accepted = True
        message: dict[str, Any] = {"type": "websocket.accept", "subprotocol": subprotocol}
        if headers:
            message["headers"] = [(bytes(name), bytes(value)) for name, value in headers]
        self._push(message)
        return self.connected

    def ws_send(self, data: bytes, binary: bool) -> int:
        if not self.connected or self.closed:
            return -1
        if binary:
            self._push({"type": "websocket.send", "bytes": bytes(data)})
        else:
            self._push({"type": "websocket.send", "text": bytes(data).decode("utf-8")})
        return 1 if len(self._outbox) < 64 else 0

    def ws_close(self, code: int, reason: bytes) -> bool:
        if self.closed:
            return False
        self.closed = True
        if self.connected:  # after the client's disconnect there is no one to close
            self._push({"type": "websocket.close", "code": int(code), "reason": bytes(reason).decode("utf-8")})
        self._done = True
        self._kick()
        return self.connected

    def ws_reject(self, code: int, reason: Any) -> None:
        """Closed before accepting: the ASGI server answers the handshake (403 for uvicorn)."""
        if self.responded:
            return
        self.responded = True
        self.closed = True
        # As Starlette passes it: FastAPI's 1008 gives the validation errors (a list) as the reason.
        self._push({"type": "websocket.close", "code": int(code), "reason": "" if reason is None else reason})
        self._done = True
        self._kick()

    def ws_receive(self) -> tuple[Any, ...] | None:
        if not self._inbox:
            return None
        message = self._inbox.popleft()
        if message[0] == _CLOSE:  # the engine now knows the client left: nothing more is sent
            self.connected = False
        return message

    def on_ws_message(self, callback: Callable[[], Any]) -> None:
        if self._inbox:
            asyncio.get_running_loop().call_soon(callback)
        else:
            self._on_message.append(callback)

    def on_drain(self, callback: Callable[[], Any]) -> None:
        if not self._outbox or not self.connected:
            asyncio.get_running_loop().call_soon(callback)
        else:
            self._drain.append(callback)

    def respond(self, status: int, headers: Any, body: bytes) -> bool:
        """An HTTP answer to the handshake: the denial-response extension when the server has it;
        else a close before accepting (the server's 403), or, for a 500, nothing: the server answers
        an app that returns without a handshake with its own 500."""
        if self.responded:
            return False
        self.responded = True
        self.closed = True
        if self._denial_supported:
            self._push({"type": "websocket.http.response.start", "status": int(status),
                        "headers": list(headers or [])})
            self._push({"type": "websocket.http.response.body", "body": bytes(body)})
        elif int(status) != 500:
            self._push({"type": "websocket.close", "code": 1000, "reason": ""})
        self._done = True
        self._kick()
        return True

    def abort(self) -> None:
        """Drop the connection: the ASGI call raises (the server closes it, as uvicorn does)."""
        self.closed = True
        self.aborted = True
        self._done = True
        self._outbox.clear()
        self._kick()

    # ------------------------------------------------------------------ the ASGI side

    def received(self, message: dict[str, Any]) -> bool:
        """A message from the client; False once the connection is over."""
        kind = message["type"]
        if kind == "websocket.receive":
            text = message.get("text")
            if text is not None:
                self._inbox.append((_TEXT, text.encode("utf-8")))
            else:
                self._inbox.append((_BINARY, bytes(message.get("bytes") or b"")))
            self._wake_readers()
            return True
        if kind == "websocket.disconnect":
            reason = message.get("reason") or ""
            # Delivered in order: what the engine sends before it reads this still goes out (the
            # server drops it), as when the app reads its messages one by one.
            self._inbox.append((_CLOSE, int(message.get("code", 1005)), reason.encode("utf-8")))
            self._wake_readers()
            return False
        return True

    def start_listening(self) -> None:
        """Start reading the client's messages (once), after the handshake was accepted."""
        if self._listener is None and self.listen_with is not None and self.accepted and self._connect is None:
            self._listener = self.listen_with()

    def stop_listening(self) -> None:
        listener, self._listener = self._listener, False
        if listener:
            listener.cancel()

    async def _handshake(self) -> bool:
        """Before the accept goes out: the client's `websocket.connect`; False when it left instead."""
        receive, self._connect = self._connect, None
        if receive is None:
            return True
        message = await receive()
        kind = message["type"]
        if kind == "websocket.connect":
            return True
        if kind != "websocket.disconnect":
            raise RuntimeError(f'Expected ASGI message "websocket.connect", but got {kind!r}')
        self.received(message)  # the engine reads the close
        self.connected = False
        self._outbox.clear()
        return False

    async def pump(self, send: Any) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while self._outbox:
                message = self._outbox.popleft()
                accepting = message["type"] == "websocket.accept"
                if accepting and not await self._handshake():
                    continue
                try:
                    await send(message)
                except OSError:
                    self.connected = False
                    self._outbox.clear()
                if accepting:
                    self.start_listening()
                if not self._outbox and self._drain:
                    callbacks, self._drain = self._drain, []
                    for callback in callbacks:
                        loop.call_soon(callback)
            if self._done and not self._outbox:
                return
            self._wake = loop.create_future()
            try:
                await self._wake
            finally:
                self._wake = None

    def finish(self) -> None:
        """The engine is done with the connection."""
        self._done = True
        self._kick()

    def _push(self, message: dict[str, Any]) -> None:
        self._outbox.append(message)
        self._kick()

    def _kick(self) -> None:
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    def _wake_readers(self) -> None:
        if not self._on_message:
            return
        callbacks, self._on_message = self._on_message, []
        loop = asyncio.get_running_loop()
        for callback in callbacks:
            loop.call_soon(callback)
