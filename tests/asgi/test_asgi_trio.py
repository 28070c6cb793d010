"""The app as an ASGI application called from trio: the same answers as from asyncio, body limits included
(the body read only up to the limit), the caller's context variables, an exception raised to the caller,
and cancellation from trio reaching the endpoint. HTTP routes run in the caller's trio task
(Executor.run_in_caller); what needs asyncio runs on a loop of its own (astraapi/asgi/foreign_loop.py)."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from typing import Annotated

import httpx
import pytest

from astraapi import Body, FastAPI, Request
from astraapi.responses import PlainTextResponse

trio = pytest.importorskip("trio")

caller = contextvars.ContextVar("caller", default="unset")


def _app(events: list[str]) -> FastAPI:
    app = FastAPI(max_body_size=5)

    @app.post("/echo")
    async def echo(request: Request):
        return PlainTextResponse(await request.body())

    @app.post("/bytes")
    async def as_bytes(data: Annotated[bytes, Body(media_type="application/octet-stream")]):
        return PlainTextResponse(data)

    @app.get("/context")
    async def context():
        return {"caller": caller.get()}

    @app.get("/fails")
    async def fails():
        raise RuntimeError("endpoint failed")

    @app.get("/slow")
    async def slow():
        import anyio

        try:
            await anyio.sleep(30)  # under trio, in the caller's trio task (Executor.run_in_caller)
        except anyio.get_cancelled_exc_class():
            events.append("cancelled")
            raise
        return {"slow": True}

    return app


class Chunks(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.consumed: list[bytes] = []

    async def __aiter__(self):
        for chunk in self.chunks:
            self.consumed.append(chunk)
            yield chunk


async def _exchange(app: FastAPI) -> list[tuple[int, bytes, list[bytes]]]:
    results = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        for path, chunks in [("/echo", [b"12345"]), ("/echo", [b"123", b"456", b"789"]), ("/bytes", [b"123", b"456"]),
                             ("/bytes", [b"ok"])]:
            stream = Chunks(chunks)
            request = httpx.Request("POST", "http://test" + path, stream=stream,
                                    headers={"content-type": "application/octet-stream"})
            response = await client.send(request)
            results.append((response.status_code, response.content, stream.consumed))
        caller.set("the test")
        response = await client.get("/context")
        results.append((response.status_code, response.content, []))
    return results


def test_same_answers_as_from_asyncio():
    from_asyncio = asyncio.run(_exchange(_app([])))
    from_trio = trio.run(_exchange, _app([]))
    assert from_trio == from_asyncio
    assert from_trio[0][:2] == (200, b"12345")
    # the limit stops reading the body: the third piece is never taken from the client
    assert from_trio[1] == (413, b'{"detail":"Content Too Large"}', [b"123", b"456"])
    assert from_trio[2][:2] == (413, b'{"detail":"Content Too Large"}')
    assert from_trio[4][1] == b'{"caller":"the test"}'


def test_an_exception_reaches_the_caller():
    async def call() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app([])), base_url="http://test") as client:
            await client.get("/fails")

    with pytest.raises(RuntimeError, match="endpoint failed"):
        trio.run(call)


def test_cancelling_the_caller_cancels_the_endpoint():
    events: list[str] = []
    app = _app(events)
    finished = threading.Event()

    async def call() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            with trio.move_on_after(0.5) as scope:
                await client.get("/slow")
            assert scope.cancelled_caught
        finished.set()

    trio.run(call)
    assert finished.is_set()
    assert events == ["cancelled"]
