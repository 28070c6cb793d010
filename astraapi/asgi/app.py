"""`await app(scope, receive, send)`: the app under an ASGI server.

`AstraAPI.__call__` runs `app.middleware_stack` (built once by `app.build_middleware_stack()`, as
Starlette does): `ASGIEntry`. The app's middlewares, native (CORS, GZip, TrustedHost, HTTPSRedirect,
from the IR) and Python (function middleware, BaseHTTPMiddleware, pure ASGI classes), run inside the
handler in `user_middleware` order, as on the native server (`serve.with_middleware`); a pure ASGI
middleware starts from the server's scope. `ASGIEntry` serves the three scope types:

- `http`: matches `route_path(scope)` with the app's route trie
  (the runtime's matcher, on the same tables the native server reads), sets Starlette's
  `scope["route"]`, `["endpoint"]`, `["path_params"]`, `["router"]`, then calls the same handler
  the native server calls (`Executor.handle` inside `serve.with_middleware`) with an
  `ASGIRequest`. Requests no route answers go to the handler too (the executor's 404, 405 and
  trailing-slash redirect routes), so the app's exception handlers and native middlewares see them
  as under Starlette. The call returns when the answer is sent and the engine's work for the
  request (background tasks, `yield` dependencies' exit code) is done, as Starlette's does; an
  exception that became a 500 is raised again then (Starlette's ServerErrorMiddleware re-raises
  it for the server to log, and `httpx.ASGITransport` raises it in tests).
  The body is read from `receive` before the handler for routes that need it first (body parameters,
  mounts) and under Python middleware; otherwise when the code asks for it (`ASGIRequest.load_body`), as
  Starlette reads it: a request whose body nothing reads makes no `receive` call. A listener for the
  client's `http.disconnect` starts once the body was read whole, or when a response starts streaming.
  When nothing wraps the executor, a request on the general path runs in the ASGI call's own task
  instead (`_serve_in_caller`, `Executor.run_in_caller`), as FastAPI runs it, on asyncio or trio.
- `websocket`: the same WebSocket engine over ASGI messages (`ASGIWebSocketRequest`); the client's
  `websocket.connect` is read when the route accepts (dependencies run before, a refused handshake reads
  nothing), as Starlette's `accept()` reads it.
- `lifespan`: `astraapi.asgi.lifespan`.

The executor, trie and handler are built on the first call (dynamic mode: the app's IR, without
OpenAPI), and again when the app's routes changed.

Waiting for the engine's tasks: the engine starts a task for the general path, for streams, for
background work and for WebSockets. A task factory (installed on the running loop on the first
call, chaining any factory already there) records, in the request's context, the tasks created
for coroutines of the engine's own modules (`astraapi/engine/`); tasks the user's code creates are
not waited for, as under Starlette.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import sys
from typing import Any

from astraapi.asgi.request import ASGIRequest, ASGIWebSocketRequest, ClientGone, read_body
from astraapi.asgi.scope import redirect_location, route_path

_ENGINE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "engine") + os.sep
_request_tasks: contextvars.ContextVar[set[asyncio.Task[Any]] | None] = contextvars.ContextVar(
    "astraapi_asgi_request_tasks", default=None)

class _Serving:
    """What the ASGI entry keeps per app: the executor, its handler and the route tries."""

    def __init__(self, app: Any) -> None:
        from astraapi.introspection.annotations import path_param_names
        from astraapi.introspection.app import analyze_app, build_ir
        from astraapi.ir.trie import ANY_METHOD, LOW_PRIORITY, METHOD_BITS, build_trie_tables
        from astraapi.engine.executor import Executor
        from astraapi.engine.params import PATH_CONVERTORS
        from astraapi.server.serve import app_handler, with_middleware

        self.key = routes_key(app)
        ir = build_ir(app, openapi=False)
        self.executor = Executor(app, ir, wrap_handler=with_middleware)
        self.handler = app_handler(self.executor, ir, app, native=False)
        # Nothing wraps the executor (no middleware, no telemetry): requests run in the ASGI call's task.
        self.in_caller = self.executor.run_in_caller if self.handler == self.executor.handle else None
        tables = build_trie_tables(ir)
        self.trie = tables.to_runtime()
        # WebSocket routes: the runtime's matcher has no WEBSOCKET method name; a second trie
        # on the same tables where they answer GET (and other routes no method) finds them.
        websocket_bit, get_bit = METHOD_BITS["WEBSOCKET"], METHOD_BITS["GET"]
        ws_routes = tuple(((get_bit if bits & websocket_bit else 0) | (bits & (ANY_METHOD | LOW_PRIORITY)), allow, count)
                          for bits, allow, count in tables.routes)
        from dataclasses import replace

        self.ws_trie = replace(tables, routes=ws_routes).to_runtime()
        self.allow = [allow for _, allow, _ in tables.routes]
        analysis = analyze_app(app)
        self.records = [route.route for route in analysis.routes]
        self.param_specs = [tuple((name, PATH_CONVERTORS.get(convertor, str)) for name, convertor in
                                  path_param_names(route.path)) for route in ir.routes]
        self.router = getattr(app, "router", None)
        from astraapi.middleware.stack import has_python_middleware

        self.python_middleware = has_python_middleware(app)

    def read_limit(self, index: int | None) -> int | None:
        """How much of the body to read (None: all): past every limit that can apply to the request, it
        is refused whatever the rest. A route's own limit applies in the route; the app's in its Python
        middlewares and for requests no route matched. A mounted app's routes have limits of their own."""
        ir = self.executor.ir
        app_limit = ir.max_body_size
        if index is None:
            return app_limit
        route = ir.routes[index]
        if route.mount is not None:
            return None
        limit = route.max_body_size if route.max_body_size is not None else app_limit
        if self.python_middleware and limit is not None:
            return None if app_limit is None else max(limit, app_limit)
        return limit

    def route_scope(self, scope: dict[str, Any], index: int, params: tuple[str, ...]) -> None:
        """What Starlette's router puts into the scope once a route matched."""
        record = self.records[index]
        scope["route"] = record
        from astraapi._routing.include import update_scope

        update_scope(scope, {}, record)
        endpoint = getattr(record, "endpoint", None)
        scope["endpoint"] = endpoint if endpoint is not None else getattr(record, "app", None)
        path_params: dict[str, Any] = {}
        for (name, convert), value in zip(self.param_specs[index], params):
            try:
                path_params[name] = convert(value)
            except (TypeError, ValueError):
                path_params[name] = value
        scope["path_params"] = path_params


