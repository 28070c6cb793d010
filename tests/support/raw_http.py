"""Raw-socket HTTP/1.1 exchanges, for asserting exact response bytes."""

from __future__ import annotations

import re
import socket

DATE_LINE = re.compile(rb"\r\ndate: [^\r]*", re.IGNORECASE)


def exchange(host: str, port: int, request: bytes, timeout: float = 10.0) -> bytes:
    """Send `request` and read until the server closes the connection."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def without_date(response: bytes) -> bytes:
    return DATE_LINE.sub(b"", response)
