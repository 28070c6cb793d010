"""The settings, the per-request record and the helpers the engine calls (`_operation`, `_validation_failed`,
`_exception`). `opentelemetry` is imported on first use, never by `import astraapi`."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from time import time_ns
from typing import Any

from typing_extensions import TypedDict

HTTP_METHODS = frozenset({"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"})


class TelemetryConfig(TypedDict, total=False):
    """Settings for `FastAPI(telemetry={...})`; each omitted one keeps its default.

    Providers given here are used instead of OpenTelemetry's global ones and are never shut down by
    AstraAPI. `tracing`, `metrics`, `logs` and `operation_spans` (spans around dependency solving, the
    endpoint, serialization and background tasks) default to True; `auto_configure` (OTLP exporters from
    the `OTEL_*` environment variables) to False unless `FASTAPI_OTEL_AUTO_CONFIGURE=true`; `exclude`
    receives the request's scope-like mapping and returns True to skip telemetry for it."""

    tracer_provider: Any
    meter_provider: Any
    logger_provider: Any
    tracing: bool
    metrics: bool
    logs: bool
    operation_spans: bool
    auto_configure: bool
    exclude: Callable[[MutableMapping[str, Any]], bool] | None


_BOOLEAN_SETTINGS = ("tracing", "metrics", "logs", "operation_spans", "auto_configure")
_SETTINGS = frozenset(TelemetryConfig.__annotations__)


def resolve_config(telemetry: Any) -> dict[str, Any]:
    """The app's complete settings: the defaults, then what `telemetry=` gives (copied). Raises
    ValueError for an unknown setting or a flag that is not a bool."""
    config: dict[str, Any] = {
        "tracer_provider": None, "meter_provider": None, "logger_provider": None, "tracing": True,
        "metrics": True, "logs": True, "operation_spans": True,
        "auto_configure": os.getenv("FASTAPI_OTEL_AUTO_CONFIGURE", "").lower() == "true", "exclude": None,
    }
    if telemetry is None:
        return config
    if not isinstance(telemetry, dict):
        raise ValueError(f"telemetry must be a dict of TelemetryConfig settings, not {type(telemetry).__name__}")
    for name, value in telemetry.items():
        if name not in _SETTINGS:
            raise ValueError(f"telemetry: unknown setting {name!r} (known: {', '.join(sorted(_SETTINGS))})")
        if name in _BOOLEAN_SETTINGS and not isinstance(value, bool):
            raise ValueError(f"telemetry[{name!r}] must be a bool, not {value!r}")
        if name == "exclude" and value is not None and not callable(value):
            raise ValueError("telemetry['exclude'] must be a callable or None")
        config[name] = value
    return config


@dataclass(kw_only=True)
class TelemetryData:
    """Local data about the request or WebSocket connection being handled, for synchronous OpenTelemetry
    processors (read-only; redact before exporting any of it). Cleared when the request ends."""

    request: Any = None  # the Request, once its route's handling starts
    websocket: Any = None  # the WebSocket, once its route's handling starts
    body: Any = None  # the body as read (parsed JSON, form or bytes), before parameter validation
    values: dict[str, Any] | None = None  # the parsed arguments, after dependency solving
    errors: Sequence[Any] | None = None  # request validation errors, with their input values


@dataclass(kw_only=True)
class _RequestTelemetry:
    span: Any
    span_method: str
    tracer: Any = None  # set when operation spans are on
    logger: Any = None  # set when logs are on
    route: str | None = None
    status_code: int | None = None
    websocket: bool = False
    data: TelemetryData | None = field(default_factory=TelemetryData)
    _exceptions: list[BaseException] = field(default_factory=list, repr=False)
    _finish: Any = field(default=None, repr=False)  # ends the span and the metrics (set by the server)
    _validation_reported: bool = field(default=False, repr=False)
    _route_prefix: str = field(default="", repr=False)  # the mount paths matched so far
    _in_task: bool = field(default=False, repr=False)  # the engine's task for the request runs (see _task_started)
    # the request is over (answered, and its task ended): its data is cleared, and an exception reported
    # after this (one the app's stack raises again once the engine answered it) was seen already
    _closed: bool = field(default=False, repr=False)

    def _close(self) -> None:
        self.data = None
        self._exceptions.clear()
        self._closed = True


_KEY: Any = None


def request_key() -> Any:
    """The OpenTelemetry context key under which the request's record lives."""
    global _KEY
    if _KEY is None:
        from opentelemetry import context

        _KEY = context.create_key("fastapi.request")
    return _KEY


