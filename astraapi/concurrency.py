"""Thread-pool helpers under FastAPI's names (`fastapi.concurrency`).

Blocking work runs in the sync thread pool (`sync_pool`, the one sync endpoints and background
tasks use), with the caller's contextvars."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
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


def is_async_callable(func: Any) -> bool:
    """Whether calling `func` gives an awaitable: a coroutine function, an object whose `__call__` is
    one, or a functools.partial of either (Starlette's rule)."""
    while isinstance(func, functools.partial):
        func = func.func
    return inspect.iscoroutinefunction(func) or (
        callable(func) and inspect.iscoroutinefunction(getattr(func, "__call__", None))
    )


def sync_pool() -> ThreadPoolExecutor:
    """The thread pool sync endpoints run in (created on first use, shared by executors)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=SYNC_POOL_SIZE, thread_name_prefix="astraapi-sync")
        return _pool


async def run_in_threadpool(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a blocking call in the sync thread pool (the one sync endpoints use), keeping contextvars."""
    call = functools.partial(func, *args, **kwargs)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # not on an asyncio loop: trio through anyio (FastAPI's helper is anyio's)
        anyio = _anyio()
        if anyio is None:
            raise RuntimeError("run_in_threadpool needs a running event loop (asyncio, or trio through anyio)") from None
        return await anyio.to_thread.run_sync(call)  # anyio copies the caller's contextvars
    context = contextvars.copy_context()
    return await loop.run_in_executor(sync_pool(), context.run, call)


async def run_user_sync(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a `def` dependency or a general-path `def` endpoint (and its serialization) in a worker thread
    as FastAPI runs them: with anyio installed, in anyio's worker threads, so they share anyio's default
    thread limiter (40 tokens) and may call back into the loop with `anyio.from_thread`; without anyio,
    in the sync pool (`run_in_threadpool`)."""
    anyio = _anyio()
    if anyio is not None and (asyncio.current_task() is not None if _on_asyncio() else True):
        return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs))
    return await run_in_threadpool(func, *args, **kwargs)


def _on_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


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


def _anyio() -> Any:
    """anyio when it is installed (FastAPI's thread helpers are anyio's; trio runs only through it), else None."""
    global _ANYIO
    if _ANYIO is _UNSET:
        try:
            import anyio.to_thread
        except ModuleNotFoundError:
            _ANYIO = None
        else:
            _ANYIO = anyio
    return _ANYIO


_UNSET: Any = object()
_ANYIO: Any = _UNSET


@asynccontextmanager
async def contextmanager_in_threadpool(cm: AbstractContextManager[T]) -> AsyncIterator[T]:
    """Enter and leave a blocking context manager in worker threads, as FastAPI's does: `__exit__`
    runs after anything that leaves the block, cancellation included (shielded from it), and
    without waiting for worker capacity (a limiter of its own), since a context manager with a
    pool of its own could otherwise deadlock. With anyio installed (any anyio backend, trio
    included) the threads are anyio's, as FastAPI's; without it, the engine's pool on asyncio."""
    anyio = _anyio()
    if anyio is None:
        async with _contextmanager_on_asyncio(cm) as value:
            yield value
        return
    exit_limiter = anyio.CapacityLimiter(1)
    value = await anyio.to_thread.run_sync(cm.__enter__)  # __exit__ only once __enter__ succeeded
    try:
        yield value
    except BaseException as error:
        with anyio.CancelScope(shield=True):
            handled = await anyio.to_thread.run_sync(cm.__exit__, type(error), error, error.__traceback__,
                                                     limiter=exit_limiter)
        if not handled:
            raise
    else:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(cm.__exit__, None, None, None, limiter=exit_limiter)


async def _run_to_completion(func: Callable[..., Any], *args: Any) -> Any:
    """Run a blocking call in the pool and wait for it even if this task is cancelled meanwhile
    (the cancellation is raised once the call finished)."""
    future = asyncio.ensure_future(run_in_threadpool(func, *args))
    cancelled: BaseException | None = None
    while True:
        try:
            result = await asyncio.shield(future)
        except asyncio.CancelledError as error:
            if future.done():
                raise
            cancelled = error
            continue
        if cancelled is not None:
            raise cancelled
        return result


@asynccontextmanager
async def _contextmanager_on_asyncio(cm: AbstractContextManager[T]) -> AsyncIterator[T]:
    value = await run_in_threadpool(cm.__enter__)
    try:
        yield value
    except BaseException as error:
        if not await _run_to_completion(cm.__exit__, type(error), error, error.__traceback__):
            raise
    else:
        await _run_to_completion(cm.__exit__, None, None, None)


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