def routes_key(app: Any) -> tuple[Any, ...]:
    """Read per request, so cheap: the route list's identity and length and its last route (routes are
    appended; replacing one in the middle of the list after the first request is not noticed)."""
    router = getattr(app, "router", None)
    routes = router.routes if hasattr(router, "routes") else app.routes
    frontends = getattr(router, "frontends", None) or ()
    version = router._get_routes_version() if hasattr(router, "_get_routes_version") else 0
    return (id(routes), len(routes), id(routes[-1]) if routes else None, len(frontends), version)


class ASGIEntry:
    """The app's own ASGI application (the innermost layer of `app.middleware_stack`)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._serving: _Serving | None = None
        self.sends_errors = True  # False inside Starlette's ServerErrorMiddleware (build_middleware_stack)

    def serving(self) -> _Serving:
        serving = self._serving
        if serving is None or serving.key != routes_key(self.app):
            serving = self._serving = _Serving(self.app)
        return serving

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await self._websocket(scope, receive, send)
        elif kind == "lifespan":
            from astraapi.asgi.lifespan import lifespan

            await lifespan(self.app, scope, receive, send)
        else:
            raise ValueError(f"unknown ASGI scope type {kind!r}")

    # ------------------------------------------------------------------ http

    async def _http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        from astraapi._runtime_contract import METHOD_NOT_ALLOWED_ROUTE, NOT_FOUND_ROUTE, REDIRECT_ROUTE

        serving = self.serving()
        if "router" not in scope and serving.router is not None:
            scope["router"] = serving.router
        path = route_path(scope)
        match = serving.trie.match(scope["method"], path)
        kind = match[0]
        if "fastapi.telemetry" in scope and kind in (0, 1):  # a telemetry layer outside (telemetry._asgi)
            route = serving.executor.ir.routes[match[1]]
            if route.mount is None:
                from astraapi.telemetry._api import _outer_route

                _outer_route(scope, route.path)
        limit = serving.read_limit(match[1] if kind == 0 else None)
        if serving.python_middleware or (kind == 0 and serving.executor.reads_body_first(match[1])):
            body, whole = await read_body(receive, limit)
            if body is None:
                return  # the client left before it finished sending the body
            native = ASGIRequest(scope, body)
            native.body_whole = whole
        else:  # read when asked (Request.body()), as Starlette reads it: FastAPI calls `receive` for no other
            native = ASGIRequest(scope, b"", receive, limit)
        if kind == 0:
            index, params = match[1], match[2]
            serving.route_scope(scope, index, params)
        elif kind == 1:
            index, params = METHOD_NOT_ALLOWED_ROUTE, (serving.allow[match[1]],)
            serving.route_scope(scope, match[1], ())
        elif kind == 2 and path != "/":
            full = scope["path"].rstrip("/") if path.endswith("/") else scope["path"] + "/"
            index, params = REDIRECT_ROUTE, (redirect_location(scope, full),)
        else:
            index, params = NOT_FOUND_ROUTE, ()
        native.hold_errors = not self.sends_errors
        if serving.in_caller is not None:
            await _serve_in_caller(serving.in_caller, native, index, params, receive, send)
            return
        await _serve(serving.handler, native, index, params, receive, send)

    # ------------------------------------------------------------------ websocket

    async def _websocket(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # The client's websocket.connect is read when the engine accepts (ASGIWebSocketRequest), as Starlette
        # reads it in accept(): dependencies run before, and a handshake refused reads nothing.
        serving = self.serving()
        if "router" not in scope and serving.router is not None:
            scope["router"] = serving.router
        match = serving.ws_trie.match("GET", route_path(scope))
        if match[0] != 0:
            # No WebSocket route: the native server refuses the handshake (uvicorn's 403).
            await send({"type": "websocket.close", "code": 1000, "reason": ""})
            return
        serving.route_scope(scope, match[1], match[2])
        native = ASGIWebSocketRequest(scope, receive)
        await _serve(serving.handler, native, match[1], match[2], receive, send, websocket=True)


async def _serve(handler: Any, native: Any, index: int, params: tuple[str, ...], receive: Any, send: Any, *,
                 websocket: bool = False) -> None:
    """Call the handler in a context of the request's own (its task set and error sink), send
    what it answers, wait for the engine's work for the request, then raise a server error."""
    from astraapi.engine.responses import internal_error, server_error_sink

    loop = asyncio.get_running_loop()
    _install_task_factory(loop)
    tasks: set[asyncio.Task[Any]] = set()
    errors: list[BaseException] = []

    def start() -> Any:
        _request_tasks.set(tasks)
        server_error_sink.set(errors)
        try:
            return handler(native, index, params)
        except Exception as error:  # what the native server does with a handler that raises
            return internal_error("Exception in the request handler", error)

    native.listen_with = lambda: loop.create_task(_listen(native, receive, websocket))
    native.start_listening()
    result = contextvars.copy_context().run(start)
    if result is not None:
        native.respond(*result)
    try:
        await native.pump(send)
        await _settled(tasks)
        if websocket:
            native.finish()
            await native.pump(send)
    except asyncio.CancelledError:
        # The ASGI call was cancelled (the server, or the caller's cancel scope): the request's
        # engine tasks are cancelled too, and the call returns once they have unwound (their
        # `yield` dependencies' cleanup included), as a cancelled Starlette request does. Exit code of
        # `yield` dependencies that is running finishes first (FastAPI shields it). An error that
        # unwinding raised (a dependency's exit code failing) goes up instead, as it would in FastAPI.
        from astraapi.engine.dependencies import cancel_request_task

        for task in tasks:
            cancel_request_task(task)
        await _shielded(_settled(tasks))
        if errors:
            raise errors[0]
        raise
    finally:
        native.stop_listening()
    await _finish(native, errors, receive, send)


