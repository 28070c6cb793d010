"""Thread-pool helpers under FastAPI's names (`fastapi.concurrency`).

Blocking work runs in the sync thread pool (`sync_pool`, the one sync endpoints and background
tasks use), with the caller's contextvars."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from contextlib import asynccontextmanager as asynccontextmanager
from typing import Any, TypeVar

T = TypeVar("T")

SYNC_POOL_SIZE = 40  # anyio's default thread limit, which FastAPI's run_in_threadpool uses

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def sync_pool() -> ThreadPoolExecutor:
    """The thread pool sync endpoints run in (created on first use, shared by executors)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=SYNC_POOL_SIZE, thread_name_prefix="astraapi-sync")
        return _pool


async def run_in_threadpool(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a blocking call in the sync thread pool (the one sync endpoints use), keeping contextvars."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    call = functools.partial(func, *args, **kwargs)
    return await loop.run_in_executor(sync_pool(), context.run, call)


class _Exhausted(Exception):
    pass


def _next(iterator: Iterator[T]) -> T:
    try:
        return next(iterator)
    except StopIteration:
        raise _Exhausted from None


async def iterate_in_threadpool(iterator: Iterable[T]) -> AsyncIterator[T]:
    """Iterate a blocking iterator from async code, one `next()` per thread-pool call."""
    as_iterator = iter(iterator)
    while True:
        try:
            yield await run_in_threadpool(_next, as_iterator)
        except _Exhausted:
            break


@asynccontextmanager
async def contextmanager_in_threadpool(cm: AbstractContextManager[T]) -> AsyncIterator[T]:
    """Enter and leave a blocking context manager in the thread pool (FastAPI uses this for sync
    `yield` dependencies); an exception raised in the block is passed to its `__exit__`."""
    value = await run_in_threadpool(cm.__enter__)
    try:
        yield value
    except Exception as error:
        handled = await run_in_threadpool(cm.__exit__, type(error), error, error.__traceback__)
        if not handled:
            raise
    else:
        await run_in_threadpool(cm.__exit__, None, None, None)


async def run_until_first_complete(*args: tuple[Callable[..., Awaitable[Any]], dict[str, Any]]) -> None:
    """Run the calls concurrently; when the first finishes, cancel the others (Starlette's helper)."""
    tasks = [asyncio.ensure_future(func(**kwargs)) for func, kwargs in args]
    try:
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
    for task in done:
        task.result()


__all__ = ["asynccontextmanager", "contextmanager_in_threadpool", "iterate_in_threadpool", "run_in_threadpool",
           "run_until_first_complete"]
