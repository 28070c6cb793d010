"""Native requests through ASGI code: pure ASGI middleware around the routes, and mounted ASGI apps.

`AsgiLayer` is a handler layer (astraapi/middleware/stack.py) for one pure ASGI middleware class,
instantiated once as `cls(AsgiEndpoint(handler below), **options)`. Per request it builds the scope
(asgi/scope.py), gives `receive` the body the server already read (one `http.request` message,
then `http.disconnect` once the response is complete) and turns the messages the middleware sends
(`http.response.start`, `http.response.body` with `more_body`) into the handler contract's answer:
a whole body with its content-length is returned (or `respond`ed), anything else is streamed
(`start_response` / `send` / `end`: chunked without a content-length, as uvicorn frames it).

`AsgiEndpoint` is the ASGI application the middleware wraps: it reads the (possibly rewritten)
scope and the body from the (possibly wrapped) `receive`, calls the handler below with an
`InnerRequest` carrying them, adds the router's keys to the scope (route, endpoint, path_params,
router) and sends the answer as messages. An exception answered below by ServerErrorMiddleware's
answer is raised to the middleware instead, as Starlette raises it (middleware/chain.py).

`AsgiMount` runs a mounted ASGI application (`app.mount(path, asgi_app)`) for the requests under
its path, with Starlette's Mount scope (`root_path` + the mount path, the full `path`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from astraapi._runtime_contract import METHOD_NOT_ALLOWED_ROUTE
from astraapi.engine.responses import error_logger, report_server_error
from astraapi.middleware.chain import (
    INTERNAL_ERROR,
    Run,
    ScopeRequest,
    ServerErrors,
    call_below,
    drive,
    json_head,
    leave_eager_step,
    raised_below,
    state_dict_of,
)

_RUN = "astraapi.run"  # the scope key that leads the endpoint bridge to its request


def _has_length(headers: list) -> bool:
    return any(name.lower() == b"content-length" for name, _ in headers)


class AsgiRun(Run):
    """One request through ASGI code: the scope, `receive` and `send` it is given."""

    __slots__ = ("route_index", "path_params", "state", "body_taken", "status", "headers", "streaming",
                 "result", "complete", "_finished", "captured", "error_answer")

    def __init__(self, native: Any, route_index: int, path_params: tuple, state: dict) -> None:
        super().__init__(native)
        self.route_index = route_index
        self.path_params = path_params
        self.state = state
        self.body_taken = False
        self.status: int | None = None
        self.headers: list = []
        self.streaming = False
        self.result: Any = None  # a whole answer given during the eager step
        self.complete = False
        self._finished: asyncio.Future | None = None
        self.captured: list = []
        self.error_answer: Any = None

    async def receive(self) -> dict[str, Any]:
        if not self.body_taken:
            self.body_taken = True
            return {"type": "http.request", "body": self.native.body, "more_body": False}
        if self._finished is None:
            self._finished = asyncio.get_running_loop().create_future()
        await self._finished
        return {"type": "http.disconnect"}

    def _done(self) -> None:
        self.complete = True
        self._gone()

    def _gone(self) -> None:
        if self._finished is None:
            self._finished = asyncio.get_running_loop().create_future()
        if not self._finished.done():
            self._finished.set_result(None)

    async def send(self, message: Any) -> None:
        kind = message["type"]
        native = self.native
        if kind == "http.response.start":
            if self.status is not None:
                raise RuntimeError("Unexpected ASGI message 'http.response.start' sent, after response already started.")
            self.status = int(message["status"])
            self.headers = [(bytes(name), bytes(value)) for name, value in message.get("headers", ())]
            return
        if kind != "http.response.body":
            if kind == "http.response.trailers" or kind.startswith("http.response."):
                return  # extensions this server does not offer
            raise RuntimeError(f"Unexpected ASGI message {kind!r} sent, in response to an http request.")
        if self.status is None:
            raise RuntimeError("Unexpected ASGI message 'http.response.body' sent, before 'http.response.start'.")
        if self.complete:
            return  # uvicorn ignores body messages after the last one
        body = bytes(message.get("body", b""))
        more = bool(message.get("more_body", False))
        if not self.streaming and not more and (_has_length(self.headers) or self.status in (204, 304)
                                                 or self.status < 200):
            self._done()
            if self.eager:
                self.result = (self.status, self.headers, body)
            else:
                native.respond(self.status, self.headers, body)
            return
        if not self.streaming:
            if self.eager:
                await leave_eager_step()  # the head goes out once the handler returned
            self.streaming = True
            native.start_response(self.status, self.headers)
        if body and not native.send(body) and native.connected:
            waiter = asyncio.get_running_loop().create_future()
            native.on_drain(lambda: waiter.done() or waiter.set_result(None))
            await waiter
        if not native.connected:
            self._gone()  # the client left: `receive` gives http.disconnect now, as uvicorn's does
            return
        if not more:
            self._done()
            native.end()


class AsgiLayer:
    """One pure ASGI middleware class around the handler below (see the module's text)."""

    def __init__(self, inner: Any, cls: Any, args: tuple, kwargs: dict, app: Any, errors: ServerErrors,
                 trie: Any = None) -> None:
        self.inner = inner
        self.app = app
        self.errors = errors
        self.endpoint = AsgiEndpoint(inner, app, trie, errors)
        self.middleware = cls(self.endpoint, *args, **kwargs)
        self.name = getattr(cls, "__qualname__", repr(cls))

    def __call__(self, native: Any, route_index: int, path_params: tuple) -> Any:
        run = AsgiRun(native, route_index, path_params, state_dict_of(native, self.app))
        return drive(run, self.main(run))

    async def main(self, run: AsgiRun) -> Any:
        from astraapi.asgi.scope import http_scope

        # The scope of an ASGI middleware outside, or an ASGI server's (astraapi.asgi.request): start from it.
        outer = getattr(run.native, "asgi_scope", None)
        if outer is None:
            outer = getattr(run.native, "scope", None)
        scope = dict(outer) if outer is not None else http_scope(run.native, self.app, state=run.state)
        scope[_RUN] = run
        if scope["type"] == "websocket":
            from astraapi.asgi.websocket import serve_websocket

            run.eager = False
            await leave_eager_step()
            await serve_websocket(self.middleware, scope, run.native, f"{self.name} ({run.label})")
            return None
        try:
            await self.middleware(scope, run.receive, run.send)
        except Exception as error:
            if run.complete:  # answered below (ServerErrorMiddleware's answer) and raised again, as Starlette's
                if not (run.captured and error is run.captured[0]):
                    error_logger.error("Exception in %s after its response (%s)", self.name, run.label, exc_info=error)
                report_server_error(error)
                return run.result
            if run.status is not None and run.streaming:
                error_logger.error("Exception in %s after its response started (%s)", self.name, run.label,
                                   exc_info=error)
                run.native.abort()
                return None
            from astraapi.requests import Request

            request = Request(run.native, {}, app=self.app, state=run.state)
            return await self.errors.answer(error, request, f"{self.name} ({run.label})", run.captured,
                                            run.error_answer)
        if run.result is not None:
            return run.result
        if not run.complete:
            if run.streaming:  # the app returned in the middle of its body: close the connection
                error_logger.error("%s returned without completing its response (%s)", self.name, run.label)
                run.native.abort()
                return None
            error_logger.error("ASGI callable returned without completing response (%s, %s)", self.name, run.label)
            return INTERNAL_ERROR
        return None


class AsgiEndpoint:
    """The ASGI application below a pure ASGI middleware: the handler below, on the scope given."""

    def __init__(self, inner: Any, app: Any, trie: Any = None, errors: ServerErrors | None = None) -> None:
        self.inner = inner
        self.app = app
        self.errors = errors
        self.trie = trie  # for the route a 405 matched on its path
        self._records: list | None = None
        # True: an unhandled error's answer (ServerErrorMiddleware's) is sent before the error is raised, as
        # ASGIEntry does without Starlette; False: raised only, the layer outside answers it
        # (chain.ServerErrors, or the Starlette ServerErrorMiddleware of asgi.app.build_middleware_stack).
        self.sends_errors = False

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        run = scope.get(_RUN)
        if run is not None and scope.get("type") == "websocket":
            from astraapi.asgi.websocket import route_below

            if self._records is None:
                from astraapi.asgi.scope import route_records

                self._records = route_records(self.app)
            from astraapi.asgi.scope import route_scope

            scope.update(route_scope(self.app, self._records, run.route_index, run.path_params))
            error = await route_below(self.inner, run.native, run.state, run.route_index, run.path_params,
                                      receive, send)
            if error is not None:
                raise error
            return
        if run is None or scope.get("type") != "http":
            raise RuntimeError(f"AstraAPI's route handler was called with a {scope.get('type')!r} scope it did "
                               "not make: a Python middleware can only call the app below it on the scope it got")
        if receive == run.receive and not run.body_taken:
            run.body_taken = True
            body = run.native.body
        else:
            try:
                body = await _read_body(receive)
            except Exception as error:
                # Starlette's endpoint reads the body inside ExceptionMiddleware: what a wrapped
                # `receive` raises gets the app's exception handlers (an unhandled one goes on up).
                await self._answer_error(error, run, send)
                return
            if body is None:
                return  # the client left
        request = ScopeRequest(run.native, run.state)
        request.headers = scope["headers"]
        request.method = scope["method"]
        request.path = scope["path"]
        request.raw_path = scope.get("raw_path") or scope["path"].encode()
        request.query_string = scope["query_string"]
        request.scheme = scope["scheme"]
        request.client = scope.get("client")
        request.body = body
        request.asgi_scope = scope
        if self._records is None:
            from astraapi.asgi.scope import route_records

            self._records = route_records(self.app)
        from astraapi.asgi.scope import route_scope

        index, params = run.route_index, run.path_params
        if index == METHOD_NOT_ALLOWED_ROUTE and self.trie is not None:  # a 405: the route whose path matched
            found = self.trie.match(params[0].split(",")[0].strip(), run.native.path)
            index, params = (found[1], found[2]) if found[0] == 0 else (-1, ())
        scope.update(route_scope(self.app, self._records, index, params))
        captured: list = []
        head = await call_below(self.inner, request, run.route_index, run.path_params, captured)
        error = raised_below(head, captured)
        if error is not None:
            run.captured.extend(captured)
            run.error_answer = head[1:]
            if self.sends_errors:  # the innermost app of a whole stack without ServerErrorMiddleware
                _, status, headers, body = head
                await send({"type": "http.response.start", "status": status,
                            "headers": json_head(body) if headers is None else list(headers)})
                await send({"type": "http.response.body", "body": body})
            else:  # for the ServerErrorMiddleware of the app's stack, if any (asgi.app.held_error_answer)
                scope["astraapi.error_answer"] = head[1:]
            raise error
        if head[0] == "whole":
            _, status, headers, body = head
            await send({"type": "http.response.start", "status": status,
                        "headers": json_head(body) if headers is None else list(headers)})
            await send({"type": "http.response.body", "body": body})
            return
        await send({"type": "http.response.start", "status": head[1], "headers": head[2]})
        async for chunk in request.chunks():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


    async def _answer_error(self, error: Exception, run: AsgiRun, send: Any) -> None:
        from astraapi.engine.responses import ServerErrorHeaders
        from astraapi.requests import Request

        if self.errors is None:
            raise error
        dispatcher = self.errors.dispatcher
        if dispatcher.lookup(error) is None:
            raise error
        request = Request(run.native, {}, app=self.app, state=run.state)
        (status, headers, body), _ = await dispatcher.outcome(error, request, run.label)
        if isinstance(headers, ServerErrorHeaders):
            raise error
        await send({"type": "http.response.start", "status": status,
                    "headers": json_head(body) if headers is None else list(headers)})
        await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Any) -> bytes | None:
    parts = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(parts)


