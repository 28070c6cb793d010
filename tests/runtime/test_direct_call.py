"""Server.set_direct_route: the server calls an endpoint itself (astraapi/engine/direct.py).

Raw server, raw sockets: what is written natively, what goes to `finish` and with which
outcome, the context a coroutine runs in, and what falls back to the handler."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import json

import pytest

from astraapi.engine.inline import resume_coroutine

ROUTES = [
    (("GET",), "/plain"),      # 0: returns a dict -> written natively
    (("GET",), "/odd"),        # 1: returns a set -> dumps declines -> finish(outcome 0)
    (("GET",), "/raise"),      # 2: raises ValueError -> finish(outcome 1)
    (("GET",), "/suspend"),    # 3: awaits -> finish(outcome 2), answered later
    (("GET",), "/ctx"),        # 4: sets a context variable
    (("GET",), "/sync"),       # 5: a plain function
    (("GET",), "/nan"),        # 6: float('nan') -> dumps refuses -> finish(outcome 0)
    (("GET",), "/interrupt"),  # 7: raises KeyboardInterrupt
    (("GET",), "/created"),    # 8: status 201
]

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("direct_test_var", default="unset")


class App:
    def __init__(self):
        self.handled = []  # (route, params) the handler saw
        self.finished = []  # (outcome, repr(value)) finish saw
        self.context_values = []

    def handler(self, request, route, params):
        self.handled.append(route)
        return 200, None, json.dumps({"handler": route}).encode()

    def finish(self, request, outcome, value, context):
        self.finished.append((outcome, type(value).__name__))
        if outcome == 0:
            return 200, None, json.dumps({"finished": sorted(value) if isinstance(value, set) else repr(value)}).encode()
        if outcome == 1:
            return 500, [(b"content-length", b"5"), (b"content-type", b"text/plain")], b"error"
        coro, pending = value
        assert isinstance(context, contextvars.Context)

        async def rest():
            result = await resume_coroutine(coro, pending)
            request.respond(200, None, json.dumps({"later": result}).encode())

        asyncio.get_running_loop().create_task(rest(), context=context)
        return None


async def plain():
    return {"message": "Hello World"}


async def odd():
    return {3, 1, 2}


async def boom():
    raise ValueError("boom")


async def suspend():
    await asyncio.sleep(0)
    return "done"


async def set_var():
    VAR.set("set inside")
    return {"var": VAR.get()}


def sync_endpoint():
    return [1, 2.5, None, "x"]


async def nan():
    return {"x": float("nan")}


async def interrupt():
    raise KeyboardInterrupt


def register(server, route, endpoint, app, *, is_async=True, status=200, render=1):
    server.set_direct_route(route, endpoint=endpoint, is_async=is_async, defaults=None, copied_defaults=(), decoder_module=None,
                            decoder_index=0, decode_kind=0, render=render, encoder_module=None, encoder_index=0,
                            status=status, finish=app.finish)


@pytest.fixture
def app():
    return App()


@pytest.fixture
def server(serve, app):
    running = serve(app.handler, ROUTES)
    endpoints = [plain, odd, boom, suspend, set_var, sync_endpoint, nan, interrupt, plain]

    def setup():
        for route, endpoint in enumerate(endpoints):
            register(running.server, route, endpoint, app, is_async=endpoint is not sync_endpoint,
                     status=201 if route == 8 else 200)

    running.call(setup)
    return running


def get(connect, server, path):
    client = connect(server.port)
    client.send(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
    return client.read_response()


def test_plain_data_is_written_natively(server, app, connect, nodate):
    status, headers, body, raw = get(connect, server, "/plain")
    assert nodate(raw) == (b"HTTP/1.1 200 OK\r\ndate: DATE\r\nserver: astraapi\r\ncontent-length: 25\r\n"
                           b"content-type: application/json\r\n\r\n{\"message\":\"Hello World\"}")
    assert app.handled == [] and app.finished == []


def test_status_of_the_route(server, app, connect):
    status, _, body, _ = get(connect, server, "/created")
    assert (status, body) == (201, b'{"message":"Hello World"}')


def test_a_value_dumps_does_not_take_goes_to_finish(server, app, connect):
    assert get(connect, server, "/odd")[2] == b'{"finished": [1, 2, 3]}'
    assert get(connect, server, "/nan")[2] == b'{"finished": "{\'x\': nan}"}'
    assert app.finished == [(0, "set"), (0, "dict")] and app.handled == []


def test_an_exception_goes_to_finish(server, app, connect):
    status, _, body, _ = get(connect, server, "/raise")
    assert (status, body) == (500, b"error")
    assert app.finished == [(1, "ValueError")]


def test_a_coroutine_that_suspends_is_handed_over(server, app, connect):
    status, _, body, _ = get(connect, server, "/suspend")
    assert (status, body) == (200, b'{"later": "done"}')
    assert app.finished == [(2, "tuple")]


def test_a_coroutine_runs_in_a_copy_of_the_context(server, app, connect):
    for _ in range(2):
        assert get(connect, server, "/ctx")[2] == b'{"var":"set inside"}'
    assert server.call(VAR.get) == "unset"  # nothing leaked into the loop's context


def test_a_sync_endpoint_is_called(server, app, connect):
    assert get(connect, server, "/sync")[2] == b'[1,2.5,null,"x"]'


def test_keyboard_interrupt_answers_500_and_surfaces(server, app, connect, caplog):
    with caplog.at_level("ERROR", logger="astraapi.error"):
        status, _, body, _ = get(connect, server, "/interrupt")
    assert (status, body) == (500, b"Internal Server Error")
    assert app.finished == []
    assert any(isinstance(error, KeyboardInterrupt) for error in server.errors)
    server.errors.clear()


def test_bad_registrations_are_refused(server, app):
    def bad():
        with pytest.raises(ValueError):
            register(server.server, 0, plain, app, status=404)
        with pytest.raises(TypeError):
            register(server.server, 0, "not callable", app)
        with pytest.raises(ValueError):
            server.server.set_direct_route(0, endpoint=plain, is_async=True, defaults=None, copied_defaults=(), decoder_module=None,
                                           decoder_index=0, decode_kind=7, render=1, encoder_module=None,
                                           encoder_index=0, status=200, finish=app.finish)
        return True

    assert server.call(bad)


def test_an_endpoint_that_awaits_is_created_and_handed_over_unstarted(serve, connect):
    seen = []

    async def awaiting(item_id="none"):
        await asyncio.sleep(0)
        return {"awaited": True}

    def finish(request, outcome, value, context):
        seen.append((outcome, inspect.getcoroutinestate(value), context))

        async def run():
            result = await value
            request.respond(200, None, json.dumps(result).encode())

        asyncio.get_running_loop().create_task(run())
        return None

    running = serve(lambda request, route, params: (200, None, b'"handler"'), [(("GET",), "/awaits")])

    def setup():
        running.server.set_direct_route(0, endpoint=awaiting, is_async=True, defaults=None, copied_defaults=(),
                                        decoder_module=None, decoder_index=0, decode_kind=0, render=1,
                                        encoder_module=None, encoder_index=0, status=200, finish=finish,
                                        as_task=True)
        with pytest.raises(ValueError):  # a plain function has no coroutine to hand over
            running.server.set_direct_route(0, endpoint=sync_endpoint, is_async=False, defaults=None,
                                            copied_defaults=(), decoder_module=None, decoder_index=0,
                                            decode_kind=0, render=1, encoder_module=None, encoder_index=0,
                                            status=200, finish=finish, as_task=True)
        return True

    assert running.call(setup)
    status, _, body, _ = get(connect, running, "/awaits")
    assert (status, body) == (200, b'{"awaited": true}')
    assert seen == [(3, inspect.CORO_CREATED, None)]