async def _finish(native: Any, errors: list[BaseException], receive: Any, send: Any) -> None:
    """After the engine's work for a request: raise its server error (its held error answer left for the
    ServerErrorMiddleware outside), or send a held answer no error was recorded for."""
    held = getattr(native, "held", None)
    if errors:
        if held is not None:
            native.scope[ERROR_ANSWER] = held  # sent by the ServerErrorMiddleware outside (held_error_answer)
        raise errors[0]
    if held is not None:  # an error answer without a recorded error: send it
        await _Answer(held)(native.scope, receive, send)
    if native.aborted:
        raise RuntimeError("the response could not be completed")


async def _serve_in_caller(run: Any, native: Any, index: int, params: tuple[str, ...], receive: Any, send: Any) -> None:
    """`_serve` for a request the executor runs in this task (Executor.run_in_caller): the engine sends its
    answer as it makes it (`native.flush`), so a cancellation of this call reaches the request where
    FastAPI's would, and trio (through anyio) serves it. Plain routes on asyncio are answered as
    `_serve` answers them."""
    from astraapi.engine.responses import internal_error, server_error_sink

    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:  # trio, through anyio
        loop = None
    tasks: set[asyncio.Task[Any]] = set()
    errors: list[BaseException] = []
    native.in_caller = True
    native.asgi_send = send
    tasks_token = _request_tasks.set(tasks)
    errors_token = server_error_sink.set(errors)
    if loop is not None:
        _install_task_factory(loop)
        native.listen_with = lambda: loop.create_task(_listen(native, receive, False))
        native.start_listening()
    try:
        try:
            result = await run(native, index, params)
        except Exception as error:  # what the native server does with a handler that raises
            result = internal_error("Exception in the request handler", error)
        if result is not None:
            native.respond(*result)
        await native.flush()
        if loop is not None and not (native.finished and not tasks):
            await native.pump(send)  # an answer a task of the engine gives (a plain route, a stream)
            await _settled(tasks)
    except asyncio.CancelledError:
        from astraapi.engine.dependencies import cancel_request_task

        for task in tasks:
            cancel_request_task(task)
        await _shielded(_settled(tasks))
        raise
    finally:
        server_error_sink.reset(errors_token)
        _request_tasks.reset(tasks_token)
        native.stop_listening()
    await _finish(native, errors, receive, send)
    if not native.finished and loop is None:
        raise RuntimeError("the response could not be completed under this backend (an asyncio-only feature)")


