"""The test client's WebSockets: an RFC 6455 client (masked frames over a real socket) with Starlette's
`WebSocketTestSession` API, and the handshake's denial (`WebSocketDenialResponse`). Re-exported by
`astraapi.testclient`, where `TestClient.websocket_connect` opens them."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import struct
from typing import TYPE_CHECKING, Any

import httpx

from astraapi._starlette_compat import raised_class
from astraapi.websockets import WebSocketDisconnect

if TYPE_CHECKING:
    from astraapi.testclient import TestClient, _AppServer

_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_WS_TIMEOUT = 30.0
_STANDARD_WS_HEADERS = frozenset({"upgrade", "connection", "sec-websocket-accept", "sec-websocket-protocol",
                                  "date", "server"})


def open_websocket(port: int, target: str, header_lines: list[str], subprotocols: Any = None,
                   host: str = "127.0.0.1") -> tuple[int, list[tuple[str, str]], bytes, socket.socket, _SocketReader]:
    """Send a WebSocket handshake; (status, headers, body, socket, reader). On 101 the accept key
    was checked and the socket carries frames; otherwise the body was read (the caller closes)."""
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    lines = [f"GET {target} HTTP/1.1", *header_lines, "connection: upgrade", "upgrade: websocket",
             f"sec-websocket-key: {key}", "sec-websocket-version: 13"]
    if not any(line.lower().startswith("host:") for line in header_lines):
        lines.insert(1, f"host: {host}:{port}")
    if subprotocols:
        lines.append("sec-websocket-protocol: " + ", ".join(subprotocols))
    sock = socket.create_connection((host, port), timeout=_WS_TIMEOUT)
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        reader = _SocketReader(sock)
        status, headers = reader.read_head()
        if status != 101:
            length = int(dict(headers).get("content-length", "0") or 0)
            return status, headers, reader.read_exactly(length) if length else b"", sock, reader
        accept = base64.b64encode(hashlib.sha1((key + _WS_GUID).encode()).digest()).decode()
        if dict(headers).get("sec-websocket-accept") != accept:
            raise RuntimeError(f"bad Sec-WebSocket-Accept from the server: {dict(headers).get('sec-websocket-accept')!r}")
    except BaseException:
        sock.close()
        raise
    return status, headers, b"", sock, reader


class WebSocketDenialResponse(httpx.Response, WebSocketDisconnect):
    """The server answered the handshake with an HTTP response instead of accepting it."""


def _denial(status: int, headers: Any, body: bytes) -> WebSocketDenialResponse:
    cls = raised_class(WebSocketDenialResponse, "starlette.testclient", "WebSocketDenialResponse")
    return cls(status_code=status, headers=headers, content=body)


def _disconnect(code: int = 1000, reason: str | None = None) -> WebSocketDisconnect:
    """The client's WebSocketDisconnect (also Starlette's class while Starlette is loaded)."""
    return raised_class(WebSocketDisconnect, "starlette.websockets", "WebSocketDisconnect")(code, reason)


class _SocketReader:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def read_exactly(self, n: int) -> bytes:
        while len(self.buffer) < n:
            if not self._fill():
                raise ConnectionError("the server closed the connection")
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        return data

    def read_head(self) -> tuple[int, list[tuple[str, str]]]:
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill():
                raise ConnectionError("the server closed the connection during the handshake")
        end = self.buffer.index(b"\r\n\r\n")
        head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        del self.buffer[:end + 4]
        status = int(head[0].split(" ", 2)[1])
        headers = []
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
        return status, headers


def _client_frame(opcode: int, payload: bytes) -> bytes:
    """One masked client frame (FIN set)."""
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    if length:
        key = int.from_bytes(mask * ((length + 3) // 4), "big") >> (8 * (-length % 4))
        payload = (int.from_bytes(payload, "big") ^ key).to_bytes(length, "big")
    return head + mask + payload


class WebSocketTestSession:
    """Starlette's `WebSocketTestSession` API over a real connection."""

    __test__ = False

    def __init__(self, client: TestClient | None, server: _AppServer | None, sock: socket.socket,
                 reader: _SocketReader, headers: list[tuple[str, str]]) -> None:
        self._client = client
        self._server = server
        self._sock = sock
        self._reader = reader
        values = dict(headers)
        self.accepted_subprotocol: str | None = values.get("sec-websocket-protocol")
        self.extra_headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers
                              if name not in _STANDARD_WS_HEADERS]
        self._close_sent = False
        self._closed = False  # the server's close frame arrived, or the connection ended

    def __enter__(self) -> WebSocketTestSession:
        return self

    def __exit__(self, *args: Any) -> None:
        try:
            if not self._closed:
                self.close(1000)
                try:
                    self._sock.settimeout(5.0)
                    while not self._closed:
                        self._read_message()
                except (OSError, ConnectionError):
                    pass
        finally:
            self._sock.close()
        if self._server is not None and self._server.loop is not None:
            # the session's task records how the endpoint ended (its WebSocketDisconnect, say): let it finish
            from astraapi.testclient import _settle_websockets  # the module that imports this one

            self._server.run(_settle_websockets())
        if args[0] is None:
            # leaving the session raises the endpoint's error whatever `raise_server_exceptions` says, as
            # Starlette's session raises its application's
            self._raise_server_error(always=True)

    def _raise_server_error(self, *, always: bool = False) -> None:
        if self._client is not None and self._server is not None:
            self._client._raise_server_error(self._server, always=always)

    # -- sending

    def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "websocket.receive":
            if message.get("text") is not None:
                self.send_text(message["text"])
            else:
                self.send_bytes(message["bytes"])
        elif message["type"] == "websocket.disconnect":
            self.close(message.get("code", 1000), message.get("reason"))
        else:
            raise RuntimeError(f"unsupported message type {message['type']!r}")

    def send_text(self, data: str) -> None:
        self._sock.sendall(_client_frame(0x1, data.encode("utf-8")))

    def send_bytes(self, data: bytes) -> None:
        self._sock.sendall(_client_frame(0x2, bytes(data)))

    def send_json(self, data: Any, mode: str = "text") -> None:
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if mode == "text":
            self.send_text(text)
        else:
            self.send_bytes(text.encode("utf-8"))

    def close(self, code: int = 1000, reason: str | None = None) -> None:
        if self._close_sent or self._closed:
            return
        self._close_sent = True
        if code in (1005, 1006, 1015):
            # Codes that never travel in a close frame (RFC 6455 7.4.1): 1006, the connection lost without
            # a close handshake, is what the app then sees; the socket is shut down without a frame.
            try:
                self._sock.shutdown(socket.SHUT_WR)
            except OSError:
                self._closed = True
            return
        try:
            self._sock.sendall(_client_frame(0x8, struct.pack("!H", code) + (reason or "").encode("utf-8")))
        except OSError:
            self._closed = True

    # -- receiving

    def _read_frame(self) -> tuple[bool, int, bytes]:
        first, second = self._reader.read_exactly(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._reader.read_exactly(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._reader.read_exactly(8))[0]
        if second & 0x80:
            raise RuntimeError("the server sent a masked frame")
        return bool(first & 0x80), first & 0x0F, self._reader.read_exactly(length)

    def _read_message(self) -> dict[str, Any]:
        parts: list[bytes] = []
        opcode = 0
        while True:
            try:
                fin, op, payload = self._read_frame()
            except (ConnectionError, OSError):
                self._closed = True
                return {"type": "websocket.close", "code": 1006, "reason": ""}
            if op == 0x9:  # ping
                self._sock.sendall(_client_frame(0xA, payload))
                continue
            if op == 0xA:
                continue
            if op == 0x8:
                self._closed = True
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                if not self._close_sent:
                    self._close_sent = True
                    try:
                        self._sock.sendall(_client_frame(0x8, payload[:2]))
                    except OSError:
                        pass
                return {"type": "websocket.close", "code": code, "reason": payload[2:].decode("utf-8", "replace")}
            if op != 0:
                opcode = op
            parts.append(payload)
            if fin:
                data = b"".join(parts)
                if opcode == 0x1:
                    return {"type": "websocket.send", "text": data.decode("utf-8")}
                return {"type": "websocket.send", "bytes": data}

    def receive(self) -> dict[str, Any]:
        if self._closed:
            self._raise_server_error()
            raise _disconnect(1006)
        message = self._read_message()
        if message["type"] == "websocket.close":
            self._raise_server_error()
        return message

    def _raise_on_close(self, message: dict[str, Any]) -> None:
        if message["type"] == "websocket.close":
            raise _disconnect(code=message.get("code", 1000), reason=message.get("reason", ""))

    def receive_text(self) -> str:
        message = self.receive()
        self._raise_on_close(message)
        return message["text"]

    def receive_bytes(self) -> bytes:
        message = self.receive()
        self._raise_on_close(message)
        return message["bytes"]

    def receive_json(self, mode: str = "text") -> Any:
        message = self.receive()
        self._raise_on_close(message)
        if mode == "text":
            return json.loads(message["text"])
        return json.loads(message["bytes"].decode("utf-8"))
