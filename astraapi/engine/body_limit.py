"""Request body limits (`max_body_size=` on the app, a router, `include_router`, a route), as FastAPI
0.165 applies them with Starlette's RequestBodyLimitMiddleware.

The server has the whole body before the engine reads it (the native server reads it first, the ASGI entry
up to the limit that can still matter, when it is asked for: astraapi.asgi.app); what FastAPI decides
while it streams the body in is decided here from its length, with the same answers:

- Reading the body (body parameters, `request.body()`, `.stream()`, `.json()`, `.form()`) when it is
  longer than the limit in force, or its content-length says so, raises `ContentTooLarge` (an
  HTTPException 413 "Content Too Large"): inside a route the app's exception handlers answer it (JSON);
  one that leaves a Python middleware is answered with the limiter's plain-text 413.
- The limit in force is the app's (FastAPI(max_body_size=)) outside the routes, in Python middleware;
  the route's own (its route, router and include settings, else the app's) inside the route. A body a
  middleware read that is longer than the route's limit is refused when the route is entered.
- Whatever a route answers, the answer is replaced with the plain-text 413 when the request's
  content-length is over the limit in force (the limiter checks it when the response starts).
"""

from __future__ import annotations

import functools
import weakref
from typing import Any

CONTENT_TOO_LARGE = (
    413, [(b"content-length", b"17"), (b"content-type", b"text/plain; charset=utf-8")], b"Content Too Large")
# In a mounted app the limiter outside counts on, and the mounted app answers its error with the default
# HTTPException handler's bytes (FastAPI's AppBodyLimitMiddleware of a mounted app).
CONTENT_TOO_LARGE_JSON = (
    413, [(b"content-length", b"30"), (b"content-type", b"application/json")], b'{"detail":"Content Too Large"}')

_mounted: weakref.WeakSet[Any] = weakref.WeakSet()


def mark_mounted(app: Any) -> None:
    """`app` is served as a mounted app, with a limit in force outside it (astraapi.engine.mounts)."""
    _mounted.add(app)


def refusal(app: Any) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The answer when the limit is exceeded outside a route's handlers (in a Python middleware, or
    entering the route): the limiter's plain text, or in a mounted app its JSON."""
    return CONTENT_TOO_LARGE_JSON if app in _mounted else CONTENT_TOO_LARGE


def declared_length(native: Any) -> int:
    """The request's content-length, -1 without one (or an unreadable one, which Starlette ignores)."""
    for name, value in native.headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return -1
    return -1


def over_declared(native: Any, limit: int | None) -> bool:
    return limit is not None and declared_length(native) > limit


def over_limit(native: Any, limit: int | None) -> bool:
    """Reading the body now would exceed `limit` (the bytes received, or the length announced)."""
    if limit is None:
        return False
    return len(native.body) > limit or declared_length(native) > limit


def check_read(native: Any, limit: int | None) -> None:
    """Before handing out the body: raise the limiter's 413 when reading it exceeds `limit`."""
    if limit is not None and over_limit(native, limit):
        raise content_too_large()


def content_too_large() -> Exception:
    return _too_large_class(_http_exception_base())()


def is_content_too_large(error: BaseException) -> bool:
    return getattr(error, "_astraapi_body_limit", False) is True


def _http_exception_base() -> type[Exception]:
    from astraapi import _starlette_compat

    return _starlette_compat.router_http_exception()


@functools.cache
def _too_large_class(base: type[Exception]) -> type[Exception]:
    """The limiter's error: an HTTPException 413 of AstraAPI's class (astraapi.exceptions.StarletteHTTPException)
    and, when Starlette is loaded, of Starlette's too (code that catches `starlette.exceptions.HTTPException`
    around `await request.body()` catches it, as under FastAPI)."""
    from astraapi.exceptions import StarletteHTTPException

    bases = (base,) if base is StarletteHTTPException else (base, StarletteHTTPException)

    class ContentTooLarge(*bases):  # type: ignore[misc]
        _astraapi_body_limit = True

        def __init__(self) -> None:
            super().__init__(status_code=413, detail="Content Too Large")

    ContentTooLarge.__module__ = __name__
    ContentTooLarge.__qualname__ = "ContentTooLarge"
    return ContentTooLarge


def read_above(native: Any, limit: int) -> bool:
    """Entering a route: a Python middleware above read a body longer than the route's `limit` (Starlette's
    limiter raises then, before the route runs; the answer is its plain-text 413)."""
    return getattr(native, "through_python", False) and getattr(native, "body_consumed", False) \
        and len(native.body) > limit


def mark_consumed(native: Any) -> None:
    """A Python middleware's request read the body (see read_above)."""
    if getattr(native, "through_python", False):
        native.body_consumed = True
