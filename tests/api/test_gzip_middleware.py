"""GZipMiddleware: the same decisions and headers as FastAPI's (Starlette's) middleware, in both
modes. The compressed bytes come from libdeflate, not zlib, so they are compared decompressed."""

import gzip

import httpx
import pytest

from support.items_script import load_with_fastapi
from support.paths import APPS_DIR, MODES

PATHS = ["/big", "/small", "/model", "/text", "/events", "/encoded"]
ENCODINGS = [None, "gzip", "br, gzip;q=0.5", "identity"]


def observed(response, raw_body: bytes) -> tuple:
    headers = [(k.lower(), v) for k, v in response.headers.multi_items() if k.lower() not in ("date", "server")]
    compressed = response.headers.get("content-encoding") == "gzip"
    # The content-length of a compressed body depends on the compressor: compare its place only.
    headers = [(k, "<n>" if k == "content-length" and compressed else v) for k, v in headers]
    body = gzip.decompress(raw_body) if compressed else raw_body
    return response.status_code, headers, body


def fetch_all(client) -> list:
    results = []
    for path in PATHS:
        for encoding in ENCODINGS:
            headers = {"accept-encoding": encoding} if encoding else {}
            # No automatic decompression: the raw stream is what the client received.
            request = client.build_request("GET", path, headers=headers)
            response = client.send(request, stream=True)
            try:
                raw_body = b"".join(response.iter_raw())
            finally:
                response.close()
            results.append(((path, encoding), observed(response, raw_body)))
    return results


@pytest.fixture(scope="module")
def fastapi_results(tmp_path_factory):
    from fastapi.testclient import TestClient

    module = load_with_fastapi(APPS_DIR / "gzip_app.py", tmp_path_factory.mktemp("gz") / "unused.db")
    source = (APPS_DIR / "gzip_app.py").read_text()
    assert "astraapi.middleware.gzip" in source
    with TestClient(module.app) as client:
        client.headers.pop("accept-encoding", None)
        return fetch_all(client)


@pytest.mark.parametrize("mode", MODES)
def test_gzip_like_fastapi(start_server, mode, fastapi_results):
    server = start_server("gzip_app:app", mode, cwd=APPS_DIR)
    with httpx.Client(base_url=server.base_url) as client:
        client.headers.pop("accept-encoding", None)
        ours = fetch_all(client)
    assert len(ours) == len(fastapi_results)
    for expected, actual in zip(fastapi_results, ours):
        assert actual == expected, expected[0]
    compressed = [key for key, (_, headers, _) in ours if ("content-encoding", "gzip") in headers]
    assert ("/big", "gzip") in compressed and ("/model", "br, gzip;q=0.5") in compressed


def test_other_middleware_runs_as_python_middleware_and_non_classes_are_refused():
    from astraapi import FastAPI

    class Custom:
        def __init__(self, app):
            self.app = app

    app = FastAPI()
    app.add_middleware(Custom)
    assert app.user_middleware[0].cls is Custom
    with pytest.raises(TypeError, match="not a middleware class"):
        app.add_middleware("Custom")  # type: ignore[arg-type]
