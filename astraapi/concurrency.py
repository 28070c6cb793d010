"""Thread-pool helpers under FastAPI's names (`fastapi.concurrency`).

Blocking work runs in the engine's sync thread pool (the one sync endpoints use), with the
caller's contextvars."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from contextlib import asynccontextmanager as asynccontextmanager
from typing import Any, TypeVar

from astraapi.background import run_in_threadpool as run_in_threadpool

T = TypeVar("T")


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
