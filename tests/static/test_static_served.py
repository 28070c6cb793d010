"""StaticFiles and FileResponse on the real server in both modes, over raw sockets: path
traversal vectors (compared with FastAPI's answer to the same raw path), symlinks, a large
file sent with sendfile(2) to a slow reader with the keep-alive connection going on after it,
HEAD framing, pipelined requests after file bodies."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import time
from urllib.parse import unquote

import pytest

from static_files import BIG_SIZE, SECRET, load_with_fastapi
from support.paths import APPS_DIR, MODES
from support.raw_http import exchange

TRAVERSAL = [
    "/static/../outside/secret.txt",
    "/static/%2e%2e/outside/secret.txt",
    "/static/%2E%2E/outside/secret.txt",
    "/static/.%2e/outside/secret.txt",
    "/static/..%2foutside%2fsecret.txt",
    "/static/%2e%2e%2foutside%2fsecret.txt",
    "/static/%2e%2e%2F%2e%2e%2Foutside%2Fsecret.txt",
    "/static/..%5c..%5coutside%5csecret.txt",
    "/static/%5c..%5coutside%5csecret.txt",
    "/static/%2f..%2foutside/secret.txt",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/%2F%2Fetc/passwd",
    "/static/%00",
    "/static/a.css%00.txt",
    "/static/..%00/outside/secret.txt",
    "/static/link-out.txt",
    "/static/....//outside/secret.txt",
    "/static/./../outside/secret.txt",
    "/static/sub/../../outside/secret.txt",
    "/static/sub/%2e%2e/%2e%2e/outside/secret.txt",
    "/static/%252e%252e/outside/secret.txt",
    "/static/../../../../../../etc/passwd",
    "/static/" + "a" * 300 + ".txt",
    "/site/..%2f..%2foutside/secret.txt",
    "/site/../outside/secret.txt",
]


@pytest.fixture(scope="module", params=MODES)
def server(request, start_server, static_env):
    return start_server("static_app:app", request.param, cwd=APPS_DIR, env=static_env)


def _split(response: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def _fastapi_raw(app, raw_path: str) -> tuple[int, dict[str, str], bytes]:
    """FastAPI's answer for a request line carrying `raw_path` as is (no client normalises it)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
        "method": "GET", "scheme": "http", "path": unquote(raw_path), "raw_path": raw_path.encode(),
        "root_path": "", "query_string": b"", "headers": [(b"host", b"t")],
        "client": ("127.0.0.1", 5000), "server": ("t", 80),
    }
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, body


@pytest.fixture(scope="module")
def fastapi_app(static_env):
    return load_with_fastapi("static_app.py", static_env).app


@pytest.mark.parametrize("raw_path", TRAVERSAL)
def test_traversal_vectors_are_refused(server, fastapi_app, raw_path):
    response = exchange("127.0.0.1", server.port, f"GET {raw_path} HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n"
                        .encode())
    status, headers, body = _split(response)
    assert SECRET not in response
    assert b"root:" not in response
    if status == 400:  # refused by the HTTP parser before any routing
        assert body == b"Invalid HTTP request received."
        return
    want_status, want_headers, want_body = _fastapi_raw(fastapi_app, raw_path)
    assert want_status in (404, 400)
    assert (status, body) == (want_status, want_body)
    assert headers["content-type"] == want_headers["content-type"]


