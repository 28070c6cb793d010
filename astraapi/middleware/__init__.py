"""Middleware declarations (`fastapi.middleware`).

GZip, CORS, TrustedHost and HTTPSRedirect are declarations the runtime carries out natively; function
middleware, BaseHTTPMiddleware subclasses (astraapi.middleware.base) and pure ASGI middleware classes run in
Python around the routes of the apps that declare them (astraapi/middleware/stack.py).
"""

from __future__ import annotations

from typing import Any


class Middleware:
    """`Middleware(cls, *args, **kwargs)`, as passed in `FastAPI(middleware=[...])`."""

    def __init__(self, cls: type, *args: Any, **kwargs: Any) -> None:
        self.cls = cls
        self.args = args
        self.kwargs = kwargs

    def __iter__(self):
        return iter((self.cls, self.args, self.kwargs))

    def __repr__(self) -> str:
        options = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"Middleware({', '.join([self.cls.__name__, *options])})"


__all__ = ["Middleware"]
