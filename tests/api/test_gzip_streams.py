"""GZipMiddleware on streamed bodies (StreamingResponse): the same decisions and headers as
FastAPI's (Starlette's) middleware in both modes, the bodies compared decompressed. Starlette
tests the Accept-Encoding header for the substring "gzip", so `gzip;q=0` still gets gzip."""

import gzip

import httpx
import pytest

from support.items_script import load_with_fastapi
from support.paths import APPS_DIR, MODES

PATHS = ["/stream", "/stream-sync", "/stream-small", "/stream-empty", "/stream-length", "/stream-events",
         "/stream-encoded"]
ENCODINGS = [None, "gzip", "identity", "br, gzip;q=0.5", "gzip;q=0"]
HOP = ("date", "server", "transfer-encoding")  # the ASGI test client has no wire framing


def observed(response, raw_body: bytes) -> tuple:
    headers = [(k.lower(), v) for k, v in response.headers.multi_items() if k.lower() not in HOP]
    compressed = response.headers.get("content-encoding") == "gzip"
    headers = [(k, "<n>" if k == "content-length" and compressed else v) for k, v in headers]
    body = gzip.decompress(raw_body) if compressed else raw_body
    return response.status_code, headers, body


def fetch_all(client) -> list:
    results = []
    for path in PATHS:
        for encoding in ENCODINGS:
            headers = {"accept-encoding": encoding} if encoding else {}
            response = client.send(client.build_request("GET", path, headers=headers), stream=True)
            try:
                raw_body = b"".join(response.iter_raw())
            finally:
                response.close()
            results.append(((path, encoding), observed(response, raw_body),
                            response.headers.get("transfer-encoding")))
    return results


@pytest.fixture(scope="module")
def fastapi_results(tmp_path_factory):
    from fastapi.testclient import TestClient

    module = load_with_fastapi(APPS_DIR / "gzip_stream_app.py", tmp_path_factory.mktemp("gzs") / "unused.db")
    with TestClient(module.app) as client:
        client.headers.pop("accept-encoding", None)
        return fetch_all(client)


@pytest.mark.parametrize("mode", MODES)
def test_gzip_streams_like_fastapi(start_server, mode, fastapi_results):
    server = start_server("gzip_stream_app:app", mode, cwd=APPS_DIR)
    with httpx.Client(base_url=server.base_url) as client:
        client.headers.pop("accept-encoding", None)
        ours = fetch_all(client)
    assert len(ours) == len(fastapi_results)
    for (key, expected, _), (key2, actual, framing) in zip(fastapi_results, ours):
        assert key == key2
        assert actual == expected, key
        status, headers, _ = actual
        names = [k for k, _ in headers]
        # On the wire: a body without content-length is chunked, never both.
        assert (framing == "chunked") == ("content-length" not in names), key


def test_compressed_stream_is_sent_piece_by_piece(start_server):
    """The compressed stream is chunked and every piece is flushed: the gzip member decodes
    incrementally, and the first chunk already holds decodable data (Z_SYNC_FLUSH)."""
    import zlib

    server = start_server("gzip_stream_app:app", "dynamic", cwd=APPS_DIR)
    with httpx.Client(base_url=server.base_url) as client:
        with client.stream("GET", "/stream", headers={"accept-encoding": "gzip"}) as response:
            assert response.headers["content-encoding"] == "gzip"
            assert response.headers["transfer-encoding"] == "chunked"
            assert "content-length" not in response.headers
            decoder = zlib.decompressobj(31)
            pieces = response.iter_raw()
            first = next(pieces)
            assert decoder.decompress(first).startswith(b"line 0: \n")
            rest = decoder.decompress(b"".join(pieces))
    assert decoder.eof
    assert rest.endswith(b"line 299: " + b"abc" * (299 % 7) + b"\n")