class AsgiMount:
    """A mounted ASGI application: Starlette's Mount scope, the answer through the handler contract."""

    def __init__(self, asgi_app: Any, mount_path: str, app: Any) -> None:
        self.asgi_app = asgi_app
        self.mount_path = mount_path
        self.app = app
        self.label = f"the ASGI app mounted at {mount_path or '/'}"

    def handle(self, native: Any, path_params: tuple, dispatcher: Any) -> Any:
        run = AsgiRun(native, -1, path_params, state_dict_of(native, self.app))
        return drive(run, self.main(run, dispatcher))

    async def main(self, run: AsgiRun, dispatcher: Any) -> Any:
        from astraapi.asgi.scope import http_scope

        root = getattr(self.app, "root_path", "") or ""
        scope = http_scope(run.native, self.app, state=run.state, root_path=root)
        scope["app_root_path"] = root
        scope["root_path"] = root + self.mount_path
        scope["path_params"] = {}  # Starlette's Mount keeps its own parameters, not the rest of the path
        scope["endpoint"] = self.asgi_app
        if scope["type"] == "websocket":
            from astraapi.asgi.websocket import serve_websocket

            run.eager = False
            await leave_eager_step()
            await serve_websocket(self.asgi_app, scope, run.native, self.label)
            return None
        try:
            await self.asgi_app(scope, run.receive, run.send)
        except Exception as error:
            if run.status is not None and run.streaming:
                error_logger.error("Exception in %s after its response started", self.label, exc_info=error)
                run.native.abort()
                return None
            from astraapi.requests import Request

            request = Request(run.native, {}, app=self.app, state=run.state)
            response, background = await dispatcher.server_error(error, request, self.label)
            return response
        if run.result is not None:
            return run.result
        if not run.complete:
            if run.streaming:
                run.native.abort()
                return None
            error_logger.error("ASGI callable returned without completing response (%s)", self.label)
            return INTERNAL_ERROR
        return None


async def run_response_app(native: Any, response_app: Any, label: str) -> bool:
    """Send a response that is an ASGI application (engine.streaming.ASGIAppResponse: a Starlette
    Response subclass with its own `__call__`) on the request: the request's scope, a `receive` that
    gives `http.disconnect` once the response is complete or the client left, its messages as the
    answer. True when it completed, False when the client left first. Raises what the app raised
    (after its head went out the connection is closed)."""
    from astraapi.asgi.scope import http_scope

    run = AsgiRun(native, -1, (), {})
    run.eager = False
    run.body_taken = True  # the endpoint had the body; what the response reads is the disconnect
    scope = getattr(native, "asgi_scope", None) or getattr(native, "scope", None)
    scope = dict(scope) if scope is not None else http_scope(native)
    try:
        await response_app(scope, run.receive, run.send)
    except BaseException:
        if run.streaming:  # its head went out: no error answer can follow
            native.abort()
        raise
    if not run.complete:
        if not native.connected:
            return False
        if run.streaming:
            error_logger.error("%s returned without completing its response (%s)", type(response_app).__qualname__,
                               label)
            native.abort()
            return False
        raise RuntimeError(f"{type(response_app).__qualname__} returned without completing its response")
    return True
