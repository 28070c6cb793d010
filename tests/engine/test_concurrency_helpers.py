"""`astraapi.concurrency` (FastAPI's `fastapi.concurrency`): `contextmanager_in_threadpool` runs `__exit__`
after anything that leaves the block, cancellation included, and the thread helpers run under trio
(through anyio) as FastAPI's do, not only on an asyncio loop."""

from __future__ import annotations

import asyncio
import threading
from contextlib import AbstractContextManager

import anyio
import pytest

from astraapi import concurrency
from astraapi.concurrency import contextmanager_in_threadpool, iterate_in_threadpool, run_in_threadpool


class Recording(AbstractContextManager):
    def __init__(self) -> None:
        self.exits: list[type[BaseException] | None] = []
        self.threads: list[int] = []

    def __enter__(self) -> str:
        self.threads.append(threading.get_ident())
        return "value"

    def __exit__(self, kind, error, traceback) -> bool:
        self.threads.append(threading.get_ident())
        self.exits.append(kind)
        return False


@pytest.fixture(params=["anyio", "asyncio-only"])
def helpers(request, monkeypatch):
    """Both implementations: anyio's threads (anyio installed, FastAPI's) and the engine's pool (no anyio)."""
    if request.param == "asyncio-only":
        monkeypatch.setattr(concurrency, "_ANYIO", None)
    return request.param


def test_cancellation_in_the_block_runs_exit(helpers):
    cm = Recording()
    entered = asyncio.Event()

    async def body():
        async with contextmanager_in_threadpool(cm) as value:
            assert value == "value"
            entered.set()
            await asyncio.sleep(30)

    async def main():
        task = asyncio.ensure_future(body())
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert cm.exits == [asyncio.CancelledError]
    assert threading.get_ident() not in cm.threads  # entered and left in worker threads


def test_a_base_exception_in_the_block_reaches_exit(helpers):
    class Stop(BaseException):
        pass

    cm = Recording()

    async def main():
        with pytest.raises(Stop):
            async with contextmanager_in_threadpool(cm):
                raise Stop

    asyncio.run(main())
    assert cm.exits == [Stop]


def test_the_thread_helpers_run_under_trio():
    pytest.importorskip("trio")
    cm = Recording()

    async def main():
        assert await run_in_threadpool(lambda a, b: a + b, 1, b=2) == 3
        assert [item async for item in iterate_in_threadpool(iter([1, 2]))] == [1, 2]
        async with contextmanager_in_threadpool(cm) as value:
            assert value == "value"
        with anyio.CancelScope() as scope:
            async with contextmanager_in_threadpool(cm):
                scope.cancel()
                await anyio.sleep(30)

    anyio.run(main, backend="trio")  # was: RuntimeError "no running event loop"
    assert cm.exits[0] is None and cm.exits[1] is not None and cm.exits[1].__name__ == "Cancelled"
