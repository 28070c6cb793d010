"""Sending a streamed Response (StreamingResponse, FileResponse) through the runtime.

The handler contract's streamed answer (docs/internals.md, "Streamed answers"):
`request.start_response(status, headers)` writes the head, `request.send(chunk)` one piece
of the body, `request.end()` finishes it. `send` returns False when the producer must not
go on yet: either the connection's output buffer is above its high-water mark (then
`request.on_drain(callback)` wakes us once the client has taken enough) or the client is
gone (`request.connected` is False): then iteration stops and the iterator is closed, as
Starlette stops a stream whose client disconnected.
"""

from __future__ import annotations

import asyncio
from typing import Any

from astraapi.engine.responses import error_logger
from astraapi.responses import FileResponse, Response, StreamingResponse


class Stream:
    """A response the engine sends in pieces, and the background work to run after it."""

    __slots__ = ("response", "background")

    def __init__(self, response: Response, background: Any = None) -> None:
        self.response = response
        self.background = background


def is_streamed(response: Any) -> bool:
    return isinstance(response, (StreamingResponse, FileResponse))


async def _drained(native: Any) -> None:
    future = asyncio.get_running_loop().create_future()

    def wake() -> None:
        if not future.done():
            future.set_result(None)

    native.on_drain(wake)
    await future


async def _close(iterator: Any) -> None:
    close = getattr(iterator, "aclose", None)
    if close is not None:
        try:
            await close()
        except Exception as error:
            error_logger.error("Exception while closing a response's body iterator", exc_info=error)


async def send_streamed(native: Any, response: Response, label: str) -> bool:
    """Send `response` in pieces. True when all of it was sent, False when the client went
    away first. Raises what the body's producer raised (the connection is then closed: the
    head is already out, so no error response can follow)."""
    if isinstance(response, FileResponse):
        from astraapi.background import run_in_threadpool

        await run_in_threadpool(response.prepare)  # RuntimeError before the head: a 500
    if not native.start_response(response.status_code, response.raw_headers):
        if isinstance(response, StreamingResponse):
            await _close(response.body_iterator)
        return False
    head_only = isinstance(response, FileResponse) and native.method == "HEAD"
    chunks = None if head_only else response.chunks()  # type: ignore[attr-defined]
    complete = True
    try:
        if chunks is not None:
            async for chunk in chunks:
                if native.send(chunk):
                    continue
                if native.connected:
                    await _drained(native)
                if not native.connected:
                    complete = False
                    break
    except BaseException:
        native.abort()
        raise
    finally:
        if chunks is not None:
            await _close(chunks)
        if isinstance(response, StreamingResponse):
            await _close(response.body_iterator)
    if not complete:
        return False
    return bool(native.end())