def test_symlink_inside_is_served_outside_is_not(server):
    inside = exchange("127.0.0.1", server.port, b"GET /static/link-in.css HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
    assert _split(inside)[0] == 200 and inside.endswith(b"body { color: red; }\n")
    outside = exchange("127.0.0.1", server.port, b"GET /static/link-out.txt HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
    assert _split(outside)[:3:2] == (404, b'{"detail":"Not Found"}')
    followed = exchange("127.0.0.1", server.port, b"GET /follow/link-out.txt HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
    assert _split(followed)[0] == 200 and followed.endswith(SECRET)


def _read_response(sock: socket.socket, buffered: bytes, *, slow: bool = False) -> tuple[bytes, bytes, bytes]:
    """(head, body, what was read beyond it) of one content-length framed response."""
    data = buffered
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, data = data.partition(b"\r\n\r\n")
    length = int(_split(head + b"\r\n\r\n")[1].get("content-length", "0"))
    pieces = [data]
    have = len(data)
    reads = 0
    while have < length:
        chunk = sock.recv(4096 if slow and reads < 64 else 1 << 20)
        assert chunk, "connection closed early"
        if slow and reads < 64:
            time.sleep(0.005)  # a slow reader: the server waits on EAGAIN, then goes on
        reads += 1
        pieces.append(chunk)
        have += len(chunk)
    body = b"".join(pieces)
    return head, body[:length], body[length:]


def test_large_file_to_a_slow_reader_then_keep_alive(server, static_root):
    digest = hashlib.sha256((static_root / "static" / "big.bin").read_bytes()).hexdigest()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        sock.sendall(b"GET /static/big.bin HTTP/1.1\r\nhost: t\r\n\r\n")
        head, body, rest = _read_response(sock, b"", slow=True)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert f"content-length: {BIG_SIZE}".encode() in head
        assert len(body) == BIG_SIZE and hashlib.sha256(body).hexdigest() == digest
        # the same connection goes on: a FileResponse from an endpoint, then JSON
        sock.sendall(b"GET /download HTTP/1.1\r\nhost: t\r\n\r\nGET /api/items HTTP/1.1\r\nhost: t\r\n\r\n")
        head, body, rest = _read_response(sock, rest)
        assert b'content-disposition: attachment; filename="big.bin"' in head
        assert hashlib.sha256(body).hexdigest() == digest
        head, body, rest = _read_response(sock, rest)
        assert body == b'{"items":[1,2]}' and rest == b""


def test_ranges_of_a_large_file(server, static_root):
    data = (static_root / "static" / "big.bin").read_bytes()
    start, end = 3 * 1024 * 1024 + 5, 7 * 1024 * 1024 + 11
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(f"GET /static/big.bin HTTP/1.1\r\nhost: t\r\nrange: bytes={start}-{end}\r\n\r\n".encode())
        head, body, rest = _read_response(sock, b"")
        assert head.startswith(b"HTTP/1.1 206 Partial Content\r\n")
        assert f"content-range: bytes {start}-{end}/{BIG_SIZE}".encode() in head
        assert body == data[start:end + 1]
        sock.sendall(b"GET /static/big.bin HTTP/1.1\r\nhost: t\r\nrange: bytes=0-1,-2\r\n\r\n")
        head, body, rest = _read_response(sock, rest)
        boundary = head.split(b"boundary=")[1].split(b"\r\n")[0]
        assert body == (b"--" + boundary + b"\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 0-1/"
                        + str(BIG_SIZE).encode() + b"\r\n\r\n" + data[:2] + b"\r\n--" + boundary
                        + b"\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes "
                        + f"{BIG_SIZE - 2}-{BIG_SIZE - 1}/{BIG_SIZE}".encode() + b"\r\n\r\n" + data[-2:]
                        + b"\r\n--" + boundary + b"--")
        sock.sendall(f"GET /static/big.bin HTTP/1.1\r\nhost: t\r\nrange: bytes={BIG_SIZE}-\r\n\r\n".encode())
        head, body, rest = _read_response(sock, rest)
        assert head.startswith(b"HTTP/1.1 416 ")  # the reason phrase is the interpreter's (HTTPStatus)
        assert f"content-range: bytes */{BIG_SIZE}".encode() in head and body == b""


def test_head_sends_headers_only_and_the_connection_goes_on(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"HEAD /static/big.bin HTTP/1.1\r\nhost: t\r\n\r\n"
                     b"HEAD /static/a.css HTTP/1.1\r\nhost: t\r\nrange: bytes=0-3\r\n\r\n"
                     b"GET /static/a.css HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    first, second, third = data.split(b"HTTP/1.1 ")[1:]
    assert first.startswith(b"200 OK\r\n") and f"content-length: {BIG_SIZE}\r\n".encode() in first
    assert first.endswith(b"\r\n\r\n")
    assert second.startswith(b"206 Partial Content\r\n") and b"content-length: 4\r\n" in second
    assert second.endswith(b"\r\n\r\n")
    assert third.startswith(b"200 OK\r\n") and third.endswith(b"\r\n\r\nbody { color: red; }\n")


def test_a_method_without_a_route_bit_reaches_the_mount(server):
    response = exchange("127.0.0.1", server.port,
                        b"PROPFIND /static/a.css HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
    status, headers, body = _split(response)
    assert (status, headers["allow"], body) == (405, "GET, HEAD", b'{"detail":"Method Not Allowed"}')


def test_client_leaving_mid_file_does_not_disturb_the_server(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        sock.sendall(b"GET /static/big.bin HTTP/1.1\r\nhost: t\r\n\r\n")
        assert sock.recv(1024).startswith(b"HTTP/1.1 200 OK")
    response = exchange("127.0.0.1", server.port, b"GET /api/items HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
    assert response.endswith(b'{"items":[1,2]}')


@pytest.fixture(scope="module", params=MODES)
def subapp_server(request, start_server, static_env):
    return start_server("subapp_app:app", request.param, cwd=APPS_DIR, env=static_env)


def test_a_sub_application_keeps_its_own_gzip_middleware(subapp_server):
    import gzip

    request = b"GET /subapi/big HTTP/1.1\r\nhost: t\r\naccept-encoding: gzip\r\nconnection: close\r\n\r\n"
    status, headers, body = _split(exchange("127.0.0.1", subapp_server.port, request))
    assert (status, headers["content-encoding"], headers["vary"]) == (200, "gzip", "Accept-Encoding")
    assert gzip.decompress(body) == b'{"data":"' + b"x" * 2000 + b'"}'
    request = b"GET /app HTTP/1.1\r\nhost: t\r\naccept-encoding: gzip\r\nconnection: close\r\n\r\n"
    status, headers, body = _split(exchange("127.0.0.1", subapp_server.port, request))
    assert "content-encoding" not in headers  # the main app has no GZipMiddleware