async def _settled(tasks: set[asyncio.Task[Any]]) -> None:
    while True:
        pending = [task for task in tasks if not task.done()]
        if not pending:
            return
        await asyncio.wait(pending)


async def _shielded(awaitable: Any) -> None:
    """Await `awaitable` to its end even if the caller is cancelled again (anyio's cancel scopes,
    when anyio is there, cancel at every await until the scope is left)."""
    try:
        import anyio
    except ImportError:
        anyio = None
    if anyio is not None:
        with anyio.CancelScope(shield=True):
            await awaitable
        return
    task = asyncio.ensure_future(awaitable)
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            continue


async def _listen(native: Any, receive: Any, websocket: bool) -> None:
    """Read what the client sends while the engine answers: WebSocket messages (once the handshake is
    accepted), or an HTTP client's disconnect (once the whole body was read: first the body, when the
    response started before anything read it)."""
    if websocket:
        while True:
            if not native.received(await receive()):
                return
    if native.body_pending:
        try:
            await native.load_body()
        except ClientGone:
            return
        if not native.body_whole:
            return  # stopped past the limit: receive() would go on reading the body
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            native.disconnected()
            return


def _install_task_factory(loop: asyncio.AbstractEventLoop) -> None:
    previous = loop.get_task_factory()
    if getattr(previous, "astraapi_tracking", False):
        return

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        task = previous(loop, coro, **kwargs) if previous is not None else asyncio.Task(coro, loop=loop, **kwargs)
        code = getattr(coro, "cr_code", None)
        if code is not None and code.co_filename.startswith(_ENGINE_DIR):
            context = kwargs.get("context")
            tasks = context.get(_request_tasks) if context is not None else _request_tasks.get()
            if tasks is not None:
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        return task

    factory.astraapi_tracking = True  # type: ignore[attr-defined]
    loop.set_task_factory(factory)


# Set while the native server builds an app's replaced middleware stack (`instrumented_stack`): the
# ASGI application the stack then wraps, in place of `ASGIEntry`.
_native_inner: contextvars.ContextVar[Any] = contextvars.ContextVar("astraapi_native_inner", default=None)


