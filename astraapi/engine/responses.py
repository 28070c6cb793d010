"""Response tuples `(status, headers, body)` as the handler contract defines them.

`headers` is None for the default JSON headers (`content-length`, `content-type:
application/json`); otherwise it is the complete list of (name, value) byte pairs, built
by Starlette's rules (see astraapi.responses).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from astraapi.responses import Response

ResponseTuple = tuple[int, "list[tuple[bytes, bytes]] | None", bytes]

error_logger = logging.getLogger("astraapi.error")

server_error_sink: ContextVar[list[BaseException] | None] = ContextVar("astraapi_server_error_sink", default=None)
"""Where exceptions that became a 500 are also reported, when set in the serving thread's context
(the TestClient's server does, to re-raise them in the test: `raise_server_exceptions`). Read on
the error path only."""


def report_handled_error(error: BaseException) -> None:
    """One of the app's exception handlers (a default one included) answers `error`: sentry-sdk's
    Starlette integration, when loaded, captures it if its status is one it reports (astraapi._sentry_compat)."""
    if "sentry_sdk" in sys.modules:
        from astraapi._sentry_compat import handled_error

        handled_error(error)


def report_server_error(error: BaseException) -> None:
    sink = server_error_sink.get()
    if sink is not None:
        sink.append(error)
    telemetry = sys.modules.get("astraapi.telemetry._api")  # loaded only when an app records telemetry
    if telemetry is not None:
        telemetry._exception(error)

class BodyThroughPython:
    """A request wrapper whose answers pass through Python (GZipMiddleware's `Compressing`,
    astraapi.server.compression): a streamed file body must then go through its `send`, read in
    pieces instead of sent with sendfile(2)."""

    __slots__ = ()


class ServerErrorHeaders(list):
    """The headers of an answer given by Starlette's ServerErrorMiddleware (the plain 500, the debug
    page, a `500`/`Exception` handler's response): that layer is outside the user's middleware, so
    the native middlewares (CORS, gzip) let such an answer pass unchanged."""

    __slots__ = ()


def server_error_answer(response: Any) -> Any:
    """`response` (a ResponseTuple, or anything else, returned as is) marked as ServerErrorMiddleware's."""
    if isinstance(response, tuple) and len(response) == 3 and isinstance(response[1], list):
        status, headers, body = response
        return status, ServerErrorHeaders(headers), body
    return response


INTERNAL_SERVER_ERROR: ResponseTuple = (
    500,
    ServerErrorHeaders([(b"content-length", b"21"), (b"content-type", b"text/plain; charset=utf-8")]),
    b"Internal Server Error",
)


def body_allowed(status: int) -> bool:
    return not (status < 200 or status in (204, 205, 304))


def json_tuple(status: int, body: bytes) -> ResponseTuple:
    """A JSON body with Starlette's headers for `status`."""
    if status < 200 or status in (204, 304):
        return status, [(b"content-type", b"application/json")], b""
    if status == 205:
        return status, [(b"content-length", b"0"), (b"content-type", b"application/json")], b""
    return status, None, body


def from_response(response: Response) -> ResponseTuple:
    return response.status_code, response.raw_headers, bytes(response.body)


def render_json(content: Any) -> bytes:
    """JSONResponse's rendering: compact, UTF-8, NaN/Infinity refused (ValueError)."""
    return json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode("utf-8")


def http_exception_tuple(status: int, detail: Any, headers: Mapping[str, str] | None) -> ResponseTuple:
    """FastAPI's default handler for HTTPException: `{"detail": ...}`, or no body where none is allowed."""
    if not body_allowed(status):
        return from_response(Response(status_code=status, headers=headers))
    body = render_json({"detail": detail})
    if headers:
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        names = {name for name, _ in raw}
        if b"content-length" not in names:
            raw.append((b"content-length", str(len(body)).encode("latin-1")))
        if b"content-type" not in names:
            raw.append((b"content-type", b"application/json"))
        return status, raw, body
    return status, None, body


def internal_error(message: str, error: BaseException) -> ResponseTuple:
    """Log `error` with its traceback and answer as Starlette's ServerErrorMiddleware does."""
    error_logger.error(message, exc_info=error)
    report_server_error(error)
    return INTERNAL_SERVER_ERROR
