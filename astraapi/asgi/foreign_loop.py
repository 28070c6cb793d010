"""The ASGI app called from an event loop that is not asyncio's (trio, directly or through anyio).

The engine runs on asyncio (its tasks, futures and the native server's loop integration). Called
from trio, `AstraAPI.__call__` hands the call to an asyncio loop that runs in a thread of its own
(one per process, started on the first such call), in a copy of the caller's context variables,
and waits for it without blocking trio. The app's `receive` and `send` calls go back to the
caller's trio loop (each from a worker thread, so the asyncio loop keeps running meanwhile).
Cancelling the caller cancels the call on the asyncio side and waits for it to unwind.

What differs from running under trio itself: the endpoints and dependencies run on that asyncio
loop, so code of theirs that calls trio's own API (not anyio's) fails there
(docs/compat-differences.md).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from typing import Any

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def running_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _asyncio_loop() -> asyncio.AbstractEventLoop:
    """The process's helper loop, started on first use (a daemon thread: it never delays exit)."""
    global _loop
    with _lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="astraapi-asyncio", daemon=True)
            thread.start()
            _loop = loop
        return _loop


async def call_from_trio(app: Any, scope: Any, receive: Any, send: Any) -> None:
    """`await app(scope, receive, send)` on the helper asyncio loop, awaited from trio."""
    try:
        import trio
    except ImportError:
        raise RuntimeError("AstraAPI's ASGI app runs on asyncio, or on trio when trio is installed; "
                           "called here outside any event loop it knows") from None
    token = trio.lowlevel.current_trio_token()
    loop = _asyncio_loop()

    async def call_in_trio(function: Any, *args: Any) -> Any:
        # blocks a worker thread (not the asyncio loop) until trio ran the call
        return await loop.run_in_executor(None, functools.partial(trio.from_thread.run, function, *args,
                                                                  trio_token=token))

    async def asgi_receive() -> Any:
        return await call_in_trio(receive)

    async def asgi_send(message: Any) -> None:
        await call_in_trio(send, message)

    done = trio.Event()
    outcome: dict[str, Any] = {}
    context = contextvars.copy_context()
    try:
        import sniffio
    except ImportError:
        pass
    else:  # the caller's "trio" must not follow the call onto the asyncio loop (anyio would pick trio there)
        context.run(sniffio.current_async_library_cvar.set, None)

    def finished(task: asyncio.Task[None]) -> None:
        outcome["task"] = task
        try:
            token.run_sync_soon(done.set)
        except trio.RunFinishedError:
            pass  # the trio run ended meanwhile: no one waits for the outcome any more

    def start() -> None:
        task = loop.create_task(app(scope, asgi_receive, asgi_send), context=context)
        outcome["started"] = task
        task.add_done_callback(finished)

    loop.call_soon_threadsafe(start)
    try:
        await done.wait()
    except BaseException:
        # cancelled (or interrupted): cancel the call on the asyncio side and wait for it to unwind
        def cancel() -> None:
            task = outcome.get("started")
            if task is not None:
                task.cancel()

        loop.call_soon_threadsafe(cancel)
        with trio.CancelScope(shield=True):
            await done.wait()
        raise
    task = outcome["task"]
    if task.cancelled():
        raise RuntimeError("the ASGI call was cancelled on the asyncio loop")
    error = task.exception()
    if error is not None:
        raise error
