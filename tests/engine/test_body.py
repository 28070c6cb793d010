"""JSON request bodies: one model, several (embedded) parameters, content types, bad JSON."""

from __future__ import annotations

import json

import pytest

APP = """
from typing import Annotated, Optional
from pydantic import BaseModel, Field
from FRAMEWORK import FastAPI, Body

app = FastAPI()

class Tag(BaseModel):
    label: str

class Item(BaseModel):
    name: str
    price: float
    description: Optional[str] = None
    tags: list[Tag] = []
    quantity: int = Field(1, ge=1)

@app.post("/items")
async def create_item(item: Item):
    return item

@app.post("/items-sync")
def create_item_sync(item: Item):
    return {"name": item.name, "total": item.price * item.quantity}

@app.put("/items/{item_id}")
async def update_item(item_id: int, item: Item, q: Optional[str] = None):
    return {"item_id": item_id, "item": item, "q": q}

@app.post("/two")
async def two(item: Item, importance: int = Body()):
    return {"item": item, "importance": importance}

@app.post("/embedded")
async def embedded(item: Annotated[Item, Body(embed=True)]):
    return item

@app.post("/optional-body")
async def optional_body(item: Optional[Item] = None):
    return {"item": item}

@app.post("/scalar-body")
async def scalar_body(value: int = Body()):
    return {"value": value}
"""

VALID = {"name": "Widget", "price": 9.5, "tags": [{"label": "é"}]}
JSON = {"content-type": "application/json"}


@pytest.fixture
def pair(make_pair):
    return make_pair(APP)


def body(value) -> bytes:
    return json.dumps(value).encode()


@pytest.mark.parametrize("path", ["/items", "/items-sync", "/embedded", "/optional-body"])
@pytest.mark.parametrize(
    "content",
    [
        body(VALID),
        body({"item": VALID}),
        body({"name": "x"}),
        body({"name": 5, "price": "cheap", "quantity": 0}),
        body([1, 2]),
        body("text"),
        body(None),
        b'{"name": "x", "price": 1',
        b'{"name": "x",}',
        b"\xff\xfe{",
        b"",
        b"   ",
    ],
)
def test_post_body(pair, path, content):
    pair.check("POST", path, headers=JSON, content=content)


@pytest.mark.parametrize(
    "content_type",
    [None, "application/json; charset=utf-8", "application/vnd.api+json", "text/plain", "application/x-www-form-urlencoded",
     "APPLICATION/JSON", "nonsense"],
)
def test_content_types(pair, content_type):
    headers = {"content-type": content_type} if content_type else {}
    pair.check("POST", "/items", headers=headers, content=body(VALID))
    pair.check("POST", "/two", headers=headers, content=body({"item": VALID, "importance": 2}))


@pytest.mark.parametrize(
    "content",
    [
        body({"item": VALID, "importance": 3}),
        body({"item": VALID}),
        body({"item": {"name": "x"}, "importance": "high"}),
        body([VALID]),
        body(7),
        b"",
        b"[",
    ],
)
def test_several_body_parameters(pair, content):
    pair.check("POST", "/two", headers=JSON, content=content)


@pytest.mark.parametrize("content", [body(5), body("5"), body("five"), body(None), b""])
def test_scalar_body(pair, content):
    pair.check("POST", "/scalar-body", headers=JSON, content=content)


@pytest.mark.parametrize("url", ["/items/3", "/items/x?q=1", "/items/4?q=%C3%A9"])
def test_body_with_path_and_query(pair, url):
    pair.check("PUT", url, headers=JSON, content=body(VALID))
    pair.check("PUT", url, headers=JSON, content=body({"price": "x"}))


def test_any_error_while_parsing_the_body_is_fastapis_400(monkeypatch):
    """FastAPI answers 400 "There was an error parsing the body" for any exception the JSON parsing raises
    (its own tests patch json.loads to raise a bare Exception); only a JSONDecodeError is a 422."""
    from astraapi.engine import body as body_module

    def failing(_: bytes) -> None:
        raise Exception("parser failure")

    monkeypatch.setattr(body_module.json, "loads", failing)
    with pytest.raises(body_module.BodyError) as caught:
        body_module.read_body(b'{"a": 1}', [(b"content-type", b"application/json")])
    assert caught.value.error is None
