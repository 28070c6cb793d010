"""The `lifespan` scope as FastAPI answers it: startup/shutdown messages, the state a lifespan yields put into
the scope's state (and request.state), a failing startup reported as `lifespan.startup.failed` and raised."""

import asyncio
import importlib
from contextlib import asynccontextmanager

import pytest

pytest.importorskip("fastapi")


def make_app(framework: str, *, fail: bool):
    package = importlib.import_module(framework)

    @asynccontextmanager
    async def lifespan(app):
        if fail:
            raise RuntimeError("no database")
        yield {"db": "connected"}

    return package.FastAPI(lifespan=lifespan)


async def _run(app, with_state: bool = True):
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
    if with_state:
        scope["state"] = {}
    queue: asyncio.Queue = asyncio.Queue()
    queue.put_nowait({"type": "lifespan.startup"})
    sent = []

    async def send(message):
        sent.append(message["type"])
        if message["type"] == "lifespan.startup.complete":
            queue.put_nowait({"type": "lifespan.shutdown"})

    try:
        await app(scope, queue.get, send)
        raised = None
    except Exception as error:  # noqa: BLE001 - compared: what each framework raised
        raised = f"{type(error).__name__}: {error}"
    return sent, scope.get("state"), raised


@pytest.mark.parametrize(("fail", "with_state"), [(False, True), (True, True), (False, False)])
def test_lifespan_as_fastapi(fail, with_state):
    want = asyncio.run(_run(make_app("fastapi", fail=fail), with_state))
    got = asyncio.run(_run(make_app("astraapi", fail=fail), with_state))
    assert got == want
