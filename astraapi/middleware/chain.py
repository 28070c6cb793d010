"""Python middleware on the engine's handler contract (docs/internals.md, "The handler contract").

A Python middleware layer is a handler that wraps the handler below it, like the native
middlewares (astraapi/server/serve.py `with_middleware`), in Starlette's order. This module holds
what every layer kind shares, and the layer for `BaseHTTPMiddleware` / `@app.middleware("http")`:

- `drive`: the layer's coroutine runs now, in a copy of the context, until it first suspends; a
  middleware around an endpoint that answers at once answers at once too (no task, no loop trip).
  Otherwise it goes on as the request's task, and its answer is sent through `respond` (or streamed).
- `InnerRequest`: the native request as the handler below sees it. Its answer (`respond`, or
  `start_response` / `send` / `end`) is collected for the middleware instead of being written:
  `call_next` returns it as a `CallNextResponse`, whose `body_iterator` yields the body (once for a
  whole answer, piece by piece for a streamed one). No ASGI message is built.
- Starlette's error layers: ExceptionMiddleware is inside every user middleware (the executor's
  exception handlers), ServerErrorMiddleware outside all of them. An exception the layers below
  answered with ServerErrorMiddleware's answer (`ServerErrorHeaders`) is raised again from `call_next`
  (it was recorded through `server_error_sink` while the handler below ran), so the middleware sees
  it as under Starlette; one that leaves the middleware gets ServerErrorMiddleware's answer (the
  same answer, or the `500`/`Exception` handler's for an exception of the middleware's own), and is
  reported to the sink outside (the TestClient raises it).
- `request.state` is one dict per request (`InnerRequest.state_dict`), as Starlette's scope["state"]:
  what a middleware sets there, the endpoint and its dependencies read.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import types
from collections import deque
from typing import Any, Callable

from astraapi.engine.responses import (
    INTERNAL_SERVER_ERROR as INTERNAL_ERROR,
    BodyThroughPython,
    ServerErrorHeaders,
    error_logger,
    from_response,
    report_server_error,
    server_error_sink,
)
from astraapi.engine.body_limit import is_content_too_large, refusal
from astraapi.responses import Response, StreamingResponse

Handler = Callable[[Any, int, tuple], Any]
JSON_TYPE = (b"content-type", b"application/json")


def json_head(body: bytes) -> list[tuple[bytes, bytes]]:
    """The default JSON head (the handler contract's `headers is None`)."""
    return [(b"content-length", str(len(body)).encode("latin-1")), JSON_TYPE]


# ---------------------------------------------------------------------------- driving a layer


class Later:
    """A layer's answer that goes out after the handler returned: a streamed Response, or a whole
    answer with background work to run once it is sent."""

    __slots__ = ("response", "background")

    def __init__(self, response: Any, background: Any) -> None:
        self.response = response  # a Response to stream, or a response tuple
        self.background = background


class Run:
    """What every layer's per-request run has: `eager` is True during its first, inline step."""

    __slots__ = ("native", "eager")

    def __init__(self, native: Any) -> None:
        self.native = native
        self.eager = True

    @property
    def label(self) -> str:  # for messages: made only when one is written
        return f"{self.native.method} {self.native.path}"


def drive(run: Run, coro: Any) -> Any:
    """Run `coro` (a layer's run: it returns a response tuple, a Later, or None once it answered
    itself) until it first suspends. The handler contract's return value."""
    context = contextvars.copy_context()
    try:
        pending = context.run(coro.send, None)
    except StopIteration as stop:
        return _answer_now(run, stop.value)
    run.eager = False
    task = asyncio.get_running_loop().create_task(_continued(coro, pending), context=context)
    task.add_done_callback(functools.partial(_answer_later, run))
    return None


@types.coroutine
def leave_eager_step() -> Any:
    """Suspend once: what follows runs in the request's task, after the handler returned."""
    yield


async def _continued(coro: Any, pending: Any) -> Any:
    from astraapi.engine.inline import resume_coroutine

    return await resume_coroutine(coro, pending)


def _answer_now(run: Run, result: Any) -> Any:
    if result.__class__ is Later:
        asyncio.get_running_loop().create_task(send_later(run, result))
        return None
    return result


def _answer_later(run: Run, task: asyncio.Task) -> None:
    if task.cancelled():
        error_logger.error("The middleware of %s was cancelled before it answered", run.label)
        result: Any = INTERNAL_ERROR
    elif task.exception() is not None:  # only BaseExceptions other than Exception get here
        error_logger.error("Exception in the middleware of %s", run.label, exc_info=task.exception())
        result = INTERNAL_ERROR
    else:
        result = task.result()
    if result is None:
        return
    if result.__class__ is Later:
        asyncio.get_running_loop().create_task(send_later(run, result))
        return
    _respond(run, result)


def _respond(run: Run, result: tuple) -> None:
    status, headers, body = result
    try:
        run.native.respond(status, headers, body)
    except Exception as error:
        error_logger.error("Could not send the response of %s", run.label, exc_info=error)


async def send_later(run: Run, later: Later) -> None:
    from astraapi.engine.streaming import send_streamed

    native = run.native
    if isinstance(later.response, tuple):
        _respond(run, later.response)
    else:
        try:
            await send_streamed(native, later.response, run.label)
        except Exception as error:
            if not native.responded:
                error_logger.error("Exception in %s", run.label, exc_info=error)
                report_server_error(error)
                _respond(run, INTERNAL_ERROR)
            else:
                error_logger.error("Exception while streaming the response of %s", run.label, exc_info=error)
            return
    if later.background is not None:
        try:
            await later.background()
        except Exception as error:
            error_logger.error("Exception in a background task of %s", run.label, exc_info=error)


def answer_of(response: Any) -> Any:
    """What a middleware's returned Response becomes: a response tuple, or a Later."""
    from astraapi import _starlette_compat as starlette_compat
    from astraapi.engine.streaming import is_streamed

    if isinstance(response, CallNextResponse) and response._iterator is None and response._body is not None:
        answer = (response.status_code, response.raw_headers, response._body)
        background = response.background
        return answer if background is None else Later(answer, background)
    if (starlette_compat.FOREIGN_RESPONSES and not isinstance(response, Response)
            and isinstance(response, starlette_compat.FOREIGN_RESPONSES)):
        response = starlette_compat.adopt_response(response)  # Starlette's, as a middleware library returns
    if is_streamed(response):
        return Later(response, response.background)
    elif isinstance(response, Response):
        answer = from_response(response)
    else:
        raise TypeError(f"a middleware returned {response!r}, not a Response")
    background = getattr(response, "background", None)
    return answer if background is None else Later(answer, background)


# ---------------------------------------------------------------------------- the handler below


class InnerRequest(BodyThroughPython):
    """The native request, as the handler below a Python middleware sees it; its answer is kept
    for the middleware. Attributes set on the instance (the ASGI bridge sets the scope's) hide the
    native request's."""

    through_python = True  # its Request.state is the shared state_dict (astraapi/requests.py)

    def __init__(self, native: Any, state_dict: dict) -> None:
        self._native = native
        self.state_dict = state_dict
        self.responded = False
        self._head: Any = None  # ("whole", status, headers, body) or ("stream", status, headers)
        self._waiter: asyncio.Future | None = None
        self._chunks: deque = deque()
        self._ended = False
        self._failed = False
        self._taken = False
        self._taken_waiter: asyncio.Future | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._native, name)

    # What the engine reads on every request, without the failed lookup before __getattr__.
    method = property(lambda self: self._native.method)
    path = property(lambda self: self._native.path)
    raw_path = property(lambda self: self._native.raw_path)
    query_string = property(lambda self: self._native.query_string)
    headers = property(lambda self: self._native.headers)
    body = property(lambda self: self._native.body)
    client = property(lambda self: self._native.client)
    scheme = property(lambda self: self._native.scheme)
    http_version = property(lambda self: self._native.http_version)

    @property
    def connected(self) -> bool:
        return bool(self._native.connected)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def respond(self, status: int, headers: Any, body: bytes) -> bool:
        if self.responded:
            raise RuntimeError("the request was already answered")
        self.responded = True
        self._head = ("whole", status, headers, bytes(body))
        self._wake()
        return bool(self._native.connected)

    def start_response(self, status: int, headers: Any) -> bool:
        if self.responded:
            raise RuntimeError("the request was already answered")
        self.responded = True
        self._head = ("stream", status, list(headers))
        self._wake()
        return bool(self._native.connected)

    def send(self, chunk: bytes) -> bool:
        self._chunks.append(bytes(chunk))
        self._wake()
        return bool(self._native.connected)

    def end(self) -> bool:
        self._ended = True
        self._wake()
        return bool(self._native.connected)

    def abort(self) -> None:
        self._failed = True
        self._ended = True
        self._wake()

    def on_drain(self, callback: Callable[[], None]) -> None:
        asyncio.get_running_loop().call_soon(callback)

    async def answer(self) -> tuple:
        """The head of the answer, once the handler below gave it."""
        try:
            while self._head is None:
                self._waiter = asyncio.get_running_loop().create_future()
                await self._waiter
                self._waiter = None
        finally:  # taken, or never will be (the layer above was cancelled): the handler below goes on
            self._taken = True
            taken = self._taken_waiter
            if taken is not None and not taken.done():
                taken.set_result(None)
        return self._head

    async def handed_over(self) -> None:
        """Returns once the layer above has taken the head of the answer (`answer` returned it)."""
        if self._taken:
            return
        if self._taken_waiter is None:
            self._taken_waiter = asyncio.get_running_loop().create_future()
        await self._taken_waiter

    async def chunks(self) -> Any:
        """A streamed answer's body, piece by piece, as the handler below sends it."""
        while True:
            while self._chunks:
                yield self._chunks.popleft()
            if self._ended:
                if self._failed:
                    raise RuntimeError("the response below the middleware failed after it started")
                return
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
            self._waiter = None