def _current(context: Any = None) -> _RequestTelemetry | None:
    if _KEY is None or "opentelemetry.context" not in sys.modules:
        return None
    from opentelemetry import context as otel_context

    value = otel_context.get_value(_KEY, context)
    return value if isinstance(value, _RequestTelemetry) else None


def get_telemetry_data(context: Any = None) -> TelemetryData | None:
    """The local data of the request being handled in `context` (default: the current OpenTelemetry
    context; a log processor can pass `record.context`). None outside a request, and once it has ended."""
    record = _current(context)
    return record.data if record is not None else None


# AstraAPI's classes that stand for FastAPI's (public import paths mirror FastAPI's) keep FastAPI's name in
# `error.type`, so dashboards and alerts keyed on a FastAPI app's errors go on working after the move
# (docs/compat-differences.md). Only these: AstraAPI's own classes are named as they are.
_FASTAPI_NAMES = {
    **{("astraapi.exceptions", name): f"fastapi.exceptions.{name}" for name in (
        "HTTPException", "WebSocketException", "DependencyScopeError", "ValidationException",
        "RequestValidationError", "WebSocketRequestValidationError", "ResponseValidationError",
        "PydanticV1NotSupportedError")},
    ("astraapi.exceptions", "AstraAPIError"): "fastapi.exceptions.FastAPIError",
    ("astraapi.exceptions", "StarletteHTTPException"): "starlette.exceptions.HTTPException",
    ("astraapi.websockets", "WebSocketDisconnect"): "starlette.websockets.WebSocketDisconnect",
}


def _exception_type(error: BaseException) -> str:
    cls = type(error)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    name = _FASTAPI_NAMES.get((cls.__module__, cls.__qualname__))
    return name if name is not None else f"{cls.__module__}.{cls.__qualname__}"


def _normal_websocket_disconnect(error: BaseException) -> bool:
    from astraapi.websockets import WebSocketDisconnect

    return isinstance(error, WebSocketDisconnect) and error.code in (1000, 1001)


def _expected(error: BaseException) -> bool:
    """An exception the app answers by design (HTTP errors, validation, a normal WebSocket close)."""
    from astraapi.exceptions import (
        RequestValidationError, StarletteHTTPException, WebSocketException, WebSocketRequestValidationError,
    )

    expected = (StarletteHTTPException, RequestValidationError, WebSocketException, WebSocketRequestValidationError)
    return isinstance(error, expected) or _normal_websocket_disconnect(error)


def _validation_failed(errors: Sequence[Any], body: Any = None, has_body: bool = False) -> None:
    """Request validation failed: the data keeps the errors (and the body), and a WARN log record says so."""
    record = _current()
    if record is None or record._validation_reported:  # reported where raised; the 422 answer comes later
        return
    record._validation_reported = True
    if record.data is not None:
        if has_body:
            record.data.body = body
        record.data.errors = errors
    if record.logger is not None:
        from opentelemetry._logs import SeverityNumber

        attributes: dict[str, Any] = {"fastapi.validation.error_count": len(errors)}
        if record.route is not None:
            attributes["http.route"] = record.route
        record.logger.emit(event_name="fastapi.validation.failed", timestamp=time_ns(),
                           severity_number=SeverityNumber.WARN, severity_text="WARN",
                           body="Request validation failed", attributes=attributes)


def _exception(error: BaseException, *, record: _RequestTelemetry | None = None) -> None:
    """An unhandled exception of the request: remembered (for `error.type`) and logged once, as ERROR."""
    record = record if record is not None else _current()
    if record is None or record._closed:
        return
    websocket = record.websocket
    if websocket and _normal_websocket_disconnect(error):
        return
    if any(previous is error for previous in record._exceptions):
        return
    record._exceptions.append(error)
    if record.logger is not None and isinstance(error, Exception):
        from opentelemetry._logs import SeverityNumber

        record.logger.emit(
            exception=error, timestamp=time_ns(), severity_number=SeverityNumber.ERROR, severity_text="ERROR",
            event_name="fastapi.websocket.exception" if websocket else "http.server.request.exception",
            body=("Unhandled exception in FastAPI WebSocket connection" if websocket
                  else "Unhandled exception in FastAPI request"),
            attributes={"http.route": record.route} if record.route else None,
        )


