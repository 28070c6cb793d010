"""Dependencies with yield (sync and async, both scopes, exceptions in and after the yield),
the Response parameter, BackgroundTasks — answers and the order of side effects compared
with FastAPI's; ours also shows that exit code and background tasks run after the answer."""

from __future__ import annotations

import pytest

APP = """
from typing import Annotated
from pydantic import BaseModel
from FRAMEWORK import BackgroundTasks, Depends, FastAPI, HTTPException, Response
from FRAMEWORK.responses import JSONResponse, PlainTextResponse

EVENTS = []

class Boom(Exception):
    pass

def sync_resource():
    EVENTS.append("sync enter")
    try:
        yield "sync"
    except Exception as error:
        EVENTS.append(("sync saw", type(error).__name__))
        raise
    finally:
        EVENTS.append("sync exit")

async def async_resource():
    EVENTS.append("async enter")
    try:
        yield "async"
    except HTTPException as error:
        EVENTS.append(("async saw", error.status_code))
        raise
    finally:
        EVENTS.append("async exit")

async def function_scoped():
    EVENTS.append("function enter")
    yield "function"
    EVENTS.append("function exit")

def swallowing():
    try:
        yield "swallow"
    except Exception:
        EVENTS.append("swallowed")

async def converting():
    try:
        yield "convert"
    except Boom:
        raise HTTPException(status_code=418, detail="converted")

async def fails_after_yield():
    yield "late"
    EVENTS.append("failing after")
    raise HTTPException(status_code=400, detail="too late")

def fails_before_yield():
    raise HTTPException(status_code=403, detail="not now")
    yield

app = FastAPI()

@app.get("/yield")
async def with_yield(a: str = Depends(sync_resource), b: str = Depends(async_resource),
                     c: Annotated[str, Depends(function_scoped, scope="function")] = ""):
    EVENTS.append("endpoint")
    return {"a": a, "b": b, "c": c}

@app.get("/yield-sync-endpoint")
def with_yield_sync(a: str = Depends(sync_resource), b: str = Depends(async_resource)):
    EVENTS.append("endpoint")
    return [a, b]

@app.get("/yield-http-error")
async def yield_http_error(a: str = Depends(sync_resource), b: str = Depends(async_resource)):
    raise HTTPException(status_code=404, detail="nope")

@app.get("/yield-crash")
async def yield_crash(a: str = Depends(sync_resource)):
    raise Boom()

@app.get("/swallowed")
async def swallowed(s: str = Depends(swallowing)):
    raise Boom()

@app.get("/converted")
async def converted(c: str = Depends(converting)):
    raise Boom()

@app.get("/function-scope-failure")
async def function_scope_failure(x: Annotated[str, Depends(fails_after_yield, scope="function")],
                                 a: str = Depends(async_resource)):
    EVENTS.append("endpoint")
    return {"x": x}

@app.get("/late-failure")
async def late_failure(x: str = Depends(fails_after_yield), bg: BackgroundTasks = None):
    return {"x": x}

@app.get("/early-failure")
async def early_failure(a: str = Depends(async_resource), x: str = Depends(fails_before_yield)):
    return {"x": x}

@app.get("/validation")
async def validation(a: str = Depends(async_resource), n: int = 0):
    return {"n": n}

def log(message: str):
    EVENTS.append(("task", message))

async def async_log(message: str, suffix: str = "!"):
    EVENTS.append(("async task", message + suffix))

def add_from_dependency(background_tasks: BackgroundTasks, q: str = "dep"):
    background_tasks.add_task(log, "from dependency " + q)
    return q

class Item(BaseModel):
    name: str
    price: float = 1.5

@app.post("/background", status_code=202)
async def background(background_tasks: BackgroundTasks, q: str = Depends(add_from_dependency),
                     r: str = Depends(sync_resource)):
    background_tasks.add_task(log, "first")
    background_tasks.add_task(async_log, "second", suffix="?")
    EVENTS.append("endpoint")
    return {"q": q}

@app.get("/background-model", response_model=Item)
def background_model(tasks: BackgroundTasks):
    tasks.add_task(log, "model")
    return {"name": "n", "price": 2, "extra": 1}

@app.get("/background-response")
async def background_response(tasks: BackgroundTasks):
    tasks.add_task(log, "with response")
    return PlainTextResponse("plain")

@app.get("/response-param")
def response_param(response: Response):
    response.headers["x-custom"] = "1"
    response.set_cookie("session", "abc", httponly=True, max_age=60)
    response.set_cookie("other", "x y", samesite="strict", secure=True, path="/p", domain="example.com")
    response.status_code = 201
    return {"ok": True}

@app.get("/response-param-model", response_model=Item, status_code=203)
async def response_param_model(response: Response, override: bool = False):
    response.headers["x-model"] = "yes"
    if override:
        response.status_code = 299
    return Item(name="m")

def dep_sets_header(response: Response):
    response.headers["x-from-dep"] = "dep"
    response.status_code = 204

@app.get("/response-from-dep", dependencies=[Depends(dep_sets_header)])
async def response_from_dep():
    return None

def one_task(func, *args):
    tasks = BackgroundTasks()
    tasks.add_task(func, *args)
    return tasks

@app.get("/simple-with-task")
async def simple_with_task():
    return PlainTextResponse("ok", background=one_task(log, "simple"))

@app.get("/simple-with-task-sync")
def simple_with_task_sync():
    return PlainTextResponse("ok", background=one_task(async_log, "simple sync"))

def sync_function_scoped():
    EVENTS.append("sync function enter")
    try:
        yield "f"
    finally:
        EVENTS.append("sync function exit")

@app.get("/sync-function-scope")
def sync_function_scope(f: Annotated[str, Depends(sync_function_scoped, scope="function")],
                        r: str = Depends(sync_resource), tasks: BackgroundTasks = None):
    tasks.add_task(log, "after")
    return {"f": f, "r": r}

def failing_task():
    EVENTS.append("failing task")
    raise ValueError("task failed")

@app.get("/failing-task")
async def failing_task_route(tasks: BackgroundTasks, r: str = Depends(sync_resource)):
    tasks.add_task(failing_task)
    tasks.add_task(log, "never runs")
    return {"r": r}

@app.get("/response-returned")
async def response_returned(response: Response):
    response.headers["x-ignored"] = "1"
    return JSONResponse({"returned": True}, status_code=200)
"""


