"""Async endpoints without a suspension point run inline (engine/inline.py); the others in a task."""

from __future__ import annotations

import asyncio
import functools

import httpx
import pytest

from astraapi.engine.inline import continue_in_task, never_suspends
from support.paths import APPS_DIR


async def _plain():
    return 1


async def _awaits():
    await asyncio.sleep(0)


async def _async_with(manager):
    async with manager:
        return 1


async def _async_comprehension(source):
    return [item async for item in source]


async def _inner_function():
    def inner():
        return 1
    return inner()


async def _await_in_comprehension(awaitables):
    return [await item for item in awaitables]


def _sync():
    return 1


@pytest.mark.parametrize("endpoint, expected", [
    (_plain, True), (_inner_function, True), (_awaits, False), (_async_with, False),
    (_async_comprehension, False), (_await_in_comprehension, False), (_sync, False),
    (functools.partial(_plain), False),
])
def test_never_suspends(endpoint, expected):
    assert never_suspends(endpoint) is expected


def test_a_started_coroutine_continues_in_a_task():
    async def waits(future):
        return (await future) * 2

    async def main():
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        coro = waits(future)
        pending = coro.send(None)
        assert pending is future
        task = continue_in_task(loop, coro, pending, None)
        loop.call_soon(future.set_result, 21)
        return await task

    assert asyncio.run(main()) == 42


def test_cancelling_the_continued_task_reaches_the_coroutine():
    cleaned = []

    async def waits(future):
        try:
            await future
        finally:
            cleaned.append(True)

    async def main():
        loop = asyncio.get_running_loop()
        coro = waits(loop.create_future())
        task = continue_in_task(loop, coro, coro.send(None), None)
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert cleaned == [True]


@pytest.fixture(scope="module", params=["dynamic", "compiled"])
def server(request, start_server):
    return start_server("inline_async_app:app", request.param, cwd=APPS_DIR)


def test_context_variables_do_not_leak_between_requests(server):
    with httpx.Client(base_url=server.base_url) as client:
        for value in ("a", "b", "c"):
            response = client.get(f"/inline/{value}")
            assert response.status_code == 200
            assert response.json() == {"before": "unset", "task": False}


def test_endpoints_that_await_run_in_a_task(server):
    with httpx.Client(base_url=server.base_url) as client:
        assert client.get("/awaits").json() == {"task": True}
        assert client.get("/timeout").json() == {"ok": True}


def test_errors_of_inline_endpoints_answer_as_fastapi(server):
    with httpx.Client(base_url=server.base_url) as client:
        teapot = client.get("/raises")
        assert (teapot.status_code, teapot.content) == (418, b'{"detail":"teapot"}')
        crash = client.get("/crashes")
        assert (crash.status_code, crash.content) == (500, b"Internal Server Error")
        assert client.get("/inline/after").json() == {"before": "unset", "task": False}


def test_dependencies_that_cannot_suspend_run_without_a_task(server):
    """The general path is driven inline (Executor._drive_inline): a yield dependency, a security scheme
    and an endpoint without a suspension point run with no task, each request in its own context."""
    with httpx.Client(base_url=server.base_url) as client:
        for _ in range(2):
            answer = client.get("/deps/inline", headers={"authorization": "Bearer abc"}).json()
            assert answer == {"dep": False, "endpoint": False, "before": "unset", "token": "abc"}


def test_the_general_path_moves_to_a_task_where_it_must(server):
    with httpx.Client(base_url=server.base_url) as client:
        # a dependency that awaits: the request goes on in a task from there (the endpoint too)
        assert client.get("/deps/awaits").json() == {"dep": False, "awaited": True, "endpoint": True}
        # a def dependency runs in a worker thread, reached from a task
        assert client.get("/deps/thread").json() == {"dep": False, "thread": True, "endpoint": True}
        # an endpoint that can suspend gets its task before it starts (asyncio.timeout needs one)
        assert client.get("/deps/timeout").json() == {"dep": False, "endpoint": True}


class _Paging:
    def __init__(self, offset: int = 0, limit: int = 10):
        self.offset = offset
        self.limit = limit


class _Slotted:
    __slots__ = ("a",)

    def __init__(self, a: int = 1):
        self.a = a


class _Property:
    def __init__(self, a: int = 1):
        self.a = a

    @property
    def a(self):
        return 1

    @a.setter
    def a(self, value):
        raise AssertionError("runs code")


class _Calls:
    def __init__(self, a: int = 1):
        self.a = str(a)


def _returns(q: str = ""):
    return q


def _reads_global():
    return _Paging


def _thread():
    import threading

    return threading.current_thread()


def _sets_other(x: object):
    x.y = 1


@pytest.mark.parametrize("call, expected", [
    (_Paging, True), (_Slotted, True), (_returns, True), (_reads_global, True),
    (_Property, False), (_Calls, False), (_thread, False), (_sets_other, False), (dict, False),
    (functools.partial(_returns), False),
])
def test_plain_sync_calls(call, expected):
    """`def` dependencies that call nothing (and cannot tell which thread runs them) run on the loop."""
    from astraapi.engine.inline import plain_sync_call

    assert plain_sync_call(call) is expected
