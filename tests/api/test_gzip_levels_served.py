"""The compression level a served gzip body is made at, in both modes: GZipMiddleware's
compresslevel and the server's --gzip-level are zlib's scale, and whole bodies are compressed
with libdeflate at `_runtime.gzip_level_for_zlib` of it (tests/runtime/test_gzip_levels.py checks
that level against zlib on the corpus). The bytes are compared exactly with libdeflate's own."""

import gzip

import httpx
import pytest

from astraapi import _runtime
from support.paths import APPS_DIR, MODES


def raw_get(base_url: str, path: str) -> tuple[httpx.Response, bytes]:
    with httpx.Client(base_url=base_url) as client:
        client.headers.pop("accept-encoding", None)
        response = client.send(client.build_request("GET", path, headers={"accept-encoding": "gzip"}), stream=True)
        try:
            raw = b"".join(response.iter_raw())
        finally:
            response.close()
    return response, raw


def assert_made_at(response: httpx.Response, raw: bytes, zlib_level: int) -> None:
    assert response.status_code == 200 and response.headers["content-encoding"] == "gzip"
    assert int(response.headers["content-length"]) == len(raw)
    body = gzip.decompress(raw)
    mapped = _runtime.gzip_level_for_zlib(zlib_level)
    assert mapped != zlib_level and _runtime.gzip_compress(body, zlib_level) != raw  # the test can tell them apart
    assert raw == _runtime.gzip_compress(body, mapped)
    assert len(raw) <= len(gzip.compress(body, zlib_level))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", ["/rows", "/text"])
def test_middleware_default_level(start_server, mode, path):
    server = start_server("gzip_level_app:app", mode, cwd=APPS_DIR)
    assert_made_at(*raw_get(server.base_url, path), 9)


@pytest.mark.parametrize("mode", MODES)
def test_native_gzip_level(start_server, mode):
    server = start_server("native_gzip_app:app", mode, cwd=APPS_DIR, args=("--gzip", "--gzip-level", "9"))
    assert_made_at(*raw_get(server.base_url, "/big"), 9)