def _run_sync_endpoint(function: Callable[..., Any], arguments: dict[str, Any]) -> Any:
    """A `def` endpoint's call in the worker thread, inside its `fastapi.endpoint` span."""
    with _operation(name="endpoint", function=function):
        return function(**arguments)


def _name_route(record: _RequestTelemetry, route: str) -> None:
    """The request's `http.route`, and its span's name (`METHOD /route`)."""
    record.route = route
    if record.span is not None:
        record.span.set_attribute("http.route", route)
        record.span.update_name(f"{record.span_method} {route}")


def _outer_route(scope: dict[str, Any], route_path: str) -> None:
    """An ASGI telemetry layer outside the app (telemetry._asgi; the scope's `"fastapi.telemetry"`)
    observes this request: the app names the route it matched (after the mount path the layer saw)."""
    record = scope.get("fastapi.telemetry")
    if isinstance(record, _RequestTelemetry) and record.route is None:
        _name_route(record, record._route_prefix + route_path)


def _mount_matched(mount_path: str, route_path: str | None) -> None:
    """A mounted app matched one of its routes: the request's `http.route` (and span name) is the mount
    path, then the route's path (`route_path`; None: the route is itself a mount, whose app goes on)."""
    record = _current()
    if record is None or record.route is not None:
        return
    record._route_prefix += mount_path
    if route_path is None:
        return
    _name_route(record, record._route_prefix + route_path)


def _body_read(body: Any) -> None:
    data = get_telemetry_data()
    if data is not None:
        data.body = body


def _task_started() -> None:
    """The engine's task for the request started: the request's data stays until `_task_ended` (its
    background tasks run after the response, and the span, ended; they still see the data)."""
    record = _current()
    if record is not None:
        record._in_task = True


def _task_ended() -> None:
    record = _current()
    if record is not None:
        record._in_task = False
        if record._finish is None or record._finish.finished:
            record._close()


def _connection_started(websocket: Any) -> None:
    data = get_telemetry_data()
    if data is not None:
        data.websocket = websocket


def _solved(values: dict[str, Any], errors: Sequence[Any]) -> None:
    """Dependency solving is done: the data keeps the parsed arguments and the errors (if any)."""
    data = get_telemetry_data()
    if data is not None:
        data.values = values
        data.errors = errors


def _connection_ended(error: BaseException | None = None) -> None:
    """A WebSocket session is over (its span ends here, not when the handshake was handled)."""
    record = _current()
    if record is not None and record._finish is not None:
        record._finish(None if error is not None and _normal_websocket_disconnect(error) else error)


_NO_OPERATION = nullcontext()


def _operation(*, name: str, function: Callable[..., Any] | None = None) -> Any:
    """A `fastapi.<name>` span around one step of the request (dependencies, endpoint, serialization,
    background_task) when operation spans are on; otherwise a shared no-op context manager."""
    record = _current()
    if record is None or record.tracer is None or getattr(function, "__astraapi_plain_route__", False):
        # (the docs routes are plain Starlette routes under FastAPI: no operation spans)
        return _NO_OPERATION
    return _traced_operation(record, name, function)


@contextmanager
def _traced_operation(record: _RequestTelemetry, name: str, function: Callable[..., Any] | None) -> Iterator[None]:
    from opentelemetry.trace import StatusCode

    attributes = {}
    if function is not None:
        module = getattr(function, "__module__", type(function).__module__)
        qualname = getattr(function, "__qualname__", type(function).__qualname__)
        attributes["code.function.name"] = f"{module}.{qualname}"
    with record.tracer.start_as_current_span(f"fastapi.{name}", attributes=attributes, record_exception=False,
                                             set_status_on_exception=False) as span:
        try:
            yield
        except Exception as error:
            if name == "background_task" or not _expected(error):
                span.set_attribute("error.type", _exception_type(error))
                span.set_status(StatusCode.ERROR)
            raise


# OpenTelemetry's API has no "is a provider configured" query: its own deferred (proxy) providers are
# the ones that mean "not configured yet". SDK and vendor providers count as configured.
_DEFERRED_PROVIDERS = frozenset({
    ("opentelemetry.trace", "ProxyTracerProvider"),
    ("opentelemetry.metrics._internal", "_ProxyMeterProvider"),
    ("opentelemetry._logs._internal", "ProxyLoggerProvider"),
})


def _unconfigured(provider: Any) -> bool:
    cls = type(provider)
    return (cls.__module__, cls.__name__) in _DEFERRED_PROVIDERS