class ScopeRequest(InnerRequest):
    """An InnerRequest whose request line, headers and body are the ASGI scope's and body's
    (a pure ASGI middleware may have rewritten them): set on the instance by the bridge."""

    method = path = raw_path = query_string = headers = body = client = scheme = None  # type: ignore[assignment]
    asgi_scope: dict | None = None  # the scope the middleware passed down: Request.scope, .session, .user, .auth


def state_dict_of(native: Any, app: Any) -> dict:
    """The request's state dict: the one of the layer outside, else a copy of the lifespan state."""
    shared = getattr(native, "state_dict", None) if native.__class__ is not _native_request_type() else None
    if shared is not None:
        return shared
    state = getattr(getattr(app, "router", None), "lifespan_state", None)
    return dict(state) if state else {}


@functools.cache
def _native_request_type() -> type:
    from astraapi import _runtime

    return _runtime.Request


async def call_below(inner: Handler, request: InnerRequest, route_index: int, path_params: tuple,
                     captured: list) -> tuple:
    """Call the handler below with `request`; the head of its answer (see InnerRequest._head).
    Exceptions that became ServerErrorMiddleware's 500 below are appended to `captured`."""
    token = server_error_sink.set(captured)
    try:
        result = inner(request, route_index, path_params)
    finally:
        server_error_sink.reset(token)
    if result is not None:
        status, headers, body = result
        request.responded = True
        return ("whole", status, headers, body)
    return await request.answer()