@pytest.fixture
def pair(make_pair):
    return make_pair(APP)


def _before_sent(events, marker):
    return events.index(marker) < events.index("<response sent>")


def test_yield_exit_after_response(pair):
    pair.check("GET", "/yield")
    events = pair.check_events()
    assert _before_sent(events, "function exit")  # scope="function": before the answer
    assert not _before_sent(events, "sync exit") and not _before_sent(events, "async exit")
    pair.check("GET", "/yield-sync-endpoint")
    pair.check_events()


@pytest.mark.parametrize("url", ["/yield-http-error", "/yield-crash", "/swallowed", "/converted",
                                 "/function-scope-failure",
                                 "/early-failure", "/validation?n=x"])
def test_exceptions_and_yield(pair, url):
    pair.check("GET", url)
    events = pair.check_events()
    if "sync exit" in events:  # an error answer comes after the exit code ran
        assert _before_sent(events, "sync exit")


def test_exception_after_yield_is_logged_not_answered(pair, caplog):
    pair.check("GET", "/late-failure")
    events = pair.check_events()
    assert not _before_sent(events, "failing after")


def test_background_tasks_run_after_response_in_order(pair):
    pair.check("POST", "/background?q=zz")
    events = pair.check_events()
    tasks = [e for e in events if isinstance(e, tuple)]
    assert tasks == [("task", "from dependency zz"), ("task", "first"), ("async task", "second?")]
    assert events.index("<response sent>") < events.index(tasks[0]) < events.index("sync exit")


@pytest.mark.parametrize("url", ["/background-model", "/background-response"])
def test_background_tasks_with_model_and_response(pair, url):
    pair.check("GET", url)
    events = pair.check_events()
    assert len(events) == 2 and events[0] == "<response sent>"


@pytest.mark.parametrize("url", ["/response-param", "/response-param-model", "/response-param-model?override=1",
                                 "/response-from-dep", "/response-returned"])
def test_response_parameter(pair, url):
    pair.check("GET", url)


@pytest.mark.parametrize("url", ["/simple-with-task", "/simple-with-task-sync"])
def test_response_background_on_the_fast_path(pair, url):
    pair.check("GET", url)
    events = pair.check_events()
    assert events[0] == "<response sent>" and len(events) == 2


def test_function_scope_sync_generator(pair):
    pair.check("GET", "/sync-function-scope")
    events = pair.check_events()
    assert _before_sent(events, "sync function exit") and not _before_sent(events, "sync exit")
    assert events.index(("task", "after")) < events.index("sync exit")


def test_failing_background_task(pair):
    pair.check("GET", "/failing-task")
    events = pair.check_events()
    assert ("sync saw", "ValueError") in events and ("task", "never runs") not in events


def test_delete_cookie_format():
    from starlette.responses import Response as StarletteResponse

    from astraapi.responses import Response

    ours, theirs = Response(), StarletteResponse()
    ours.delete_cookie("gone", path="/a", domain="d.example", secure=True, httponly=True)
    theirs.delete_cookie("gone", path="/a", domain="d.example", secure=True, httponly=True)
    mine = dict(ours.raw_headers)[b"set-cookie"].split(b"; ")
    reference = dict(theirs.raw_headers)[b"set-cookie"].split(b"; ")
    drop = lambda parts: [p for p in parts if not p.startswith(b"expires=")]  # noqa: E731 (the clock ticks)
    assert drop(mine) == drop(reference) and len(mine) == len(reference)
