"""Generator endpoints: FastAPI 0.165's JSON Lines streaming, and a chosen response class."""

from __future__ import annotations

import pytest

APP = """
import math
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Optional
from pydantic import BaseModel
from FRAMEWORK import FastAPI, Response
from FRAMEWORK.responses import StreamingResponse, PlainTextResponse

app = FastAPI()

class Item(BaseModel):
    name: str
    price: float = 1.5
    note: Optional[str] = None

@app.get("/items")
async def items() -> AsyncIterable[Item]:
    for i in range(3):
        yield Item(name=f"item {i}", note="é" if i else None)

@app.get("/items-sync")
def items_sync() -> Iterator[Item]:
    yield {"name": "a", "price": 2, "extra": "dropped"}
    yield Item(name="b")

@app.get("/items-exclude", response_model_exclude_none=True)
async def items_exclude() -> AsyncIterator[Item]:
    yield Item(name="x")

@app.get("/plain")
def plain():
    yield {"a": 1, "é": [1.5, None, math.inf]}
    yield "text"
    yield 3

@app.get("/plain-async", status_code=201)
async def plain_async(response: Response):
    response.headers["x-extra"] = "1"
    yield {"k": "v"}

@app.get("/raw", response_class=StreamingResponse)
async def raw():
    yield b"raw "
    yield "bytes"

@app.get("/raw-text", response_class=PlainTextResponse)
def raw_text():
    yield "not streamed by the class"
"""


@pytest.fixture
def pair(make_pair):
    return make_pair(APP)


@pytest.mark.parametrize("url", ["/items", "/items-sync", "/items-exclude", "/plain", "/plain-async", "/raw"])
def test_generator_endpoints_match_fastapi(pair, url):
    pair.check("GET", url)


def test_jsonl_bytes(pair):
    status, headers, body = pair.check("GET", "/items")
    assert headers == [(b"content-type", b"application/jsonl")]
    assert body.splitlines()[1] == '{"name":"item 1","price":1.5,"note":"é"}'.encode()