def raised_below(head: tuple, captured: list) -> BaseException | None:
    """The exception to raise again above when the answer below is ServerErrorMiddleware's."""
    if head[0] == "whole" and captured and isinstance(head[2], ServerErrorHeaders):
        return captured[0]
    return None


# ---------------------------------------------------------------------------- call_next


class CallNextResponse(StreamingResponse):
    """`call_next`'s answer (Starlette's `_StreamingResponse`): status, headers and a `body_iterator`.
    A whole answer keeps its body: returned with its iterator untouched, it is sent as it came."""

    def __init__(self, status: int, headers: list, body: bytes | None, request: InnerRequest | None) -> None:
        self.status_code = status
        self.raw_headers = headers
        self.background = None
        self._body = body
        self._request = request
        self._iterator: Any = None

    @property
    def body_iterator(self) -> Any:  # type: ignore[override]
        if self._iterator is None:
            self._iterator = _once(self._body) if self._request is None else self._request.chunks()
        return self._iterator

    @body_iterator.setter
    def body_iterator(self, value: Any) -> None:
        self._iterator = value


_call_next_classes: dict[type, type] = {}


def call_next_class() -> type:
    """CallNextResponse; with Starlette loaded, one that is also Starlette's StreamingResponse, as FastAPI's
    call_next answer is (middleware libraries check `isinstance(response, starlette.responses.Response)`
    before writing headers into it: slowapi). AstraAPI's attributes and methods come first."""
    import sys

    theirs = sys.modules.get("starlette.responses")
    if theirs is None:
        return CallNextResponse
    base = theirs.StreamingResponse
    cls = _call_next_classes.get(base)
    if cls is None:
        cls = _call_next_classes[base] = type("CallNextResponse", (CallNextResponse, base), {"__module__": __name__})
    return cls


