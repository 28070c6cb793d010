"""The server's own gzip (`astraapi dev|run --gzip`, no middleware), in both modes: RFC 9110
negotiation with q-values, minimum size, excluded types, `vary`, and streams decided by their
first piece. Bodies are compared decompressed, headers exactly (date and server aside)."""

import gzip
import json

import httpx
import pytest

from support.paths import APPS_DIR, MODES

SKIP = ("date", "server")


@pytest.fixture(scope="module", params=MODES)
def base_url(request, build_cache):
    # One server per mode for the module (start_server is function-scoped: use ServerProcess).
    from support.servers import ServerProcess

    build_dir = None
    if request.param == "compiled":
        build_dir = build_cache.build("native_gzip_app:app", cwd=APPS_DIR)
    server = ServerProcess("native_gzip_app:app", request.param, cwd=APPS_DIR, env=None, build_dir=build_dir,
                           args=("--gzip",))
    server.start()
    try:
        yield server.base_url
    finally:
        server.stop()
        assert server.process.returncode == 0


def get(base_url, path, accept=None, method="GET"):
    headers = {"accept-encoding": accept} if accept is not None else {}
    with httpx.Client(base_url=base_url) as client:
        client.headers.pop("accept-encoding", None)
        response = client.send(client.build_request(method, path, headers=headers), stream=True)
        try:
            raw = b"".join(response.iter_raw())
        finally:
            response.close()
    headers = [(k.lower(), v) for k, v in response.headers.multi_items() if k.lower() not in SKIP]
    body = gzip.decompress(raw) if response.headers.get("content-encoding") == "gzip" else raw
    return response.status_code, headers, raw, body


BIG = json.dumps({"rows": [{"id": i, "name": f"row {i} ✓"} for i in range(200)]}, ensure_ascii=False,
                 separators=(",", ":")).encode()


@pytest.mark.parametrize("accept, compressed", [
    (None, False), ("", False), ("gzip", True), ("GZip", True), ("x-gzip", True), ("deflate, gzip", True),
    ("gzip;q=0", False), ("gzip; q=0.000", False), ("*", True), ("*;q=0", False), ("br, *;q=0.1", True),
    ("gzip;q=0, *", False), ("identity", False), ("br", False), ("br, gzip;q=0.5", True),
    ("gzip;q=0.5, identity", False), ("gzip, identity;q=0.5", True), ("gzip;q=2", False), ("gzip;q=abc", False),
])
def test_negotiation(base_url, accept, compressed):
    status, headers, raw, body = get(base_url, "/big", accept)
    assert status == 200 and body == BIG
    if compressed:
        assert headers == [("content-length", str(len(raw))), ("content-type", "application/json"),
                           ("vary", "Accept-Encoding"), ("content-encoding", "gzip")]
        assert len(raw) < len(BIG)
    else:
        # Eligible but not compressed: vary says the answer depends on Accept-Encoding.
        assert headers == [("content-length", str(len(BIG))), ("content-type", "application/json"),
                           ("vary", "Accept-Encoding")]


def test_existing_vary_is_extended(base_url):
    status, headers, raw, body = get(base_url, "/text", "gzip")
    assert body == b"plain text " * 200
    # In place, as Starlette's MutableHeaders: the handler's vary first, as the response had it.
    assert headers == [("vary", "Origin, Accept-Encoding"), ("content-length", str(len(raw))),
                       ("content-type", "text/plain; charset=utf-8"), ("content-encoding", "gzip")]


def test_small_body_is_left_alone_unless_identity_is_refused(base_url):
    assert get(base_url, "/small", "gzip")[1] == [("content-length", "11"), ("content-type", "application/json")]
    status, headers, raw, body = get(base_url, "/small", "identity;q=0, gzip")
    assert body == b'{"ok":true}'
    assert headers == [("content-length", str(len(raw))), ("content-type", "application/json"),
                       ("vary", "Accept-Encoding"), ("content-encoding", "gzip")]


