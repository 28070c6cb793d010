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
import os
from typing import Any

from astraapi.engine.responses import BodyThroughPython, error_logger
from astraapi.responses import FileResponse, Response, StreamingResponse


class Stream:
    """A response the engine sends in pieces, and the background work to run after it."""

    __slots__ = ("response", "background")

    def __init__(self, response: Response, background: Any = None) -> None:
        self.response = response
        self.background = background


class ASGIAppResponse(StreamingResponse):
    """A response that is an ASGI application: it sends its own messages (a Starlette Response subclass
    that overrides `__call__`, such as sse-starlette's EventSourceResponse). It is streamed by running
    `app(scope, receive, send)` on the request (astraapi.asgi.bridge.run_response_app); the app runs its
    own background work, as Starlette's responses do."""

    def __init__(self, app: Any, status_code: int = 200) -> None:
        self.app = app
        self.status_code = status_code
        self.background = None
        self.raw_headers = []

    async def chunks(self) -> Any:  # pragma: no cover - sent by run_response_app, never iterated
        raise RuntimeError("an ASGI application response is run, not iterated")
        yield b""


def is_streamed(response: Any) -> bool:
    return isinstance(response, (StreamingResponse, FileResponse))


async def _drained(native: Any) -> None:
    future = asyncio.get_running_loop().create_future()

    def wake() -> None:
        if not future.done():
            future.set_result(None)

    native.on_drain(wake)
    await future


