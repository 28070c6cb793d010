"""Lifespan: `lifespan=` (async and sync generators), on_startup/on_shutdown, `@app.on_event`,
included routers' handlers and lifespans, and the state a lifespan yields — the order of
events compared with FastAPI's TestClient, which runs the lifespan as a server does."""

from __future__ import annotations

import asyncio
import warnings

import pytest

from harness import load_pair

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # on_event, by design

EVENTS_APP = """
from contextlib import asynccontextmanager
from FRAMEWORK import APIRouter, FastAPI, Request

EVENTS = []

def sync_start():
    EVENTS.append("sync start")

async def async_start():
    EVENTS.append("async start")

def stop():
    EVENTS.append("stop")

@asynccontextmanager
async def router_lifespan(app):
    EVENTS.append("router lifespan enter")
    yield {"from_router": 1}
    EVENTS.append("router lifespan exit")

router = APIRouter(on_startup=[sync_start], lifespan=router_lifespan)

app = FastAPI(on_startup=[async_start], on_shutdown=[stop])

@app.on_event("startup")
def on_event_start():
    EVENTS.append("on_event start")

@app.on_event("shutdown")
async def on_event_stop():
    EVENTS.append("on_event stop")

app.include_router(router)

@app.get("/state")
async def state(request: Request):
    return {"from_router": getattr(request.state, "from_router", None)}
"""

LIFESPAN_APP = """
from contextlib import asynccontextmanager
from FRAMEWORK import FastAPI, Request, Depends

EVENTS = []

def generator_lifespan(app):
    EVENTS.append("enter")
    app.state.db = {"connected": True}
    yield {"greeting": "hi", "items": []}
    EVENTS.append("exit")

def ignored():
    EVENTS.append("never: lifespan given")

app = FastAPI(lifespan=generator_lifespan, on_startup=[ignored])

def greeting(request: Request):
    return request.state.greeting

@app.get("/")
async def root(request: Request, g: str = Depends(greeting)):
    request.state.items.append(1)
    request.state.extra = "set"
    return {"greeting": g, "items": request.state.items, "db": request.app.state.db, "extra": request.state.extra}
"""


def _events_fastapi(module) -> list:
    from fastapi.testclient import TestClient

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with TestClient(module.app):
            module.EVENTS.append("serving")
    return list(module.EVENTS)


def _events_ours(module) -> list:
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(module.app.router.startup())
        module.EVENTS.append("serving")
        loop.run_until_complete(module.app.router.shutdown())
    finally:
        loop.close()
    return list(module.EVENTS)


@pytest.mark.parametrize("source", [EVENTS_APP, LIFESPAN_APP], ids=["handlers", "lifespan"])
def test_lifespan_events(tmp_path, source):
    reference, ours = load_pair(source, tmp_path)
    assert _events_ours(ours) == _events_fastapi(reference)


@pytest.mark.parametrize("source,url", [(EVENTS_APP, "/state"), (LIFESPAN_APP, "/")], ids=["router", "lifespan"])
def test_state_from_the_lifespan(tmp_path, source, url):
    from fastapi.testclient import TestClient

    from harness import EngineClient

    reference, ours = load_pair(source, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with TestClient(reference.app) as client:
            expected = [client.get(url) for _ in range(2)]
            expected = [(r.status_code, list(r.headers.raw), r.content) for r in expected]
    engine = EngineClient(ours.app)
    try:
        engine.loop.run_until_complete(ours.app.router.startup())
        actual = [engine.request("GET", url) for _ in range(2)]
        engine.loop.run_until_complete(ours.app.router.shutdown())
    finally:
        engine.close()
    assert actual == expected