@pytest.mark.parametrize("path, content_type", [
    ("/png", "image/png"), ("/events", "text/event-stream; charset=utf-8"), ("/encoded", "text/plain; charset=utf-8"),
    ("/partial", "text/plain; charset=utf-8"),
])
def test_not_compressed(base_url, path, content_type):
    status, headers, raw, body = get(base_url, path, "gzip")
    assert ("content-type", content_type) in headers
    assert not any(k == "vary" for k, _ in headers)
    assert [v for k, v in headers if k == "content-encoding"] == (["br"] if path == "/encoded" else [])
    assert ("content-length", str(len(raw))) in headers


def test_svg_is_compressed(base_url):
    status, headers, raw, body = get(base_url, "/svg", "gzip")
    assert ("content-encoding", "gzip") in headers and body.startswith(b"<svg><g/>")


def test_stream_compressed_from_its_first_piece(base_url):
    expected = "".join(f"line {i}\n" for i in range(300)).encode()
    status, headers, raw, body = get(base_url, "/stream", "gzip")
    assert body == expected
    assert headers == [("content-type", "text/plain; charset=utf-8"), ("vary", "Accept-Encoding"),
                       ("content-encoding", "gzip"), ("transfer-encoding", "chunked")]
    status, headers, raw, body = get(base_url, "/stream", "gzip;q=0")
    assert raw == expected
    assert headers == [("content-type", "text/plain; charset=utf-8"), ("vary", "Accept-Encoding"),
                       ("transfer-encoding", "chunked")]


def test_empty_stream_passes_unchanged(base_url):
    status, headers, raw, body = get(base_url, "/stream-empty", "gzip")
    assert raw == b""
    assert headers == [("content-type", "text/plain; charset=utf-8"), ("transfer-encoding", "chunked")]


@pytest.fixture(scope="module")
def starlette_gzip(tmp_path_factory):
    """The same app under FastAPI with Starlette's GZipMiddleware (minimum_size 500, as --gzip)."""
    from fastapi.middleware.gzip import GZipMiddleware
    from fastapi.testclient import TestClient

    from support.items_script import load_with_fastapi

    module = load_with_fastapi(APPS_DIR / "native_gzip_app.py", tmp_path_factory.mktemp("ngz") / "unused.db")
    module.app.add_middleware(GZipMiddleware, minimum_size=500)
    client = TestClient(module.app)
    client.headers.pop("accept-encoding", None)
    with client:
        yield client


@pytest.mark.parametrize("path", ["/big", "/small", "/text", "/svg", "/events", "/encoded", "/partial", "/stream",
                                  "/stream-empty"])
def test_gzip_client_gets_what_starlette_middleware_gives(base_url, starlette_gzip, path):
    """For a client that sends `Accept-Encoding: gzip`, --gzip answers with the headers (in the
    same order) and, decompressed, the body of FastAPI + GZipMiddleware."""
    status, headers, raw, body = get(base_url, path, "gzip")
    response = starlette_gzip.send(starlette_gzip.build_request("GET", path, headers={"accept-encoding": "gzip"}),
                                   stream=True)
    try:
        their_raw = b"".join(response.iter_raw())
    finally:
        response.close()
    compressed = response.headers.get("content-encoding") == "gzip"
    theirs = [(k.lower(), "<n>" if k.lower() == "content-length" and compressed else v)
              for k, v in response.headers.multi_items()]
    ours = [(k, "<n>" if k == "content-length" and compressed else v) for k, v in headers
            if k != "transfer-encoding"]
    assert (status, ours) == (response.status_code, theirs)
    assert body == (gzip.decompress(their_raw) if compressed else their_raw)


def test_http10_stream_is_not_chunked(base_url):
    """An HTTP/1.0 client cannot read chunked framing: its stream is sent uncompressed."""
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(base_url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(b"GET /stream HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"content-encoding" not in head.lower()
