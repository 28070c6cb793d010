"""`app.mount(path, APIRouter)` (an APIRouter is an ASGI app, FastAPI mounts it): its routes are served under the
path with the router's body limit, the mounting app's exception handlers, Starlette's Mount scope; a route
added to the router after mounting is served too. Real server, both modes."""

from __future__ import annotations

import httpx
import pytest

MODES = ["dynamic", "compiled"]


def _check(client: httpx.Client) -> None:
    assert client.post("/sub/echo", content=b"123456789").text == "123456789"  # the router's 10, not the app's 5
    too_large = client.post("/sub/echo", content=b"0123456789a")
    assert too_large.status_code == 413
    assert client.get("/sub/items/3").json() == {"item_id": 3, "root_path": "/sub", "path": "/sub/items/3"}
    assert client.get("/sub/items/x").status_code == 422
    teapot = client.get("/sub/teapot")
    assert (teapot.status_code, teapot.json()) == (418, {"teapot": True})  # the mounting app's handler
    assert client.get("/sub/missing").json() == {"detail": "no such thing"}
    assert client.get("/sub/nothing").status_code == 404
    assert client.get("/sub/later").json() == "later"
    assert client.get("/sub/openapi.json").status_code == 404  # a router has no docs of its own


@pytest.mark.parametrize("mode", MODES)
def test_mounted_router_served(start_server, mode):
    server = start_server("tests.apps.mounted_router_app:app", mode)
    with httpx.Client(base_url=server.base_url) as client:
        _check(client)


@pytest.mark.anyio
async def test_mounted_router_over_asgi():
    from tests.apps.mounted_router_app import app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        assert (await client.post("/sub/echo", content=b"123456789")).text == "123456789"
        assert (await client.post("/sub/echo", content=b"0123456789a")).status_code == 413
        assert (await client.get("/sub/items/3")).json()["path"] == "/sub/items/3"
        assert (await client.get("/sub/teapot")).status_code == 418
        assert (await client.get("/sub/later")).json() == "later"