def serves_in_caller(app: Any, scope: dict[str, Any]) -> bool:
    """Whether an HTTP request to `app` runs in the ASGI caller's task without needing asyncio: no ASGI
    middleware class around the entry, nothing around the executor, and the route it matches is one of
    the app's own routes or a mounted AstraAPI app's (not a foreign ASGI app)."""
    if scope.get("type") != "http":
        return False
    stack = app.middleware_stack
    if stack is None:
        stack = app.middleware_stack = app.build_middleware_stack()
    if stack.__class__ is not ASGIEntry and stack.__class__.__name__ == "ServerErrorMiddleware":
        stack = getattr(stack, "app", None)  # Starlette's (anyio-based): it runs under trio too
    if stack.__class__ is not ASGIEntry:
        return False
    serving = stack.serving()
    if serving.in_caller is None:
        return False
    match = serving.trie.match(scope["method"], route_path(scope))
    if match[0] != 0:
        return True  # the router's 404 and 405 (and a redirect) are answered in the caller's task too
    return serving.executor.runs_in_caller_anywhere(scope["method"], match[1], match[2])


def build_middleware_stack(app: Any) -> Any:
    """The app as an ASGI callable (`app.middleware_stack`, which instrumentation may wrap or replace):
    `ASGIEntry`. The app's own middlewares, native and Python (function middleware, BaseHTTPMiddleware,
    pure ASGI classes), run inside it around the handler, in `user_middleware` order, exactly as on the
    native server (`serve.with_middleware`), so both servers answer alike.

    Where Starlette is loaded, the entry is wrapped in Starlette's `ServerErrorMiddleware`, the outermost
    layer of FastAPI's stack, which instrumentation checks for and rebuilds around its own middleware
    (opentelemetry-instrumentation-fastapi). As in FastAPI, an unhandled error then leaves the entry
    before any answer was sent (instrumentation in between records it on a request still open), and that
    layer sends the answer: its handler, `held_error_answer`, sends the one the engine made (the app's
    500 handler, the debug page, or the plain 500), which the entry left in the scope. With sentry-sdk's
    Starlette/FastAPI integration enabled, the stack is inside sentry's ASGI middleware, as sentry's
    patch of `Starlette.__call__` puts a FastAPI app (astraapi/_sentry_compat.py)."""
    inner = _native_inner.get()
    if inner is None:
        inner = ASGIEntry(app)
    errors = sys.modules.get("starlette.middleware.errors")
    # Without that layer the entry sends an unhandled error's answer itself before raising the error again.
    inner.sends_errors = errors is None
    stack = inner if errors is None else errors.ServerErrorMiddleware(app=inner, handler=held_error_answer)
    if "sentry_sdk" in sys.modules:
        from astraapi import _sentry_compat

        enabled = _sentry_compat.integration()
        if enabled is not None:
            stack = _sentry_compat.wrap(stack, enabled)
    return stack


ERROR_ANSWER = "astraapi.error_answer"  # the scope key of an unhandled error's answer, held for the layer outside
_PLAIN_500 = (500, [(b"content-length", b"21"), (b"content-type", b"text/plain; charset=utf-8")],
              b"Internal Server Error")


async def held_error_answer(request: Any, error: BaseException) -> Any:
    """Starlette ServerErrorMiddleware's handler in the app's stack: the answer the engine made for `error`
    (left in the scope by the entry), as an ASGI response; Starlette's plain 500 for an error raised
    elsewhere (by a middleware of the stack)."""
    return _Answer(request.scope.pop(ERROR_ANSWER, None) or _PLAIN_500)


class _Answer:
    __slots__ = ("answer",)

    def __init__(self, answer: tuple) -> None:
        self.answer = answer

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        from astraapi.middleware.chain import json_head

        status, headers, body = self.answer
        await send({"type": "http.response.start", "status": status,
                    "headers": json_head(body) if headers is None else list(headers)})
        await send({"type": "http.response.body", "body": body})


def instrumented_stack(handler: Any, app: Any) -> Any:
    """The native server's handler for an app whose `build_middleware_stack` was replaced: the stack it
    builds, as a pure ASGI layer (astraapi.asgi.bridge) around `handler` (the app's handler with its own
    middlewares), the stack's innermost application being the native handler in place of `ASGIEntry`.
    Only such apps pay for ASGI messages."""
    from astraapi.asgi.bridge import AsgiLayer
    from astraapi.middleware.chain import ServerErrors

    def build(endpoint: Any) -> Any:
        token = _native_inner.set(endpoint)
        try:
            return app.build_middleware_stack()
        finally:
            _native_inner.reset(token)

    layer = AsgiLayer(handler, build, (), {}, app, ServerErrors(app))
    method = app.build_middleware_stack
    layer.name = f"the app's middleware stack ({getattr(method, '__qualname__', method)})"
    return layer
