"""A raw WebSocket client for protocol tests: exact handshake bytes, frames built by hand."""

from __future__ import annotations

import os
import socket
import struct

RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 1.3's example key
RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def handshake_bytes(path: str, *, key: str = RFC_KEY, version: str = "13", method: str = "GET",
                    extra: str = "") -> bytes:
    return (f"{method} {path} HTTP/1.1\r\nhost: t\r\nconnection: Upgrade\r\nupgrade: websocket\r\n"
            f"sec-websocket-key: {key}\r\nsec-websocket-version: {version}\r\n{extra}\r\n").encode()


def frame(opcode: int, payload: bytes = b"", *, fin: bool = True, mask: bool = True, rsv: int = 0,
          length: int | None = None) -> bytes:
    n = len(payload) if length is None else length
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    mask_bit = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", first, mask_bit | n)
    elif n < 65536:
        head = struct.pack("!BBH", first, mask_bit | 126, n)
    else:
        head = struct.pack("!BBQ", first, mask_bit | 127, n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    if not payload:
        return head + key
    n = len(payload)
    stream = int.from_bytes(key * ((n + 3) // 4), "big") >> (8 * (-n % 4))
    return head + key + (int.from_bytes(payload, "big") ^ stream).to_bytes(n, "big")


def close_payload(code: int, reason: bytes = b"") -> bytes:
    return struct.pack("!H", code) + reason


class RawWS:
    def __init__(self, port: int, path: str, *, timeout: float = 10.0, early: bytes = b"", **kwargs):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.sendall(handshake_bytes(path, **kwargs) + early)
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.head = head + b"\r\n\r\n"
        self.status = int(head.split(b" ", 2)[1]) if head else 0

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_frame(self) -> tuple[bool, int, bytes]:
        first, second = self._read(2)
        assert not second & 0x80, "server frames are never masked"
        n = second & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read(8))[0]
        return bool(first & 0x80), first & 0x0F, self._read(n)

    def read_close(self) -> tuple[int | None, bytes]:
        fin, opcode, payload = self.read_frame()
        assert opcode == 0x8, (opcode, payload)
        if not payload:
            return None, b""
        return struct.unpack("!H", payload[:2])[0], payload[2:]

    def at_eof(self) -> bool:
        """The server closed the TCP connection (after everything it sent was read)."""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (ConnectionResetError, socket.timeout):
            return False

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.close()
