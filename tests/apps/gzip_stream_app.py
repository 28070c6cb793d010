"""Streamed bodies under GZipMiddleware (tests/api/test_gzip_streams.py compares with FastAPI)."""

from astraapi import FastAPI
from astraapi.middleware.gzip import GZipMiddleware
from astraapi.responses import StreamingResponse

app = FastAPI()
app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=5)

LINES = [f"line {i}: {'abc' * (i % 7)}\n" for i in range(300)]


async def lines():
    for line in LINES:
        yield line


def sync_lines():
    yield from LINES


async def nothing():
    return
    yield b""  # pragma: no cover


@app.get("/stream")
async def stream():
    return StreamingResponse(lines(), media_type="text/plain")


@app.get("/stream-sync")
def stream_sync():
    return StreamingResponse(sync_lines(), media_type="text/csv", headers={"Vary": "Origin"})


@app.get("/stream-small")
async def stream_small():
    async def one():
        yield b"tiny"

    return StreamingResponse(one(), media_type="text/plain")


@app.get("/stream-empty")
async def stream_empty():
    return StreamingResponse(nothing(), media_type="text/plain")


@app.get("/stream-length")
async def stream_length():
    body = "".join(LINES).encode()
    return StreamingResponse(iter([body[:1000], body[1000:]]), media_type="text/plain",
                             headers={"Content-Length": str(len(body))})


@app.get("/stream-events")
async def stream_events():
    return StreamingResponse(iter([b"data: 1\n\n"] * 200), media_type="text/event-stream")


@app.get("/stream-encoded")
async def stream_encoded():
    return StreamingResponse(iter([b"x" * 2000]), media_type="text/plain", headers={"Content-Encoding": "br"})
