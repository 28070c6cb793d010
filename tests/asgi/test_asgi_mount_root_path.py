"""Under an ASGI server a mounted app's requests carry the mount in `root_path` (Starlette's Mount puts
`root_path + matched path` into the scope), as under FastAPI: compared with FastAPI 0.165 driven the same
way, with and without a root_path from the server."""

from __future__ import annotations

import asyncio

import httpx
import pytest

pytest.importorskip("fastapi")

SOURCE = '''
from FRAMEWORK import FastAPI, Request, WebSocket

app = FastAPI()
sub = FastAPI()


@sub.get("/x")
def x(request: Request):
    return {"root_path": request.scope["root_path"], "path": request.scope["path"], "url": str(request.url),
            "base_url": str(request.base_url), "url_for": str(request.url_for("x"))}


@sub.get("/async")
async def asynchronous(request: Request):
    return {"root_path": request.scope["root_path"]}


app.mount("/sub", sub)
'''


def _app(framework: str):
    namespace: dict = {}
    exec(compile(SOURCE.replace("FRAMEWORK", framework), f"<mount_root_path_{framework}>", "exec"), namespace)
    return namespace["app"]


async def _answers(app, root_path: str) -> list:
    transport = httpx.ASGITransport(app=app, root_path=root_path)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return [(r.status_code, r.json()) for r in
                [await client.get(root_path + path) for path in ("/sub/x", "/sub/async", "/sub/x?q=1")]]


@pytest.mark.parametrize("root_path", ["", "/api"])
def test_mounted_app_root_path_matches_fastapi(root_path):
    ours = asyncio.run(_answers(_app("astraapi"), root_path))
    reference = asyncio.run(_answers(_app("fastapi"), root_path))
    assert ours == reference
    assert ours[0][1]["root_path"] == root_path + "/sub"
