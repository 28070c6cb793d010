"""JSON Lines streams (generator endpoints with an item type), for the example-app set."""

from collections.abc import AsyncIterable, Iterable

from pydantic import BaseModel

from astraapi import FastAPI

app = FastAPI()


class Item(BaseModel):
    name: str
    description: str | None = None
    price: float = 1.0


ITEMS = [Item(name="Plumbus", description="A multi-purpose device"), Item(name="Portal Gun", price=9.5)]


@app.get("/items/stream")
async def stream_items() -> AsyncIterable[Item]:
    for item in ITEMS:
        yield item


@app.get("/items/stream-sync")
def stream_items_sync() -> Iterable[Item]:
    for item in ITEMS:
        yield item


@app.get("/items/stream-dicts")
def stream_dicts() -> Iterable[Item]:
    yield {"name": "dict", "price": 2, "extra": "dropped"}


@app.get("/items/untyped")
async def stream_untyped():
    yield {"a": 1.0}
    yield [1, "two", None]
    yield "three"


@app.get("/items/exclude", response_model_exclude_none=True)
async def stream_exclude() -> AsyncIterable[Item]:
    yield Item(name="x")


REQUESTS = [
    ("GET", "/items/stream", {}),
    ("GET", "/items/stream-sync", {}),
    ("GET", "/items/stream-dicts", {}),
    ("GET", "/items/untyped", {}),
    ("GET", "/items/exclude", {}),
    ("HEAD", "/items/stream", {}),
    ("GET", "/openapi.json", {}),
]
