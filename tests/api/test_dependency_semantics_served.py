"""FastAPI 0.165's dependency semantics on real servers in both modes, compared with FastAPI itself
(the same app source for both, `FRAMEWORK` replaced): `def` dependencies run in anyio's worker threads
(`anyio.from_thread` works in them, with `yield` or without, and under `max_concurrency`), a plain `def`
wrapper around an `async def` endpoint is awaited, PEP 695 aliases declare dependencies, an override an
earlier dependency installs applies at once, a Python middleware takes the answer before request-scoped
exit code runs, and a `yield` dependency that swallows the endpoint's exception gives a 500."""

from __future__ import annotations

import importlib.util
import sys

import httpx
import pytest

from support.paths import MODES
from support.servers import wait_until

fastapi_testclient = pytest.importorskip("fastapi.testclient")
pytest.importorskip("anyio")

APP = '''
import functools
import json
from typing import Annotated

import anyio.from_thread
from typing_extensions import TypeAliasType

from FRAMEWORK import Depends, FastAPI

app = FastAPI()
state = {}


async def double(value):
    return value * 2


def sync_value():
    return anyio.from_thread.run(double, 21)  # needs an anyio worker thread, as FastAPI runs `def` dependencies


def sync_resource():
    value = anyio.from_thread.run(double, 1)
    try:
        yield value
    finally:
        state["sync_exit"] = anyio.from_thread.run(double, 2)


Limited = Annotated[int, Depends(sync_resource, max_concurrency=1)]


@app.get("/threads")
def threads(a: Annotated[int, Depends(sync_value)], b: Limited):
    return {"a": a, "b": b}


@app.get("/threads/exit")
def threads_exit():
    return {"sync_exit": state.get("sync_exit")}


def plain_wrapper(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)  # the coroutine of an async endpoint
    return wrapper


@app.get("/wrapped")
@plain_wrapper
async def wrapped():
    return {"wrapped": True}


async def some_value():
    return 123


Aliased = TypeAliasType("Aliased", Annotated[int, Depends(some_value)], type_params=())


@app.get("/alias")
async def alias(value: Aliased):
    return {"value": value}


async def original():
    return "original"


async def replacement():
    return "replacement"


async def configure():
    app.dependency_overrides[original] = replacement


@app.get("/override")
async def override(_: Annotated[None, Depends(configure)], value: Annotated[str, Depends(original)]):
    app.dependency_overrides.clear()
    return {"value": value}


async def request_scoped():
    state["request_scoped"] = "entered"
    try:
        yield "r"
    finally:
        state["request_scoped"] = "exited"


@app.get("/seen")
async def seen(_: Annotated[str, Depends(request_scoped)]):
    return {"during": state["request_scoped"]}


class Internal(Exception):
    pass


def swallowing():
    try:
        yield "s"
    except Internal:
        pass  # not raised again: FastAPI answers 500 (and raises FastAPIError to a test client)


@app.get("/swallowed")
def swallowed(_: Annotated[str, Depends(swallowing)]):
    raise Internal("lost")


@app.middleware("http")
async def show_state(request, call_next):
    response = await call_next(request)
    if request.url.path == "/seen":
        response.headers["x-state"] = json.dumps(state.get("request_scoped"))
    return response
'''

REQUESTS = ["/threads", "/threads/exit", "/wrapped", "/alias", "/override", "/override", "/seen", "/swallowed"]


def _write(directory, framework: str, name: str):
    path = directory / f"{name}.py"
    path.write_text(APP.replace("FRAMEWORK", framework))
    return path


def _replay(client) -> list:
    answers = []
    for path in REQUESTS:
        response = client.get(path)
        if path == "/threads/exit":  # on a real server the exit code runs after the answer went out
            wait_until(lambda: client.get(path).json()["sync_exit"] is not None)
            response = client.get(path)
        answers.append((path, response.status_code, response.headers.get("x-state"), response.content))
    return answers


@pytest.fixture(scope="module")
def fastapi_answers(tmp_path_factory):
    directory = tmp_path_factory.mktemp("fastapi_dep_semantics")
    path = _write(directory, "fastapi", "dep_semantics_fastapi")
    spec = importlib.util.spec_from_file_location("dep_semantics_fastapi", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    with fastapi_testclient.TestClient(module.app, raise_server_exceptions=False) as client:
        return _replay(client)


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("dep_semantics")
    _write(directory, "astraapi", "dep_semantics_app")
    return directory


def test_fastapi_reference_is_what_this_test_expects(fastapi_answers):
    answers = {path: (status, state, body) for path, status, state, body in fastapi_answers}
    assert answers["/threads"] == (200, None, b'{"a":42,"b":2}')
    assert answers["/threads/exit"] == (200, None, b'{"sync_exit":4}')
    assert answers["/seen"] == (200, '"entered"', b'{"during":"entered"}')
    assert answers["/swallowed"][0] == 500


@pytest.mark.parametrize("mode", MODES)
def test_dependency_semantics_match_fastapi(start_server, app_dir, fastapi_answers, mode):
    server = start_server("dep_semantics_app:app", mode, cwd=app_dir)
    with httpx.Client(base_url=server.base_url) as client:
        ours = _replay(client)
    for expected, actual in zip(fastapi_answers, ours):
        assert actual == expected, f"{expected[0]} differs from FastAPI"
