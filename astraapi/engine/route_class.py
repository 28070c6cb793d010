"""Custom route classes: an `APIRoute` subclass that overrides `get_route_handler` (FastAPI's way to
wrap a route: timing, logging, a request class that un-gzips the body, catching its errors).

FastAPI calls `route.get_route_handler()` once per route and serves every request of the route
with the function it returns: `await handler(request)` gives a Response. The handler of `APIRoute`
itself ("the original handler" the override wraps) reads the request, solves the dependencies,
calls the endpoint and renders the answer; it raises what FastAPI's raises (RequestValidationError,
HTTPException, the endpoint's errors), which the wrapper may catch.

Here such a route takes the general path (never the direct call; `astraapi inspect` says why).
Per request the executor builds `ctx.request()`, calls the user's handler with it inside the
request's exit stacks, and the original handler runs the route's plan (`Executor._produce`) with
the Request it is given: its `body()` is the body the parameters are read from (so a request class
that decodes the body works), and it is the Request a `Request` parameter receives. Its answer comes
back as a Response object (headers and bytes as the plan rendered them), which the executor sends.
Routes of plain `APIRoute` (or subclasses that do not override `get_route_handler`) keep every fast path.
"""

from __future__ import annotations

import contextvars
from typing import Any, Callable

# The executor and plan a handler is being built for (set around `route.get_route_handler()`).
_building: contextvars.ContextVar[tuple[Any, Any] | None] = contextvars.ContextVar("astraapi_route_building",
                                                                                    default=None)
# The RequestContext of the request a custom route's handler is serving (set around the user's handler).
serving_context: contextvars.ContextVar[Any] = contextvars.ContextVar("astraapi_route_serving", default=None)


def overrides_handler(record: Any) -> bool:
    """Whether the route's class replaces `APIRoute.get_route_handler`."""
    from astraapi.routing import APIRoute

    method = getattr(type(record), "get_route_handler", None)
    return isinstance(record, APIRoute) and method is not None and method is not APIRoute.get_route_handler


def route_class_name(record: Any) -> str:
    cls = type(record)
    return f"{cls.__module__}.{cls.__qualname__}"


def build_handler(executor: Any, plan: Any, record: Any) -> Callable[[Any], Any]:
    """The user's handler for `plan`'s route: `record.get_route_handler()`, whose `super()` call
    gets the original handler of this executor's plan."""
    token = _building.set((executor, plan))
    try:
        handler = record.get_route_handler()
    finally:
        _building.reset(token)
    if not callable(handler):
        raise TypeError(f"{route_class_name(record)}.get_route_handler() returned {handler!r}, not a callable "
                        "handler(request) -> Response")
    return handler


def original_handler(record: Any) -> Callable[[Any], Any]:
    """`APIRoute.get_route_handler()`: the route's own handler, `async (request) -> Response`."""
    building = _building.get()
    if building is None:
        raise RuntimeError(
            f"{route_class_name(record)}.get_route_handler(): AstraAPI builds a route's handler when it serves the "
            "route (on its first request); calling it elsewhere has no request engine to run it")
    executor, plan = building
    return OriginalHandler(executor, plan)


class OriginalHandler:
    """What `APIRoute.get_route_handler()` returns: `await handler(request)` runs the route for the
    request being served and gives its Response."""

    __slots__ = ("executor", "plan")

    def __init__(self, executor: Any, plan: Any) -> None:
        self.executor = executor
        self.plan = plan

    async def __call__(self, request: Any) -> Any:
        ctx = serving_context.get()
        if ctx is None:
            raise RuntimeError(f"{self.plan.label}: the route's handler was called outside a request of the route")
        return await self.executor.produce_for_route_class(self.plan, ctx, request)


class BodyOverride:
    """The native request with the body a custom Request class gave (`await request.body()`)."""

    __slots__ = ("_native", "body")

    def __init__(self, native: Any, body: bytes) -> None:
        self._native = native
        self.body = body

    def __getattr__(self, name: str) -> Any:
        return getattr(self._native, name)


def as_response(answer: Any, background: Any) -> Any:
    """A Response object for what the route's plan produced (a response tuple or a Stream)."""
    from astraapi.engine.streaming import Stream
    from astraapi.responses import Response

    if isinstance(answer, Stream):
        response = answer.response
    else:
        status, headers, body = answer
        if headers is None:  # the default JSON answer: Starlette's JSONResponse headers
            response = Response(body, status_code=status, media_type="application/json")
        else:
            response = Response(status_code=status)
            response.body = body
            response.raw_headers = list(headers)
    if response.background is None:
        response.background = background
    return response
