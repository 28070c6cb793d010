"""Streamed answers and file downloads, for the real-server tests (tests/api/test_streaming_served.py).

`/state` reports what the generators did (produced counts, whether they were closed), so a
test can see a client disconnect stop a generator and backpressure pause one.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterable

from pydantic import BaseModel

from astraapi import FastAPI
from astraapi.responses import FileResponse, StreamingResponse

app = FastAPI()
FILES = os.environ.get("STREAM_FILES", ".")
STATE: dict[str, object] = {}


@app.get("/state")
def state():
    return STATE


@app.get("/chunks")
async def chunks():
    async def gen():
        yield b"hello"
        yield ""  # empty pieces are not written (no premature last-chunk)
        yield "wörld"
        yield b"x" * 300
    return StreamingResponse(gen(), media_type="text/plain")


@app.get("/sync-chunks")
def sync_chunks():
    return StreamingResponse(iter([b"a", b"bc", b"def"]))


@app.get("/length")
async def length():
    return StreamingResponse(iter([b"abc", b"def"]), headers={"content-length": "6"})


@app.get("/too-long")
async def too_long():
    return StreamingResponse(iter([b"abc", b"def"]), headers={"content-length": "4"})


@app.get("/fails")
async def fails():
    async def gen():
        yield b"first"
        raise RuntimeError("boom mid-stream")
    return StreamingResponse(gen())


@app.get("/endless/{name}")
async def endless(name: str, size: int = 16384, delay: float = 0.0):
    STATE[name] = {"produced": 0, "closed": False}

    async def gen():
        try:
            while True:
                STATE[name]["produced"] += 1  # type: ignore[index]
                yield b"z" * size
                await asyncio.sleep(delay)
        finally:
            STATE[name]["closed"] = True  # type: ignore[index]
    return StreamingResponse(gen(), media_type="application/octet-stream")


@app.get("/endless-sync/{name}")
def endless_sync(name: str):
    STATE[name] = {"produced": 0, "closed": False}

    def gen():
        try:
            while True:
                STATE[name]["produced"] += 1  # type: ignore[index]
                yield b"s" * 4096
                time.sleep(0.01)
        finally:
            STATE[name]["closed"] = True  # type: ignore[index]
    return StreamingResponse(gen())


@app.api_route("/file/{name}", methods=["GET", "HEAD"])
async def file(name: str):
    return FileResponse(os.path.join(FILES, name), filename=name)


@app.get("/file-missing")
async def file_missing():
    return FileResponse(os.path.join(FILES, "no-such-file"))


class Point(BaseModel):
    x: int
    label: str = "p"


@app.get("/points")
async def points(n: int = 3) -> AsyncIterable[Point]:
    for i in range(n):
        yield Point(x=i)
