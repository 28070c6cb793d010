"""A request through the ASGI entry runs in the ASGI call's own task (Executor.run_in_caller), as FastAPI
runs one, on asyncio and on trio (through anyio): the caller's cancellation reaches dependencies and the
endpoint where FastAPI's would, the exit code of `yield` dependencies runs to its end before it is
delivered, and an answer made without a cancellation point goes out. With a Python middleware around the
routes the request runs in the engine's task instead: there the cancellation also waits for exit code."""

from __future__ import annotations

import json

import anyio
import anyio.from_thread
import httpx
import pytest

from astraapi import Depends, FastAPI

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request):
    return request.param


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.mark.parametrize("scope", ["function", "request"])
@pytest.mark.parametrize("middleware", [False, True])
async def test_cancellation_during_exit_code_waits_for_it(anyio_backend, scope, middleware):
    if middleware and anyio_backend == "trio":
        pytest.skip("routes inside a Python middleware run on asyncio only")
    events = []
    cleanup_started, release = anyio.Event(), anyio.Event()
    app = FastAPI()

    async def dependency():
        events.append("enter")
        try:
            yield
        finally:
            cleanup_started.set()
            await release.wait()  # not interrupted by the cancellation
            events.append("exit")

    @app.get("/")
    async def endpoint(_=Depends(dependency, scope=scope)):
        return "ok"

    if middleware:
        @app.middleware("http")
        async def passthrough(request, call_next):
            return await call_next(request)

    finished = anyio.Event()
    with anyio.fail_after(5):
        async with _client(app) as client:
            async def request(*, task_status):
                with anyio.CancelScope() as cancel:
                    task_status.started(cancel)
                    await client.get("/")
                finished.set()

            async with anyio.create_task_group() as group:
                cancel = await group.start(request)
                await cleanup_started.wait()
                cancel.cancel()  # while the exit code runs
                await anyio.wait_all_tasks_blocked()
                assert not finished.is_set()  # the call waits for the exit code
                release.set()
                await finished.wait()
    assert events == ["enter", "exit"]
    assert cancel.cancelled_caught


@pytest.mark.parametrize("kind", ["async", "sync", "sync_yield"])
async def test_answer_without_cancellation_point_goes_out(anyio_backend, kind):
    cancel = anyio.CancelScope()
    events = []

    async def async_dependency():
        return 1

    def sync_dependency():
        return 1

    def sync_yield_dependency():
        try:
            yield 1
        finally:
            events.append("exit")

    dependency = {"async": async_dependency, "sync": sync_dependency, "sync_yield": sync_yield_dependency}[kind]
    app = FastAPI()

    @app.get("/")
    async def endpoint(value=Depends(dependency)):
        cancel.cancel()  # no await after it: FastAPI sends the answer and the call returns
        return {"value": value}

    async with _client(app) as client:
        with cancel:
            response = await client.get("/")
    assert response.status_code == 200 and response.json() == {"value": 1}
    assert not cancel.cancelled_caught
    assert events == (["exit"] if kind == "sync_yield" else [])


async def test_exit_code_error_goes_up_with_the_cancellation_as_context(anyio_backend):
    external = anyio.CancelScope()
    failure = RuntimeError("exit failed")
    app = FastAPI()

    async def dependency():
        try:
            yield
        finally:
            await anyio.sleep(0)
            raise failure

    @app.get("/")
    async def endpoint(_=Depends(dependency)):
        external.cancel()
        await anyio.sleep(0)

    with anyio.fail_after(5):
        async with _client(app) as client:
            with external:
                with pytest.raises(RuntimeError) as raised:
                    await client.get("/")
    assert raised.value is failure
    assert isinstance(failure.__context__, anyio.get_cancelled_exc_class())


async def test_threads_limits_and_streams_under_the_backend(anyio_backend):
    """Every route takes the general path on trio: sync dependencies in anyio threads (from_thread works),
    a max_concurrency limit, a plain route, a streamed answer, a 404."""
    from astraapi.responses import StreamingResponse

    app = FastAPI()

    def sync_dependency():
        return anyio.from_thread.run_sync(lambda: 2)

    limited = Depends(sync_dependency, max_concurrency=1)

    @app.get("/limited")
    def limited_route(value: int = limited):
        return {"value": value}

    @app.get("/plain")
    async def plain():
        return {"plain": True}

    @app.get("/stream")
    async def stream():
        async def pieces():
            yield b"a"
            yield b"b"

        return StreamingResponse(pieces(), media_type="text/plain")

    @app.get("/lines")
    async def lines():  # a generator endpoint: JSON Lines, a cancellation point between items
        for number in range(2):
            yield {"n": number}

    @app.get("/file")
    async def file(_: int = limited):
        from astraapi.responses import FileResponse

        return FileResponse(__file__)

    async with _client(app) as client:
        with anyio.fail_after(5):
            responses = [await client.get(path) for path in ("/limited", "/plain", "/stream", "/missing", "/file",
                                                             "/lines")]
    assert [r.status_code for r in responses] == [200, 200, 200, 404, 200, 200]
    assert [json.loads(line) for line in responses[5].content.splitlines()] == [{"n": 0}, {"n": 1}]
    with open(__file__, "rb") as source:
        assert responses[4].content == source.read()
    assert responses[0].json() == {"value": 2}
    assert responses[1].json() == {"plain": True}
    assert responses[2].content == b"ab"
    assert responses[3].json() == {"detail": "Not Found"}
    assert limited._concurrency.get_semaphore().value == 1


async def test_mounted_app_shares_a_declaration_limit(anyio_backend):
    """A mounted AstraAPI app's route runs in the caller's task too (under trio as well), and one
    `Depends(max_concurrency=1)` declaration limits both apps."""
    entered, release = anyio.Event(), anyio.Event()
    calls = []

    async def dependency():
        calls.append("enter")
        entered.set()
        await release.wait()
        return "ok"

    declaration = Depends(dependency, max_concurrency=1)
    main, sub = FastAPI(), FastAPI()

    @main.get("/main")
    async def main_route(value: str = declaration):
        return value

    @sub.get("/sub")
    async def sub_route(value: str = declaration):
        return value

    main.mount("/mounted", sub)
    answers = []
    with anyio.fail_after(5):
        async with _client(main) as client:
            async def get(path):
                answers.append((await client.get(path)).json())

            async with anyio.create_task_group() as group:
                group.start_soon(get, "/main")
                await entered.wait()
                group.start_soon(get, "/mounted/sub")
                await anyio.wait_all_tasks_blocked()
                assert calls == ["enter"]  # the mounted app's request waits for the capacity
                assert declaration._concurrency.get_semaphore().statistics().tasks_waiting == 1
                release.set()
    assert answers == ["ok", "ok"] and calls == ["enter", "enter"]
