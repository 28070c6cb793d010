"""Server-Sent Events endpoints for tests/sse (both modes; the same source runs under FastAPI
with only the imports changed)."""

import asyncio
from collections.abc import AsyncIterable, Iterable
from typing import Annotated, Union

from pydantic import BaseModel

from astraapi import FastAPI, Header, Response
from astraapi.sse import EventSourceResponse, ServerSentEvent

app = FastAPI()
release = asyncio.Event()


class Item(BaseModel):
    name: str
    price: float


@app.get("/items/stream", response_class=EventSourceResponse)
async def stream_items() -> AsyncIterable[Item]:
    yield Item(name="a", price=1.5)
    yield {"name": "b", "price": 2}


@app.get("/events", response_class=EventSourceResponse)
async def events(response: Response, last_event_id: Annotated[Union[int, None], Header()] = None):
    response.headers["x-resume"] = str(last_event_id)
    start = (last_event_id or 0) + 1
    for i in range(start, start + 3):
        yield ServerSentEvent(data={"n": i, "text": "é"}, event="tick", id=str(i), retry=1000 if i == start else None)
    yield ServerSentEvent(raw_data="line1\nline2\r\nline3", comment="raw\nsecond")
    yield ServerSentEvent(comment="just a comment")
    yield ServerSentEvent(data="quoted", event="str")
    yield ServerSentEvent(data=Item(name="m", price=3.0))
    yield ServerSentEvent()
    yield "plain string"
    yield {"x": float("nan"), "y": [1, 2.5]}


@app.get("/sync", response_class=EventSourceResponse)
def sync_events() -> Iterable[int]:
    yield 1
    yield 2


@app.post("/post-events", response_class=EventSourceResponse, status_code=201)
async def post_events(item: Item) -> AsyncIterable[ServerSentEvent]:
    yield ServerSentEvent(data=item, id="x")


@app.get("/untyped", response_class=EventSourceResponse)
async def untyped():
    yield [1, "two"]


@app.get("/slow", response_class=EventSourceResponse)
async def slow():
    yield "first"
    await release.wait()
    release.clear()
    yield "released"


@app.get("/release")
async def do_release():
    release.set()
    return {"released": True}
