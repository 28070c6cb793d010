"""Which apps send the router's own 404/405 through the engine (Executor.routes_unmatched, hence
Server.route_unmatched): exactly those with an exception handler that FastAPI would call for them.
The answers themselves are compared with FastAPI in tests/compat/test_example_apps.py."""

from __future__ import annotations

import pytest

from astraapi import FastAPI, HTTPException
from astraapi.introspection.app import build_ir
from astraapi.engine.executor import Executor
from astraapi.exceptions import RequestValidationError, StarletteHTTPException
from astraapi.responses import PlainTextResponse
from astraapi.testclient import TestClient


def handler(request, exc):
    return PlainTextResponse(f"handled {exc.status_code}", status_code=exc.status_code)


def app_with(handlers) -> FastAPI:
    app = FastAPI(exception_handlers=handlers)

    @app.get("/items")
    def items():
        return []

    return app


@pytest.mark.parametrize(("handlers", "unmatched"), [
    ({}, False),
    ({500: handler}, False),
    ({Exception: handler}, False),
    ({HTTPException: handler}, False),  # FastAPI's subclass: the router raises Starlette's class
    ({RequestValidationError: handler}, False),
    ({409: handler}, False),
    ({404: handler}, True),
    ({405: handler}, True),
    ({StarletteHTTPException: handler}, True),
])
def test_routes_unmatched_only_with_a_handler_for_them(handlers, unmatched):
    app = app_with(handlers)
    assert Executor(app, build_ir(app, openapi=False)).routes_unmatched is unmatched


def test_testclient_serves_the_handlers_answer():
    app = app_with({405: handler, 404: handler})
    with TestClient(app) as client:
        assert (client.get("/nowhere").status_code, client.get("/nowhere").text) == (404, "handled 404")
        response = client.post("/items")
        assert (response.status_code, response.text) == (405, "handled 405")
        assert client.head("/nowhere").content == b""


def test_without_handler_the_builtin_answers_stay():
    app = app_with({500: handler})
    with TestClient(app) as client:
        response = client.post("/items")
        assert (response.status_code, response.content, response.headers["allow"]) == (
            405, b'{"detail":"Method Not Allowed"}', "GET")


def test_a_failing_handler_still_answers():
    def broken(request, exc):
        raise RuntimeError("handler bug")

    app = app_with({404: broken})
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/nowhere")
        assert (response.status_code, response.content) == (500, b"Internal Server Error")
