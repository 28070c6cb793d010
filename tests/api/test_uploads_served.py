"""Multipart uploads and FastAPI(max_body_size=...) on real servers, in both modes."""

from __future__ import annotations

import hashlib
import os

import httpx
import pytest

from support.paths import APPS_DIR, MODES
from support.raw_http import exchange, without_date


@pytest.fixture(scope="module", params=MODES)
def server(request, start_server):
    return start_server("uploads_app:app", request.param, cwd=APPS_DIR)


def test_upload_a_file(server):
    data = os.urandom(3 * 1024 * 1024)  # rolls the SpooledTemporaryFile over to disk
    response = httpx.post(server.base_url + "/upload", files={"file": ("big é.bin", data, "application/x-raw")},
                          data={"note": "hi"})
    assert response.status_code == 200
    assert response.json() == {"filename": "big é.bin", "content_type": "application/x-raw", "size": len(data),
                               "sha256": hashlib.sha256(data).hexdigest(), "note": "hi"}


def test_list_of_bytes(server):
    files = [("files", ("a", b"1")), ("files", ("b", b"22")), ("files", ("c", b"333"))]
    assert httpx.post(server.base_url + "/many", files=files).json() == {"sizes": [1, 2, 3]}


def test_missing_file_is_422(server):
    response = httpx.post(server.base_url + "/upload", data={"note": "x"}, files={"other": ("o", b"o")})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "file"]


def test_body_over_the_app_limit(server):
    body = b"x" * (4 * 1024 * 1024 + 1)
    response = httpx.post(server.base_url + "/echo", content=body, headers={"content-type": "application/json"})
    assert (response.status_code, response.text) == (413, "Content Too Large")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_chunked_body_over_the_app_limit_is_json_413(server):
    def chunks():
        for _ in range(5):
            yield b"y" * (1024 * 1024)
    response = httpx.post(server.base_url + "/echo", content=chunks(), headers={"content-type": "application/json"})
    assert (response.status_code, response.json()) == (413, {"detail": "Content Too Large"})


def test_json_without_content_type_is_not_parsed(server):
    raw = without_date(exchange("127.0.0.1", server.port,
                                b"POST /echo HTTP/1.1\r\nhost: t\r\ncontent-length: 7\r\nconnection: close\r\n\r\n{\"a\":1}"))
    assert raw.startswith(b"HTTP/1.1 422 Unprocessable")