async def _once(body: bytes) -> Any:
    yield body


class DispatchLayer:
    """A BaseHTTPMiddleware (or `@app.middleware("http")` function) around the handler below."""

    def __init__(self, inner: Handler, dispatch: Callable[..., Any], app: Any, errors: "ServerErrors",
                 streams: bool = False) -> None:
        self.inner = inner
        self.dispatch = dispatch
        self.app = app
        self.errors = errors
        self.streams = streams  # call_next's whole answers go out as a stream (see stack.python_stack)

    body_limit: int | None = None  # the app's max_body_size: reading the body here is limited by it
    websocket_routes: frozenset = frozenset()  # route indexes a WebSocket handshake may reach
    websocket_mounts: frozenset = frozenset()  # ... among routes that also take HTTP (ASGI mounts)

    def __call__(self, native: Any, route_index: int, path_params: tuple) -> Any:
        if route_index in self.websocket_routes or (route_index in self.websocket_mounts and is_upgrade(native)):
            return self.inner(native, route_index, path_params)  # Starlette's passes websocket scopes on
        run = _DispatchRun(self, native, route_index, path_params)
        return drive(run, run.main())


def is_upgrade(native: Any) -> bool:
    return any(name == b"upgrade" and value.lower() == b"websocket" for name, value in native.headers)


class _DispatchRun(Run):
    __slots__ = ("layer", "route_index", "path_params", "request", "captured", "error_answer")

    def __init__(self, layer: DispatchLayer, native: Any, route_index: int, path_params: tuple) -> None:
        super().__init__(native)
        self.layer = layer
        self.route_index = route_index
        self.path_params = path_params
        self.captured: list = []
        self.error_answer: Any = None

    async def main(self) -> Any:
        from astraapi.requests import Request

        layer = self.layer
        self.request = InnerRequest(self.native, state_dict_of(self.native, layer.app))
        request = Request(self.request, {}, app=layer.app)
        if layer.body_limit is not None:
            request._body_limit = layer.body_limit  # the app's max_body_size (astraapi.engine.body_limit)
        try:
            response = await layer.dispatch(request, self.call_next)
            if response is None:
                raise RuntimeError("No response returned.")
            if layer.streams and isinstance(response, CallNextResponse):
                return Later(response, response.background)
            return answer_of(response)
        except Exception as error:
            return await layer.errors.answer(error, request, self.label, self.captured, self.error_answer)

    async def call_next(self, request: Any) -> CallNextResponse:
        inner = self.request
        if inner.responded:  # call_next called again: a fresh request below
            inner = InnerRequest(self.native, inner.state_dict)
        head = await call_below(self.layer.inner, inner, self.route_index, self.path_params, self.captured)
        error = raised_below(head, self.captured)
        if error is not None:
            self.error_answer = head[1:]
            raise error
        cls = call_next_class()
        if head[0] == "whole":
            _, status, headers, body = head
            return cls(status, json_head(body) if headers is None else list(headers), body, None)
        return cls(head[1], head[2], None, inner)


class ServerErrors:
    """Starlette's ServerErrorMiddleware, for exceptions that leave a Python middleware."""

    def __init__(self, app: Any) -> None:
        from astraapi.engine.handlers import ExceptionDispatcher

        self.dispatcher = ExceptionDispatcher(app)
        self.app = app

    async def answer(self, error: BaseException, request: Any, label: str, captured: list, error_answer: Any) -> Any:
        if is_content_too_large(error):
            return refusal(self.app)  # the body limiter outside the middlewares answers its own error
        if error_answer is not None and captured and error is captured[0]:
            report_server_error(error)  # answered below already (logged there): the same answer
            return tuple(error_answer)
        response, background = await self.dispatcher.server_error(error, request, label)
        return response if background is None else Later(response, background)
