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
    """Whether the route's handler is not APIRoute's own: its class replaces `get_route_handler`, or
    something replaced `routing.get_request_handler` (see handler_is_wrapped)."""
    from astraapi.routing import APIRoute, APIWebSocketRoute

    if not isinstance(record, APIRoute) or isinstance(record, APIWebSocketRoute):
        return False
    method = getattr(type(record), "get_route_handler", None)
    if method is not None and method is not APIRoute.get_route_handler:
        return True
    # Starlette-style routes (and the docs routes, which FastAPI adds as such) have no request handler to wrap.
    return not record.takes_request and handler_is_wrapped()


def route_class_name(record: Any) -> str:
    cls = type(record)
    return f"{cls.__module__}.{cls.__qualname__}"


def refusal(record: Any) -> str:
    """Why such a route is not called directly (astraapi inspect)."""
    from astraapi.routing import APIRoute

    if type(record).get_route_handler is not APIRoute.get_route_handler:
        return f"its route class {route_class_name(record)} overrides get_route_handler"
    return "astraapi.routing.get_request_handler is replaced (an integration wraps every route's handler)"


def build_handler(executor: Any, plan: Any, record: Any) -> Callable[[Any], Any]:
    """The user's handler for `plan`'s route: `record.get_route_handler()`, whose `super()` call
    gets the original handler of this executor's plan."""
    from astraapi._routing.include import declared_route

    token = _building.set((executor, plan))
    try:
        # An included route's handler is built by the route as declared (its class's override, its state),
        # for this inclusion's plan.
        handler = declared_route(record).get_route_handler()
    finally:
        _building.reset(token)
    if not callable(handler):
        raise TypeError(f"{route_class_name(record)}.get_route_handler() returned {handler!r}, not a callable "
                        "handler(request) -> Response")
    return handler


def _being_built(what: str) -> tuple[Any, Any]:
    building = _building.get()
    if building is None:
        raise RuntimeError(
            f"{what}: AstraAPI builds a route's handler when it serves the route (on its first request); "
            "calling it elsewhere has no request engine to run it")
    return building


def building_dependant(record: Any) -> Any:
    """The FastAPI `Dependant` of the route whose handler is being built (what `get_request_handler` gets)."""
    from astraapi.dependencies.utils import _dependant_from_analysis

    executor, plan = _being_built(f"{route_class_name(record)}.get_route_handler()")
    return _dependant_from_analysis(plan.root.node, plan.ir.path, None, None)


def request_handler(dependant: Any) -> Callable[[Any], Any]:
    """`routing.get_request_handler(dependant=...)`: the handler of the route being built. A `dependant.call`
    replaced before the call (an integration wrapping the endpoint, as Sentry's does) is what it calls."""
    executor, plan = _being_built("get_request_handler()")
    call = getattr(dependant, "call", None)
    if call is not None and call is not plan.endpoint:
        import copy

        plan = copy.copy(plan)
        plan.endpoint = call
    return OriginalHandler(executor, plan)


def handler_is_wrapped() -> bool:
    """Whether something replaced `astraapi.routing.get_request_handler` (an integration wrapping every
    route's handler): every route then runs its handler as a custom route class's does."""
    import astraapi.routing as routing

    return routing.get_request_handler is not routing._own_get_request_handler


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
