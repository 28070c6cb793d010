"""`BaseHTTPMiddleware` (Starlette's `starlette.middleware.base`): a class whose `dispatch(request,
call_next)` wraps every HTTP request of the app.

AstraAPI runs it on the engine's handler contract, not on ASGI messages (astraapi/middleware/chain.py):
`call_next(request)` calls the handler below and returns its answer as a streaming response whose
`body_iterator` yields the body (once, for a whole answer; piece by piece, for a streamed one).
`@app.middleware("http")` adds `BaseHTTPMiddleware(dispatch=func)`, as Starlette does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

RequestResponseEndpoint = Callable[[Any], Awaitable[Any]]
DispatchFunction = Callable[[Any, RequestResponseEndpoint], Awaitable[Any]]


class BaseHTTPMiddleware:
    def __init__(self, app: Any, dispatch: DispatchFunction | None = None) -> None:
        self.app = app
        self.dispatch_func = self.dispatch if dispatch is None else dispatch

    async def dispatch(self, request: Any, call_next: RequestResponseEndpoint) -> Any:
        raise NotImplementedError()  # pragma: no cover - subclasses define it, as in Starlette

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        raise NotImplementedError(
            "AstraAPI runs BaseHTTPMiddleware through the engine (app.add_middleware / @app.middleware), "
            "not as an ASGI application of its own")


def is_dispatch_middleware(cls: Any) -> bool:
    """`cls` is AstraAPI's or Starlette's BaseHTTPMiddleware, or a subclass of either."""
    for base in getattr(cls, "__mro__", ()):
        if base is BaseHTTPMiddleware or (
                base.__name__ == "BaseHTTPMiddleware" and base.__module__ == "starlette.middleware.base"):
            return True
    return False


__all__ = ["BaseHTTPMiddleware", "DispatchFunction", "RequestResponseEndpoint"]