async def _checkpoint() -> None:
    """A cancellation point between the items of a generator endpoint (FastAPI's `anyio.sleep(0)`), on
    asyncio or, in the ASGI call's task, on another anyio backend."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        import anyio

        await anyio.sleep(0)
        return
    await asyncio.sleep(0)


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
        return await send_file(native, response)
    if isinstance(response, ASGIAppResponse):
        from astraapi.asgi.bridge import run_response_app

        return await run_response_app(native, response.app, label)
    if not native.start_response(response.status_code, response.raw_headers):
        if isinstance(response, StreamingResponse):
            await _close(response.body_iterator)
        return False
    chunks = response.chunks()  # type: ignore[attr-defined]
    complete = True
    # An ASGI request served in the ASGI call's task has no pump beside it: each piece goes out as it comes.
    flush = native.flush if getattr(native, "in_caller", False) else None
    try:
        if flush is not None:
            await flush()  # the head
        if chunks is not None:
            async for chunk in chunks:
                if native.send(chunk):
                    if flush is not None:
                        await flush()
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
    ended = bool(native.end())
    if flush is not None:
        await flush()
    return ended


async def send_file(native: Any, response: FileResponse) -> bool:
    """Send a FileResponse: stat (and open) in the thread pool, then the head, then the file's
    bytes through the server's sendfile(2) body (`Request.send_file`): the file is never read
    into Python. Range / If-Range as Starlette's FileResponse (206, multipart/byteranges, 400,
    416); HEAD gets the head only. True when all of it was sent."""
    from astraapi.concurrency import run_in_threadpool

    method, headers = native.method, native.headers

    def stat_and_open() -> tuple[Any, int | None]:  # one trip to the thread pool
        response.prepare()  # RuntimeError before the head: a 500
        plan = response.plan(method, headers)
        if isinstance(plan, Response) or not plan.segments or method == "HEAD":
            return plan, None
        return plan, os.open(response.path, os.O_RDONLY | os.O_CLOEXEC)

    plan, fd = await run_in_threadpool(stat_and_open)
    flush = native.flush if getattr(native, "in_caller", False) else None  # as in send_streamed
    if isinstance(plan, Response):  # Starlette's 400 / 416 answer
        answered = bool(native.respond(plan.status_code, plan.raw_headers, plan.body))
        if flush is not None:
            await flush()
        return answered
    try:
        if not native.start_response(plan.status_code, plan.raw_headers):
            return False
        if fd is not None:
            if _through_python(native):
                if not await _send_pieces(native, fd, plan.segments, plan.tail):
                    return False
            else:
                state = native.send_file(fd, plan.segments, plan.tail)
                if state == 0:
                    if flush is not None:
                        await flush()
                    else:
                        await _drained(native)
                elif state < 0:
                    return False
    finally:
        if fd is not None:
            os.close(fd)  # the server sends from its own duplicate
    if not native.connected:
        return False
    ended = bool(native.end())
    if flush is not None:
        await flush()
    return ended


def _through_python(native: Any) -> bool:
    """GZipMiddleware wraps the request (astraapi.server.compression): the body must then pass
    through its `send`, so the file is read in pieces instead of sent with sendfile(2)."""
    return isinstance(native, BodyThroughPython)


async def _send_pieces(native: Any, fd: int, segments: list[tuple[bytes, int, int]], tail: bytes) -> bool:
    """The file body through `send`, read in the thread pool in FileResponse.chunk_size pieces."""
    from astraapi.concurrency import run_in_threadpool

    async def send(piece: bytes) -> bool:
        if not native.send(piece):
            if native.connected:
                await _drained(native)
            if not native.connected:
                return False
        return True

    for before, offset, length in segments:
        if before and not await send(before):
            return False
        end = offset + length
        while offset < end:
            piece = await run_in_threadpool(os.pread, fd, min(FileResponse.chunk_size, end - offset), offset)
            if not piece:
                raise RuntimeError("the file is shorter than its size when the response started")
            offset += len(piece)
            if not await send(piece):
                return False
    return not tail or await send(tail)


def generator_response(endpoint_result: Any, *, mode: str, is_async: bool, item_adapter: Any,
                       dump_options: dict[str, Any], endpoint_ctx: dict[str, Any], response_class: Any,
                       status: int | None, background: Any, extra_headers: list[tuple[bytes, bytes]]) -> Response:
    """The response of a generator endpoint, as FastAPI 0.165 builds it: JSON Lines
    (application/jsonl, one item per line) with the default response class, Server-Sent Events
    with EventSourceResponse (mode "sse"), otherwise the chosen class given the generator."""
    import json

    from pydantic import ValidationError

    from astraapi.encoders import jsonable_encoder
    from astraapi.engine.errors import located_errors
    from astraapi.exceptions import ResponseValidationError

    args: dict[str, Any] = {"background": background}
    if status:
        args["status_code"] = status
    if mode == "raw":
        content = endpoint_result
        if is_async:
            async def passthrough() -> Any:
                async for chunk in endpoint_result:
                    yield chunk
                    await _checkpoint()
            content = passthrough()
        response = response_class(content=content, **args)
        response.raw_headers.extend(extra_headers)
        return response

    def serialize_data(item: Any) -> bytes:
        if item_adapter is not None:
            try:
                value = item_adapter.validate_python(item, from_attributes=True)
            except ValidationError as error:
                raise ResponseValidationError(located_errors(error, ("response",)), body=item,
                                              endpoint_ctx=endpoint_ctx) from None
            return item_adapter.dump_json(value, **dump_options)
        return json.dumps(_finite(jsonable_encoder(item))).encode("utf-8")

    def serialize(item: Any) -> bytes:
        return serialize_data(item) + b"\n"

    if mode == "sse":
        response = StreamingResponse(_sse_events(endpoint_result, is_async, serialize_data), media_type="text/event-stream",
                                     **args)
        response.raw_headers.extend([(b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no")])
        response.raw_headers.extend(extra_headers)
        return response

    if is_async:
        async def lines() -> Any:
            async for item in endpoint_result:
                yield serialize(item)
                await _checkpoint()
        body: Any = lines()
    else:
        def sync_lines() -> Any:
            for item in endpoint_result:
                yield serialize(item)
        body = sync_lines()
    response = StreamingResponse(body, media_type="application/jsonl", **args)
    response.raw_headers.extend(extra_headers)
    return response


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


async def _sse_events(generator: Any, is_async: bool, serialize_data: Any) -> Any:
    """FastAPI's SSE stream: each item becomes one event; a `: ping` comment whenever the
    generator stays idle for astraapi.routing._PING_INTERVAL seconds. The generator runs in its own
    task (sync ones step in the thread pool), so the keep-alive timer never interrupts it."""
    import json

    from astraapi import routing, sse
    from astraapi.concurrency import iterate_in_threadpool
    from astraapi.encoders import jsonable_encoder

    def event(item: Any) -> bytes:
        if not isinstance(item, sse.ServerSentEvent):
            return sse.format_sse_event(data_str=serialize_data(item).decode("utf-8"))
        if item.raw_data is not None:
            data: str | None = item.raw_data
        elif item.data is not None:
            dump = getattr(item.data, "model_dump_json", None)
            data = dump() if dump is not None else json.dumps(_finite(jsonable_encoder(item.data)))
        else:
            data = None
        return sse.format_sse_event(data_str=data, event=item.event, id=item.id, retry=item.retry,
                                    comment=item.comment)

    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=1)
    done = object()

    async def produce() -> None:
        try:
            items = generator if is_async else iterate_in_threadpool(generator)
            async for item in items:
                await queue.put(event(item))
            await queue.put(done)
        except asyncio.CancelledError:
            raise
        except BaseException as error:
            await queue.put(_Failed(error))

    producer = asyncio.ensure_future(produce())
    try:
        while True:
            try:
                chunk = await asyncio.wait_for(queue.get(), routing._PING_INTERVAL)
            except asyncio.TimeoutError:
                yield sse.KEEPALIVE_COMMENT
                continue
            if chunk is done:
                return
            if isinstance(chunk, _Failed):
                raise chunk.error
            yield chunk
    finally:
        producer.cancel()
        await asyncio.gather(producer, return_exceptions=True)
        if is_async:
            await _close(generator)
        else:
            close = getattr(generator, "close", None)
            if close is not None:
                try:
                    close()
                except ValueError:  # still running in its thread: it stops at its next step
                    pass


def _finite(data: Any) -> Any:
    """FastAPI's JSON Lines items: NaN and infinities become null."""
    import math

    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_finite(value) for value in data]
    return data
