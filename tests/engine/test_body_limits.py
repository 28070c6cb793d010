"""FastAPI(max_body_size=...) and FastAPI(strict_content_type=...) against FastAPI 0.165."""

from __future__ import annotations

import pytest

APP = """
from typing import Annotated
from pydantic import BaseModel
from FRAMEWORK import BackgroundTasks, FastAPI, Form, HTTPException
from FRAMEWORK.responses import PlainTextResponse

app = FastAPI(max_body_size=10, strict_content_type=STRICT)
EVENTS = []

class Item(BaseModel):
    a: int

@app.post("/json")
async def json_body(item: Item):
    return item

@app.post("/json-sync")
def json_sync(item: Item):
    return item

@app.post("/form")
async def form(name: Annotated[str, Form()]):
    return {"name": name}

@app.post("/nobody")
async def nobody(tasks: BackgroundTasks):
    EVENTS.append("endpoint ran")
    return {"ok": True}

@app.get("/get")
def get():
    return {"ok": True}
"""


@pytest.fixture(params=[True, False], ids=["strict", "lenient"])
def pair(make_pair, request):
    return make_pair(APP.replace("STRICT", str(request.param)))


@pytest.mark.parametrize("url", ["/json", "/json-sync"])
@pytest.mark.parametrize(
    "headers,body",
    [
        ({"content-type": "application/json"}, b'{"a":1}'),
        ({"content-type": "application/json"}, b'{"a":1}    '),  # 11 bytes: one over the limit
        ({"content-type": "application/json"}, b'{"a": 100000000}'),
        ({}, b'{"a":1}'),  # no content-type: parsed as JSON only when not strict
        ({}, b'{"a":'),
        ({"content-type": "text/plain"}, b'{"a":1}'),
        ({"content-type": "application/json"}, b""),
    ],
)
def test_json_bodies(pair, url, headers, body):
    pair.check("POST", url, headers=headers, content=body)


@pytest.mark.parametrize("body", [b"name=abc", b"name=abcdefghij"])
def test_form_bodies(pair, body):
    pair.check("POST", "/form", headers={"content-type": "application/x-www-form-urlencoded"}, content=body)


@pytest.mark.parametrize("body", [b"", b"0123456789", b"0123456789A"])
def test_routes_without_body_params(pair, body):
    status, headers, content = pair.check("POST", "/nobody", content=body)
    assert pair.events()[0] == ["endpoint ran"]  # FastAPI runs it; the limiter replaces the answer
    if len(body) > 10:
        assert (status, content) == (413, b"Content Too Large")


def test_invalid_limits():
    from astraapi import FastAPI

    for bad in (-1, True, 1.5, "10"):
        with pytest.raises(ValueError, match="max_body_size must be a non-negative integer or None"):
            FastAPI(max_body_size=bad)
