"""With Starlette loaded, an uploaded file is an instance of Starlette's UploadFile as well as AstraAPI's (as
FastAPI's UploadFile subclasses Starlette's), a form model's extra file field included. Real server, both modes."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize("mode", ["dynamic", "compiled"])
def test_uploads_are_starlette_upload_files(start_server, mode):
    server = start_server("tests.apps.starlette_upload_app:app", mode)
    with httpx.Client(base_url=server.base_url) as client:
        answer = client.post("/file", files={"upload": ("a.txt", b"hello")})
        assert answer.json() == {"ours": True, "starlette": True, "name": "a.txt", "data": "hello"}
        answer = client.post("/extras", files=[("value", (None, "v")), ("attachment", ("b.txt", b"x"))])
        assert answer.json() == {"starlette": True, "name": "b.txt", "value": "v"}
