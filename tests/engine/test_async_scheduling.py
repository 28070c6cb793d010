"""Async endpoints: answered inline when their code has no suspension point (any Python), or when
they finish without suspending (Python 3.12+, eager tasks); else later."""

from __future__ import annotations

import asyncio
import sys

import pytest

from harness import EngineClient, load_pair

APP = """
import asyncio
from FRAMEWORK import FastAPI

app = FastAPI()

@app.get("/quick")
async def quick():
    return {"quick": True}

@app.get("/quick-if-eager")
async def quick_if_eager():
    if asyncio.get_running_loop() is None:  # never true; a suspension point in the code: a task
        await asyncio.sleep(0)
    return {"quick": True}

@app.get("/slow")
async def slow():
    await asyncio.sleep(0.01)
    return {"slow": True}
"""


@pytest.fixture
def client(tmp_path):
    _, ours = load_pair(APP, tmp_path)
    client = EngineClient(ours.app)
    yield client
    client.close()


def test_suspending_endpoint_answers_through_respond(client):
    assert client.request("GET", "/slow")[2] == b'{"slow":true}'
    assert client.deferred == 1


def test_endpoint_without_suspension_point_answers_inline(client):
    assert client.request("GET", "/quick")[2] == b'{"quick":true}'
    assert client.deferred == 0


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks need Python 3.12")
def test_non_suspending_task_answers_inline(client):
    assert client.request("GET", "/quick-if-eager")[2] == b'{"quick":true}'
    assert client.deferred == 0


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="Python 3.11 has no eager tasks")
def test_without_eager_tasks_a_task_answers_later(client):
    assert client.request("GET", "/quick-if-eager")[2] == b'{"quick":true}'
    assert client.deferred == 1


def test_many_concurrent_requests_each_get_their_answer(client):
    async def many():
        return await asyncio.gather(*(client._request("GET", url, {}, b"") for url in ["/slow", "/quick"] * 20))

    results = client.loop.run_until_complete(many())
    assert [r[2] for r in results] == [b'{"slow":true}', b'{"quick":true}'] * 20
