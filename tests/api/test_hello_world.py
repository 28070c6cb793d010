"""A FastAPI hello-world app with only the import changed answers exactly as FastAPI does."""

import pytest

from support.raw_http import exchange, without_date

from support.paths import APPS_DIR, MODES


@pytest.mark.parametrize("mode", MODES)
def test_hello_world_exact_bytes(start_server, mode):
    server = start_server("hello:app", mode, cwd=APPS_DIR)
    raw = exchange(server.host, server.port, b"GET / HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n")
    assert without_date(raw) == (
        b"HTTP/1.1 200 OK\r\n"
        b"server: astraapi\r\n"
        b"content-length: 25\r\n"
        b"content-type: application/json\r\n"
        b"connection: close\r\n"  # the client asked to close; uvicorn says so too
        b"\r\n"
        b'{"message":"Hello World"}'
    )
    assert b"\r\ndate: " in raw


@pytest.mark.parametrize("mode", MODES)
def test_hello_world_with_httpx(start_server, mode):
    httpx = pytest.importorskip("httpx")
    server = start_server("hello:app", mode, cwd=APPS_DIR)
    with httpx.Client(base_url=server.base_url) as client:
        for _ in range(3):  # the same keep-alive connection
            response = client.get("/")
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json"
            assert response.content == b'{"message":"Hello World"}'
        missing = client.get("/nope")
        assert (missing.status_code, missing.content) == (404, b'{"detail":"Not Found"}')
        wrong_method = client.post("/")
        assert wrong_method.status_code == 405
        assert wrong_method.headers["allow"] == "GET"
        assert wrong_method.content == b'{"detail":"Method Not Allowed"}'
