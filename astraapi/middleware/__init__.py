"""Middleware declarations (`fastapi.middleware`).

AstraAPI has no ASGI layer: a middleware it supports is a declaration the runtime carries out
natively (GZip, CORS, TrustedHost, HTTPSRedirect). Others are refused when added, with a message saying so.
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
