"""The example items API, served for real, in both modes."""

import json

import httpx
import pytest

from support.paths import MODES


@pytest.fixture(params=MODES)
def items_server(request, start_server, tmp_path):
    return start_server("examples.items_api:app", request.param, env={"ITEMS_DB": str(tmp_path / "items.db")})


def test_crud_flow(items_server):
    with httpx.Client(base_url=items_server.base_url) as client:
        assert client.get("/items").content == b"[]"
        created = client.post("/items", json={"name": "Widget", "price": 9.5, "tags": ["a"]})
        assert created.status_code == 201
        assert created.headers["content-type"] == "application/json"
        assert created.content == b'{"name":"Widget","price":9.5,"tags":["a"],"description":null,"id":1}'
        assert client.get("/items/1").json() == json.loads(created.content)
        replaced = client.put("/items/1", json={"name": "Widget", "price": 1e-06, "description": "é"})
        assert replaced.content == '{"name":"Widget","price":1e-6,"tags":[],"description":"é","id":1}'.encode()
        assert client.get("/stats").content == b'{"count":1,"total_value":1e-6}'
        assert client.delete("/items/1").content == b'{"deleted":1}'
        missing = client.get("/items/1")
        assert (missing.status_code, missing.content) == (404, b'{"detail":"Item not found"}')


def test_validation_errors_are_fastapis(items_server):
    with httpx.Client(base_url=items_server.base_url) as client:
        bad_path = client.get("/items/abc")
        assert bad_path.status_code == 422
        assert bad_path.content == (
            b'{"detail":[{"type":"int_parsing","loc":["path","item_id"],'
            b'"msg":"Input should be a valid integer, unable to parse string as an integer","input":"abc"}]}'
        )
        bad_query = client.get("/items", params={"limit": "0"})
        assert bad_query.status_code == 422
        assert bad_query.json()["detail"][0]["loc"] == ["query", "limit"]
        assert bad_query.json()["detail"][0]["type"] == "greater_than_equal"
        missing_field = client.post("/items", json={"price": 1})
        assert missing_field.status_code == 422
        assert missing_field.json()["detail"][0]["loc"] == ["body", "name"]


def test_trailing_slash_redirect_is_absolute(items_server):
    with httpx.Client(base_url=items_server.base_url) as client:
        response = client.get("/items/?limit=5", follow_redirects=False)
        assert response.status_code == 307
        assert response.headers["location"] == f"{items_server.base_url}/items?limit=5"
        assert response.content == b""
