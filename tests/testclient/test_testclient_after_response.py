"""Errors raised after the response went out (a `yield` dependency's exit code, a streamed item that fails
validation, a background task) reach the test, as with FastAPI's in-process TestClient: the client
waits for the request's task to finish before it returns."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from pydantic import BaseModel

from astraapi import BackgroundTasks, Depends, FastAPI
from astraapi.exceptions import ResponseValidationError
from astraapi.testclient import TestClient


class Item(BaseModel):
    name: str
    price: float


app = FastAPI()
done: list[str] = []


def broken_after_yield():
    yield "s"
    raise ValueError("broken after yield")


@app.get("/broken")
def broken(d: str = Depends(broken_after_yield)):
    return {"d": d}


@app.get("/stream-invalid")
def stream_invalid() -> Iterable[Item]:
    yield {"name": "valid", "price": 1.0}
    yield {"name": "invalid", "price": "not-a-number"}


def slow_task(tag: str) -> None:
    import time

    time.sleep(0.3)
    done.append(tag)


def failing_task(tag: str) -> None:
    raise RuntimeError("background failed")


@app.get("/background")
def background(tasks: BackgroundTasks, fail: bool = False):
    tasks.add_task(failing_task if fail else slow_task, "ran")
    return {"queued": True}


def test_an_exception_after_yield_is_raised_in_the_test():
    client = TestClient(app)
    with pytest.raises(ValueError, match="broken after yield"):
        client.get("/broken")
    quiet = TestClient(app, raise_server_exceptions=False)
    assert quiet.get("/broken").json() == {"d": "s"}


def test_a_streamed_item_failing_validation_is_raised_in_the_test():
    with pytest.raises(ResponseValidationError):
        TestClient(app).get("/stream-invalid")


def test_background_tasks_have_run_when_the_client_returns():
    client = TestClient(app)
    done.clear()
    assert client.get("/background").json() == {"queued": True}
    assert done == ["ran"]
    with pytest.raises(RuntimeError, match="background failed"):
        client.get("/background?fail=true")


spawned: list = []


@app.get("/spawns")
async def spawns():
    import asyncio

    async def forever():
        await asyncio.sleep(3600)

    spawned.append(asyncio.get_running_loop().create_task(forever()))
    return {"spawned": True}


def test_a_task_the_app_spawns_is_not_waited_for():
    # Only the engine's request task is awaited: a task the endpoint leaves running does not hold the test.
    client = TestClient(app)
    assert client.get("/spawns").json() == {"spawned": True}
    assert not spawned[-1].done()
    spawned[-1].get_loop().call_soon_threadsafe(spawned[-1].cancel)
