"""Path and query parameters, status codes, async and sync endpoints, JSON formatting."""

from __future__ import annotations

import pytest

APP = """
from typing import Annotated, Optional
from FRAMEWORK import FastAPI, Query, Path

app = FastAPI()

@app.get("/")
async def root():
    return {"message": "Hello World"}

@app.get("/sync")
def sync_root():
    return {"message": "Hello from a thread"}

@app.get("/items/{item_id}")
async def read_item(item_id: int):
    return {"item_id": item_id}

@app.get("/names/{name}")
def read_name(name: str):
    return {"name": name, "length": len(name)}

@app.get("/prices/{price}")
async def read_price(price: float):
    return {"price": price, "double": price * 2}

@app.get("/search")
async def search(q: str, limit: int = 10, skip: int = 0, exact: bool = False):
    return {"q": q, "limit": limit, "skip": skip, "exact": exact}

@app.get("/optional")
def optional(q: Optional[str] = None, n: int | None = None):
    return {"q": q, "n": n}

@app.get("/bounded")
async def bounded(n: Annotated[int, Query(ge=1, le=10)] = 5, s: str = Query("x", max_length=3)):
    return {"n": n, "s": s}

@app.get("/bounded-path/{k}")
async def bounded_path(k: Annotated[int, Path(gt=2)]):
    return {"k": k}

@app.get("/aliased")
async def aliased(item_query: str = Query(alias="item-query")):
    return {"item_query": item_query}

@app.get("/many")
async def many(ids: list[int] = Query([])):
    return {"ids": ids}

@app.post("/created", status_code=201)
async def created():
    return {"created": True}

@app.get("/conv/{n:int}/{f:float}")
async def convertors(n: int, f: float):
    return {"n": n, "f": f}

@app.get("/files/{file_path:path}")
async def files(file_path: str):
    return {"file_path": file_path}

@app.get("/uuid/{u:uuid}")
async def by_uuid(u: str):
    return {"u": u}

@app.get("/floats")
async def floats():
    return {"a": 1.5, "b": 3.0, "c": 0.1 + 0.2, "d": 1e16, "e": 1e-7, "f": -0.0, "g": 123456789.125}

@app.get("/unicode")
def unicode():
    return {"greeting": "héllo wörld ✓ 日本語 😀", "escape": "quote\\" and \\\\ tab\\t"}

@app.get("/plain-types")
async def plain_types():
    return [1, "two", None, True, {"nested": [1.25, {"deep": False}]}]
"""


@pytest.fixture
def pair(make_pair):
    return make_pair(APP)


@pytest.mark.parametrize(
    "url",
    [
        "/", "/sync",
        "/items/42", "/items/abc", "/items/3.5", "/items/-7",
        "/names/bob", "/names/%C3%A9t%C3%A9", "/names/a%20b",
        "/prices/9.5", "/prices/3", "/prices/1e16", "/prices/nope",
        "/search?q=x", "/search", "/search?q=x&limit=5&skip=2&exact=true", "/search?q=x&limit=five&exact=maybe",
        "/search?q=&limit=", "/search?q=a&q=b", "/search?q=%C3%A9&limit=1",
        "/optional", "/optional?q=a&n=3", "/optional?n=x",
        "/bounded", "/bounded?n=0", "/bounded?n=11&s=toolong", "/bounded?n=3&s=ok",
        "/bounded-path/3", "/bounded-path/1", "/bounded-path/x",
        "/aliased?item-query=yes", "/aliased?item_query=no",
        "/many", "/many?ids=1&ids=2&ids=3", "/many?ids=1&ids=x",
        "/floats", "/unicode", "/plain-types",
        "/conv/12/2.5", "/conv/007/1", "/files/a/b/c.txt", "/files/%C3%A9/x",
        "/uuid/12345678-1234-5678-1234-567812345678",
    ],
)
def test_get_matches_fastapi(pair, url):
    pair.check("GET", url)


def test_status_code(pair):
    status, headers, body = pair.check("POST", "/created")
    assert status == 201 and body == b'{"created":true}'


def test_hello_world_bytes(pair):
    assert pair.check("GET", "/") == (
        200,
        [(b"content-length", b"25"), (b"content-type", b"application/json")],
        b'{"message":"Hello World"}',
    )


def test_sync_endpoint_answers_later(pair):
    pair.check("GET", "/sync")
    assert pair.ours.deferred >= 1  # it ran in the thread pool and answered through respond()
