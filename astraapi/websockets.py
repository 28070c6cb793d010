"""WebSockets under FastAPI's module path (`fastapi.websockets`): `WebSocket`, `WebSocketDisconnect`,
`WebSocketState`, with Starlette's behaviour (states, messages, errors).

The protocol itself (handshake, frames, masking, fragmentation, ping/pong, close handshake,
UTF-8 and size checks) runs in the native server (runtime_cpp/src/http/websocket.cpp); a
`WebSocket` object drives one accepted connection through the native request's `ws_*` methods.
See docs/websockets.md.
"""

from __future__ import annotations

import asyncio
import contextvars
import enum
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from astraapi.datastructures import State
from astraapi.requests import URL, HTTPConnection, root_path_of


class WebSocketState(enum.Enum):
    CONNECTING = 0
    CONNECTED = 1
    DISCONNECTED = 2
    RESPONSE = 3


class WebSocketDisconnect(Exception):
    def __init__(self, code: int = 1000, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""


def _disconnect(code: int, reason: str | None = None) -> WebSocketDisconnect:
    """The WebSocketDisconnect to raise: also Starlette's class while Starlette is loaded, so an app's
    `except starlette.websockets.WebSocketDisconnect` catches it as under FastAPI."""
    from astraapi._starlette_compat import raised_class

    return raised_class(WebSocketDisconnect, "starlette.websockets", "WebSocketDisconnect")(code, reason)


class WebSocketDisconnected(RuntimeError):
    """Using a WebSocket that is not (or no longer) connected (Starlette's name)."""


# Test clients (astraapi.testclient) learn through this how a handshake they sent was closed
# before it was accepted (the wire only carries uvicorn's 403): a list of
# (client port, code, reason) set on the serving loop. Nothing reads it when serving.
handshake_close_sink: contextvars.ContextVar[list[tuple[int, int, Any]] | None] = contextvars.ContextVar(
    "astraapi_handshake_close_sink", default=None)

_TEXT, _BINARY, _CLOSE = 1, 2, 8
_logger = logging.getLogger("astraapi.error")
_REJECT_HEADERS = [(b"content-length", b"0"), (b"content-type", b"text/plain; charset=utf-8")]


class WebSocket(HTTPConnection):
    """One WebSocket connection (Starlette's `WebSocket` API). Created by the engine for a
    WebSocket route; the endpoint receives it through a parameter annotated `WebSocket`."""

    __slots__ = ("client_state", "application_state", "_connect_delivered", "_subprotocols", "_denial", "_asgi")

    def __init__(self, native: Any, path_params: Any = None, send: Any = None, *, app: Any = None,
                 state: dict[str, Any] | None = None, receive: Any = None) -> None:
        self._asgi: tuple[Any, Any] | None = None
        if isinstance(native, dict):  # Starlette's WebSocket(scope, receive, send), as ASGI middleware makes one
            scope = native
            self._asgi = (receive if receive is not None else path_params, send)
            native, path_params = _ScopeView(scope), dict(scope.get("path_params") or {})
            app, state = scope.get("app"), scope.setdefault("state", {})
            super().__init__(native, path_params, app=app)
            self._state = State(state)
        else:
            super().__init__(native, path_params, app=app, state=state)
        self.client_state = WebSocketState.CONNECTING
        self.application_state = WebSocketState.CONNECTING
        self._connect_delivered = False
        self._subprotocols: list[str] | None = None
        self._denial: list[Any] | None = None  # [status, headers, body parts] of a denial response

    # ------------------------------------------------------------------ connection attributes

    @property
    def url(self) -> URL:
        return URL(self._native.path, self._native.query_string.decode("latin-1"),
                   getattr(self._native, "scheme", "ws"), self.headers.get("host", ""))

    @property
    def subprotocols(self) -> list[str]:
        """What the client offered in Sec-WebSocket-Protocol, in order (the ASGI scope's list)."""
        if self._subprotocols is None:
            offered: list[str] = []
            for value in self.headers.getlist("sec-websocket-protocol"):
                offered.extend(item.strip() for item in value.split(",") if item.strip())
            self._subprotocols = offered
        return self._subprotocols

    @property
    def scope(self) -> dict[str, Any]:
        """An ASGI-like scope for code that reads it (built on each access)."""
        from astraapi.asgi.scope import add_matched_route

        client = self.client
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": self._native.http_version,
            "scheme": getattr(self._native, "scheme", "ws"),
            "path": self._native.path,
            "raw_path": self._native.raw_path,
            "query_string": self._native.query_string,
            "root_path": root_path_of(self._native, self.app),
            "headers": list(self._native.headers),
            "client": (client.host, client.port) if client else None,
            "subprotocols": self.subprotocols,
            "path_params": self.path_params,
            "app": self.app,
            "state": self.state,
        }
        add_matched_route(scope, self.app)
        return scope

    # ------------------------------------------------------------------ ASGI-style messages

    async def receive(self) -> dict[str, Any]:
        """The next message, as Starlette's `WebSocket.receive` gives it."""
        if self._asgi is not None:
            return await self._asgi_receive()
        if self.client_state == WebSocketState.CONNECTING:
            self._connect_delivered = True
            self.client_state = WebSocketState.CONNECTED
            return {"type": "websocket.connect"}
        if self.client_state == WebSocketState.CONNECTED:
            message = await self._receive_native()
            if message["type"] == "websocket.disconnect":
                self.client_state = WebSocketState.DISCONNECTED
            return message
        raise WebSocketDisconnected('Cannot call "receive" once a disconnect message has been received.')

    async def send(self, message: dict[str, Any]) -> None:
        """Send an ASGI message (`websocket.accept`, `websocket.send`, `websocket.close`)."""
        message_type = message["type"]
        if self._asgi is not None:
            await self._asgi_send(message)
            return
        if self.application_state == WebSocketState.CONNECTING:
            if message_type not in {"websocket.accept", "websocket.close", "websocket.http.response.start"}:
                raise RuntimeError(
                    'Expected ASGI message "websocket.accept", "websocket.close" or '
                    f'"websocket.http.response.start", but got {message_type!r}')
            if message_type == "websocket.http.response.start":
                self.application_state = WebSocketState.RESPONSE
                headers = [(bytes(name), bytes(value)) for name, value in message.get("headers") or []]
                self._denial = [int(message["status"]), headers, []]
                return
            if message_type == "websocket.close":
                self.application_state = WebSocketState.DISCONNECTED
                self._reject(message.get("code", 1000), message.get("reason"))
                return
            self.application_state = WebSocketState.CONNECTED
            self._accept(message.get("subprotocol"), message.get("headers") or [])
            return
        if self.application_state == WebSocketState.CONNECTED:
            if message_type not in {"websocket.send", "websocket.close"}:
                raise RuntimeError(
                    f'Expected ASGI message "websocket.send" or "websocket.close", but got {message_type!r}')
            if message_type == "websocket.close":
                self.application_state = WebSocketState.DISCONNECTED
                reason = message.get("reason") or ""
                if not isinstance(reason, str):  # FastAPI's 1008 handler passes the errors list
                    reason = json.dumps(reason, separators=(",", ":"), ensure_ascii=False, default=str)
                self._native.ws_close(int(message.get("code", 1000)), reason.encode("utf-8"))
                return
            text = message.get("text")
            if text is not None:
                sent = self._native.ws_send(text.encode("utf-8"), False)
            else:
                data = message.get("bytes")
                if data is None:
                    raise RuntimeError('A "websocket.send" message needs "text" or "bytes"')
                sent = self._native.ws_send(bytes(data), True)
            if sent < 0:
                self.application_state = WebSocketState.DISCONNECTED
                raise _disconnect(1006)
            if sent == 0:
                await self._drained()
            return
        if self.application_state == WebSocketState.RESPONSE:
            if message_type != "websocket.http.response.body":
                raise RuntimeError(f'Expected ASGI message "websocket.http.response.body", but got {message_type!r}')
            assert self._denial is not None
            self._denial[2].append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                self.application_state = WebSocketState.DISCONNECTED
                self._send_denial()
            return
        raise WebSocketDisconnected('Cannot call "send" once a close message has been sent.')

    # ------------------------------------------------------------------ Starlette's helpers

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        headers = headers or []
        if self.client_state == WebSocketState.CONNECTING:
            await self.receive()  # the connect message
        await self.send({"type": "websocket.accept", "subprotocol": subprotocol, "headers": headers})

    def _raise_on_disconnect(self, message: dict[str, Any]) -> None:
        if message["type"] == "websocket.disconnect":
            raise _disconnect(message["code"], message.get("reason"))

    def _connected(self) -> None:
        if self.application_state != WebSocketState.CONNECTED:
            raise WebSocketDisconnected('WebSocket is not connected. Need to call "accept" first.')

    async def receive_text(self) -> str:
        self._connected()
        message = await self.receive()
        self._raise_on_disconnect(message)
        return message["text"]

    async def receive_bytes(self) -> bytes:
        self._connected()
        message = await self.receive()
        self._raise_on_disconnect(message)
        return message["bytes"]

    async def receive_json(self, mode: str = "text") -> Any:
        if mode not in {"text", "binary"}:
            raise RuntimeError('The "mode" argument should be "text" or "binary".')
        self._connected()
        message = await self.receive()
        self._raise_on_disconnect(message)
        if mode == "text":
            text = message["text"]
        else:
            text = message["bytes"].decode("utf-8")
        return json.loads(text)

    async def iter_text(self) -> AsyncIterator[str]:
        try:
            while True:
                yield await self.receive_text()
        except WebSocketDisconnect:
            pass

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        try:
            while True:
                yield await self.receive_bytes()
        except WebSocketDisconnect:
            pass

    async def iter_json(self) -> AsyncIterator[Any]:
        try:
            while True:
                yield await self.receive_json()
        except WebSocketDisconnect:
            pass

    async def send_text(self, data: str) -> None:
        await self.send({"type": "websocket.send", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        await self.send({"type": "websocket.send", "bytes": data})

    async def send_json(self, data: Any, mode: str = "text") -> None:
        if mode not in {"text", "binary"}:
            raise RuntimeError('The "mode" argument should be "text" or "binary".')
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if mode == "text":
            await self.send({"type": "websocket.send", "text": text})
        else:
            await self.send({"type": "websocket.send", "bytes": text.encode("utf-8")})

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self.send({"type": "websocket.close", "code": code, "reason": reason or ""})

    async def send_denial_response(self, response: Any) -> None:
        """Answer the handshake with an HTTP response instead of accepting it (the Websocket
        Denial Response extension, which the native server supports)."""
        await self.send({"type": "websocket.http.response.start", "status": response.status_code,
                         "headers": list(response.raw_headers)})
        await self.send({"type": "websocket.http.response.body", "body": bytes(response.body)})

    # ------------------------------------------------------------------ made from an ASGI scope

    async def _asgi_receive(self) -> dict[str, Any]:
        if self.client_state == WebSocketState.DISCONNECTED:
            raise WebSocketDisconnected('Cannot call "receive" once a disconnect message has been received.')
        message = await self._asgi[0]()  # type: ignore[index]
        if message["type"] == "websocket.connect":
            self.client_state = WebSocketState.CONNECTED
        elif message["type"] == "websocket.disconnect":
            self.client_state = WebSocketState.DISCONNECTED
        return message

    async def _asgi_send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if self.application_state == WebSocketState.DISCONNECTED:
            raise WebSocketDisconnected('Cannot call "send" once a close message has been sent.')
        if kind == "websocket.accept":
            self.application_state = WebSocketState.CONNECTED
        elif kind == "websocket.close":
            self.application_state = WebSocketState.DISCONNECTED
        elif kind == "websocket.http.response.start":
            self.application_state = WebSocketState.RESPONSE
        elif kind == "websocket.http.response.body" and not message.get("more_body", False):
            self.application_state = WebSocketState.DISCONNECTED
        await self._asgi[1](message)  # type: ignore[index]

    # ------------------------------------------------------------------ the native side

    def _log(self, outcome: str) -> None:
        """uvicorn's line for a WebSocket handshake ('... - "WebSocket /path?q" [accepted]' or 403)."""
        if _logger.isEnabledFor(logging.INFO):
            client = self._native.client
            query = self._native.query_string.decode("latin-1")
            _logger.info('%s - "WebSocket %s" %s', f"{client[0]}:{client[1]}" if client else "",
                         self._native.path + ("?" + query if query else ""), outcome)

    def _accept(self, subprotocol: str | None, headers: Any) -> None:
        pairs = [(bytes(name), bytes(value)) for name, value in headers]
        self._log("[accepted]")
        self._native.ws_accept(subprotocol, pairs)

    def _reject(self, code: int, reason: Any) -> None:
        """Closed before accepting: uvicorn answers the handshake with 403."""
        sink = handshake_close_sink.get()
        if sink is not None:
            client = self._native.client
            sink.append((client[1] if client else 0, code, reason or ""))
        reject = getattr(self._native, "ws_reject", None)  # under an ASGI server (astraapi.asgi)
        if reject is not None:
            self._log("403")
            reject(code, reason)
        elif not self._native.responded:
            self._log("403")
            self._native.respond(403, _REJECT_HEADERS, b"")

    def _send_denial(self) -> None:
        assert self._denial is not None
        status, headers, parts = self._denial
        sink = handshake_close_sink.get()
        if sink is not None:
            client = self._native.client
            sink.append((client[1] if client else 0, None, None))  # a denial response, not a close
        self._log(str(status))
        if not self._native.responded:
            self._native.respond(status, headers, b"".join(parts))

    async def _receive_native(self) -> dict[str, Any]:
        native = self._native
        while True:
            message = native.ws_receive()
            if message is not None:
                break
            future = asyncio.get_running_loop().create_future()

            def wake(future: asyncio.Future[None] = future) -> None:
                if not future.done():
                    future.set_result(None)

            native.on_ws_message(wake)
            await future
        kind = message[0]
        if kind == _TEXT:
            return {"type": "websocket.receive", "text": message[1].decode("utf-8")}
        if kind == _BINARY:
            return {"type": "websocket.receive", "bytes": message[1]}
        return {"type": "websocket.disconnect", "code": message[1],
                "reason": message[2].decode("utf-8", "replace")}

    async def _drained(self) -> None:
        future = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not future.done():
                future.set_result(None)

        self._native.on_drain(wake)
        await future

    async def _finish(self) -> None:
        """The endpoint returned (or failed and was handled): end the connection as uvicorn does."""
        if self.application_state == WebSocketState.CONNECTING:
            # Returned without accepting or closing: uvicorn logs it and answers 500.
            from astraapi.engine.responses import error_logger

            error_logger.error("ASGI callable returned without sending handshake.")
            self.application_state = WebSocketState.DISCONNECTED
            if not self._native.responded:
                self._native.respond(500, [(b"content-length", b"21"),
                                           (b"content-type", b"text/plain; charset=utf-8")],
                                     b"Internal Server Error")
        elif self.application_state == WebSocketState.CONNECTED:
            self.application_state = WebSocketState.DISCONNECTED
            self._native.ws_close(1000, b"")
        elif self.application_state == WebSocketState.RESPONSE:  # a denial response left unfinished
            self.application_state = WebSocketState.DISCONNECTED
            self._send_denial()


class _ScopeView:
    """What a WebSocket made from an ASGI scope reads where a native request would be."""

    def __init__(self, scope: dict[str, Any]) -> None:
        self.path = scope.get("path", "/")
        self.raw_path = scope.get("raw_path") or self.path.encode()
        self.query_string = scope.get("query_string", b"")
        self.headers = list(scope.get("headers") or ())
        client = scope.get("client")
        self.client = tuple(client) if client else None
        self.http_version = scope.get("http_version", "1.1")
        self.scheme = scope.get("scheme", "ws")
        self.method = "GET"
        self.body = b""
        self.responded = False
        self.connected = True


__all__ = ["WebSocket", "WebSocketDisconnect", "WebSocketDisconnected", "WebSocketState"]
