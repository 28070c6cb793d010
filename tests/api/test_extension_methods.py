"""Request methods beyond the nine with a method bit: the ones the server's HTTP parser (llhttp) knows
(QUERY, PROPFIND, ...) are routed by name; a route declaring one it refuses is named at start-up."""

from __future__ import annotations

import asyncio
import logging

import httpx

from astraapi import FastAPI
from astraapi.testclient import TestClient


def test_parsed_extension_methods_are_served():
    app = FastAPI()

    @app.api_route("/items/{item_id}", methods=["QUERY", "PROPFIND"])
    def query_item(item_id: int):
        return {"item_id": item_id}

    client = TestClient(app)
    assert client.request("QUERY", "/items/3").json() == {"item_id": 3}
    assert client.request("PROPFIND", "/items/3").json() == {"item_id": 3}
    response = client.request("LOCK", "/items/3")
    assert response.status_code == 405 and response.headers["allow"] == "QUERY, PROPFIND"
    assert client.request("QUERY", "/items/x").status_code == 422


def test_methods_the_parser_refuses_are_named_at_start_up(caplog):
    app = FastAPI()

    @app.api_route("/custom", methods=["CUSTOM"])
    def custom():
        return "custom"

    @app.api_route("/query", methods=["QUERY"])
    def query():
        return "query"

    with caplog.at_level(logging.WARNING, logger="astraapi.server"):
        client = TestClient(app)
        response = client.request("CUSTOM", "/custom")
    assert response.status_code == 400  # llhttp refuses the method, as uvicorn with httptools does
    (record,) = [r for r in caplog.records if r.name == "astraapi.server"]
    message = record.getMessage()
    assert "test_extension_methods.py:" in message and "'custom'" in message and "declares CUSTOM" in message
    assert "QUERY" not in message

    async def through_asgi():  # an ASGI server that accepts the method gets the route's answer
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as asgi:
            return await asgi.request("CUSTOM", "/custom"), await asgi.request("CUSTOM", "/query")

    served, refused = asyncio.run(through_asgi())
    assert served.status_code == 200 and served.json() == "custom"
    assert refused.status_code == 405 and refused.headers["allow"] == "QUERY"
