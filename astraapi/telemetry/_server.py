"""Telemetry around the app's handler: the server span, the HTTP metrics and the request's record.

`telemetry_handler(handler, app, ir)` wraps the engine's handler (the handler contract, docs/internals.md)
when the app's telemetry is active at start-up; serving then also hands the router's 404, 405 and
trailing-slash redirects to the handler so that they are observed too. The span is the current one while
the handler runs (tasks and threads it starts inherit it); it ends when the answer is complete: returned,
`respond`ed, or a stream's `end`."""

from __future__ import annotations

import logging
import os
from time import perf_counter
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from astraapi._path_template import path_format
from astraapi._runtime_contract import METHOD_NOT_ALLOWED_ROUTE, REDIRECT_ROUTE
from astraapi.telemetry._api import (
    HTTP_METHODS, _exception, _exception_type, _name_route, _outer_route, _RequestTelemetry, _unconfigured,
    request_key,
)

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
SCHEMA_URL = "https://opentelemetry.io/schemas/1.44.0"
# the query parameters the HTTP semantic conventions say to redact
SENSITIVE_QUERY_PARAMETERS = frozenset({"X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "sig",
                                        "X-Goog-Signature"})


def provider_active(explicit: Any, get_global: Any, noop: type) -> bool:
    provider = explicit if explicit is not None else get_global()
    return not ((explicit is None and _unconfigured(provider)) or isinstance(provider, noop))


def telemetry_active(app: Any) -> bool:
    """Whether serving `app` records anything: a signal is on and its provider is configured (given in
    `telemetry=`, or a global one that is not OpenTelemetry's deferred proxy). Imports nothing when the
    app gave no provider and the process never imported OpenTelemetry."""
    import sys

    config = app_config(app)
    if config is None or contrib_instrumented(app):
        return False
    if config["auto_configure"] and (config["tracing"] or config["metrics"] or config["logs"]):
        return True  # export is set up from the environment at start-up, after this decision
    explicit = any(config[name] is not None for name in ("tracer_provider", "meter_provider", "logger_provider"))
    if not explicit and "opentelemetry" not in sys.modules:
        return False
    from opentelemetry import _logs, metrics, trace

    return bool(
        (config["tracing"] and provider_active(config["tracer_provider"], trace.get_tracer_provider,
                                               trace.NoOpTracerProvider))
        or (config["metrics"] and provider_active(config["meter_provider"], metrics.get_meter_provider,
                                                  metrics.NoOpMeterProvider))
        or (config["logs"] and provider_active(config["logger_provider"], _logs.get_logger_provider,
                                               _logs.NoOpLoggerProvider))
    )


def _is_contrib_middleware(cls: Any) -> bool:
    return getattr(cls, "__module__", None) == "opentelemetry.instrumentation.asgi" \
        and getattr(cls, "__name__", None) == "OpenTelemetryMiddleware"


def contrib_instrumented(app: Any) -> bool:
    """The app is traced by opentelemetry-instrumentation-fastapi (its ASGI middleware is in the app's stack):
    AstraAPI's own telemetry then stays off, as FastAPI's does, so requests are not traced twice. Read from
    the app's middleware (an `add_middleware(OpenTelemetryMiddleware)`, or the stack `instrument_app`
    patches in), not from contrib's flag alone, which is also set when its patch did not take."""
    if any(_is_contrib_middleware(getattr(entry, "cls", None)) for entry in getattr(app, "user_middleware", ())):
        return True
    if not getattr(app, "_is_instrumented_by_opentelemetry", False) or "build_middleware_stack" not in vars(app):
        return False
    stack, seen = app.middleware_stack, set()
    if stack is None:
        try:
            stack = app.build_middleware_stack()
        except Exception as error:  # contrib's patch could not build its stack: it does not trace this app
            logging.getLogger("fastapi").warning("opentelemetry-instrumentation-fastapi's middleware stack "
                                                 "could not be built (%s): FastAPI telemetry stays on", error)
            return False
        app.middleware_stack = stack  # built once, as the app's ASGI entry would build it
    while stack is not None and id(stack) not in seen:
        seen.add(id(stack))
        if _is_contrib_middleware(type(stack)):
            return True
        stack = getattr(stack, "app", None)
    return False


def app_config(app: Any) -> dict[str, Any] | None:
    """The app's telemetry settings (the defaults when it gave none); None for an app without any (a
    mounted non-AstraAPI app)."""
    if not hasattr(app, "_telemetry_settings"):
        return None
    if app._telemetry_settings is None:
        from astraapi.telemetry._api import resolve_config

        return resolve_config(None)
    return app._telemetry_settings


class _HeadersGetter:
    """OpenTelemetry's propagators read the request's headers through this (repeated headers kept)."""

    def get(self, carrier: list[tuple[bytes, bytes]], key: str) -> list[str] | None:
        name = key.lower().encode("latin-1")
        values = [value.decode("latin-1") for header, value in carrier if header.lower() == name]
        if not values:
            return None
        return [",".join(values)] if name == b"baggage" else values  # the baggage propagator reads one value

    def keys(self, carrier: list[tuple[bytes, bytes]]) -> list[str]:
        return list(dict.fromkeys(header.decode("latin-1").lower() for header, _ in carrier))


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for header, value in headers:
        if header.lower() == name:
            return value.decode("latin-1")
    return None


def _server_attributes(server: Any, headers: list[tuple[bytes, bytes]], scheme: str) -> dict[str, Any]:
    """`server.address` and `server.port`: from the Host header, else the server's (host, port)."""
    authority = _header(headers, b"host")
    if authority is not None:
        try:
            url = urlsplit("//" + authority)
            address, port = url.hostname, url.port
        except ValueError:
            return {}
        if url.username is not None or url.path or url.query or url.fragment:
            return {}
        if port is None:
            port = {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(scheme)
    else:
        address, port = server if server else (None, None)
    if address is None:
        return {}
    attributes: dict[str, Any] = {"server.address": address}
    if port is not None:
        attributes["server.port"] = port
    return attributes


def _redacted_query(query: str) -> str:
    return urlencode([(key, "REDACTED" if key in SENSITIVE_QUERY_PARAMETERS else value)
                      for key, value in parse_qsl(query, keep_blank_values=True)])


class Signals:
    """One telemetry layer's settings, and the tracer and instruments it records with (re-made when a
    provider changes). The server's layer (`ServerTelemetry`) and the ASGI one (`_asgi.NativeTelemetry`)."""

    def __init__(self, config: dict[str, Any]) -> None:
        from astraapi import __version__

        self.config = config
        self.version = __version__
        known = os.getenv("OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS", "").strip()
        self.known_methods = frozenset(m.strip() for m in known.split(",") if m.strip()) if known else HTTP_METHODS
        self._meter_provider: Any = None
        self._instruments: tuple[Any, Any] | None = None
        self._tracer_provider: Any = None
        self._tracer: Any = None
        self.getter = _HeadersGetter()

    def instruments(self) -> tuple[Any, Any]:
        from opentelemetry import metrics

        provider = self.config["meter_provider"] or metrics.get_meter_provider()
        if provider is not self._meter_provider or self._instruments is None:
            meter = provider.get_meter("fastapi", self.version, schema_url=SCHEMA_URL)
            duration = meter.create_histogram(
                "http.server.request.duration", unit="s", description="Duration of HTTP server requests.",
                explicit_bucket_boundaries_advisory=DURATION_BUCKETS)
            active = meter.create_up_down_counter(
                "http.server.active_requests", unit="{request}", description="Number of active HTTP server requests.")
            self._instruments, self._meter_provider = (duration, active), provider
        return self._instruments

    def tracer(self, provider: Any) -> Any:
        if provider is not self._tracer_provider:
            self._tracer = provider.get_tracer("fastapi", self.version, schema_url=SCHEMA_URL)
            self._tracer_provider = provider
        return self._tracer

    def signals(self, is_websocket: bool) -> tuple[bool, bool, bool]:
        """Which signals this request records (tracing, metering, logging): on in the settings, with a
        provider that records."""
        from opentelemetry import _logs, metrics, trace

        config = self.config
        tracing = config["tracing"] and provider_active(config["tracer_provider"], trace.get_tracer_provider,
                                                        trace.NoOpTracerProvider)
        metering = config["metrics"] and not is_websocket and provider_active(
            config["meter_provider"], metrics.get_meter_provider, metrics.NoOpMeterProvider)
        logging = config["logs"] and provider_active(config["logger_provider"], _logs.get_logger_provider,
                                                     _logs.NoOpLoggerProvider)
        return bool(tracing), bool(metering), bool(logging)

    def start(self, *, method: str, path: str, query: bytes | str, scheme: str, http_version: str | None,
              headers: list[tuple[bytes, bytes]], server: Any, is_websocket: bool, signals: tuple[bool, bool, bool],
              ) -> tuple[_RequestTelemetry, _Finisher, Any]:
        """The request's record and span (started, not current) and its finisher; also the token of the
        propagated context attached (detach it when the request is done), or None."""
        from opentelemetry import _logs, propagate, trace
        from opentelemetry import context as otel_context

        config = self.config
        tracing, metering, logging = signals
        known = method if method in self.known_methods else "_OTHER"
        span_method = "WS" if is_websocket else ("HTTP" if known == "_OTHER" else known)
        if is_websocket:
            scheme = "wss" if scheme == "https" else ("ws" if scheme == "http" else scheme)
        attributes: dict[str, Any] = {"url.scheme": scheme}
        if is_websocket:
            attributes["network.protocol.name"] = "websocket"
        else:
            attributes["http.request.method"] = known
            if http_version:
                attributes["network.protocol.version"] = http_version
        active_attributes = {k: v for k, v in attributes.items() if k != "network.protocol.version"}
        duration, active = self.instruments() if metering else (None, None)
        if active is not None:
            active.add(1, active_attributes)
        started = perf_counter()
        span = tracer = parent_token = None
        if tracing:
            parent = propagate.extract(headers, getter=self.getter)
            parent_token = otel_context.attach(parent)
            tracer = self.tracer(config["tracer_provider"] or trace.get_tracer_provider())
            span_attributes = {**attributes, **_server_attributes(server, headers, scheme)}
            if not is_websocket:
                span_attributes["url.path"] = path
                if query:
                    span_attributes["url.query"] = _redacted_query(
                        query.decode("latin-1") if isinstance(query, bytes) else query)
                if method != known:
                    span_attributes["http.request.method_original"] = method
            span = tracer.start_span(span_method, context=parent, kind=trace.SpanKind.SERVER,
                                     attributes=span_attributes)
        record = _RequestTelemetry(
            span=span, span_method=span_method, tracer=tracer if config["operation_spans"] else None,
            logger=_logs.get_logger("fastapi", self.version, config["logger_provider"], schema_url=SCHEMA_URL)
            if logging else None, websocket=is_websocket,
        )
        finish = _Finisher(record, attributes, active_attributes, duration, active, started, is_websocket)
        record._finish = finish
        return record, finish, parent_token


class ServerTelemetry(Signals):
    """One app's telemetry on the server: its settings and its routes' templates."""

    def __init__(self, app: Any, routes: list[str | None], ir: Any = None) -> None:
        super().__init__(app_config(app))
        self.ir = ir
        self._trie: Any = None
        self.routes = routes

    def route_for(self, route_index: int, request: Any) -> str | None:
        """The request's route template: its route's; for the router's 405 the route whose path matched,
        for its trailing-slash redirect the route redirected to (found again here: these are rare)."""
        if 0 <= route_index < len(self.routes):
            return self.routes[route_index]
        if route_index not in (METHOD_NOT_ALLOWED_ROUTE, REDIRECT_ROUTE) or self.ir is None:
            return None
        if self._trie is None:
            from astraapi.ir.trie import build_trie_tables

            self._trie = build_trie_tables(self.ir).to_runtime()
        path = request.path
        if route_index == REDIRECT_ROUTE:
            path = path[:-1] if path.endswith("/") else path + "/"
        match = self._trie.match(request.method, path)
        if match[0] in (0, 1):
            return self.route_for(match[1], request)
        return None

    def handle(self, handler: Any, request: Any, route_index: int, path_params: tuple) -> Any:
        from opentelemetry import context as otel_context

        config = self.config
        headers = list(request.headers)
        scheme = getattr(request, "scheme", "http") or "http"
        upgrade = _header(headers, b"upgrade")
        is_websocket = upgrade is not None and "websocket" in upgrade.lower()
        scope = getattr(request, "scope", None)  # an ASGI request (astraapi.asgi.request) carries its scope
        if isinstance(scope, dict) and "fastapi.telemetry" in scope:
            # an ASGI telemetry layer outside the app (telemetry._asgi) observes this request: the app
            # only names its route
            route = self.route_for(route_index, request)
            if route is not None:
                _outer_route(scope, route)
            return handler(request, route_index, path_params)
        if config["exclude"] is not None and config["exclude"](self._scope(request, headers, scheme, is_websocket)):
            token = otel_context.attach(otel_context.set_value(request_key(), None))
            try:
                return handler(request, route_index, path_params)
            finally:
                otel_context.detach(token)
        signals = self.signals(is_websocket)
        if not any(signals):
            return handler(request, route_index, path_params)
        server = scope.get("server") if isinstance(scope, dict) else getattr(request, "server", None)
        record, finish, parent_token = self.start(
            method=request.method, path=request.path, query=request.query_string, scheme=scheme,
            http_version=getattr(request, "http_version", None), headers=headers, server=server,
            is_websocket=is_websocket, signals=signals)
        route = self.route_for(route_index, request)
        if route is not None:
            _name_route(record, route)
        span = record.span
        observed = _Observed(request, record, finish)
        token = otel_context.attach(otel_context.set_value(request_key(), record))
        span_context = span_in_context(span)
        try:
            if span_context is not None:
                span_context.__enter__()
            try:
                result = handler(observed, route_index, path_params)
            except BaseException as error:
                _exception(error, record=record)
                finish(error)
                raise
            if result is not None:
                record.status_code = result[0]
                finish()
            elif is_websocket:
                observed.websocket_started()
            return result
        finally:
            if span_context is not None:
                span_context.__exit__(None, None, None)
            otel_context.detach(token)
            if parent_token is not None:
                otel_context.detach(parent_token)

    def _scope(self, request: Any, headers: list[tuple[bytes, bytes]], scheme: str, is_websocket: bool) -> dict:
        """A scope-like mapping for `exclude` (the keys an ASGI scope has that an exclusion rule reads)."""
        query = request.query_string
        return {
            "type": "websocket" if is_websocket else "http", "method": request.method, "path": request.path,
            "scheme": scheme, "headers": headers, "http_version": getattr(request, "http_version", "1.1"),
            "query_string": query if isinstance(query, bytes) else query.encode("latin-1"),
            "client": getattr(request, "client", None),
        }


class _Finisher:
    """Ends the request's telemetry once: attributes, status, duration, active count, span end."""

    __slots__ = ("record", "attributes", "active_attributes", "duration", "active", "started", "is_websocket",
                 "finished")

    def __init__(self, record: _RequestTelemetry, attributes: dict[str, Any], active_attributes: dict[str, Any],
                 duration: Any, active: Any, started: float, is_websocket: bool) -> None:
        self.record, self.attributes, self.active_attributes = record, attributes, active_attributes
        self.duration, self.active, self.started, self.is_websocket = duration, active, started, is_websocket
        self.finished = False

    def __call__(self, error: BaseException | None = None) -> None:
        if self.finished:
            return
        self.finished = True
        record, attributes = self.record, self.attributes
        if record.route is not None:
            attributes["http.route"] = record.route
        if record.status_code is not None and not self.is_websocket:
            attributes["http.response.status_code"] = record.status_code
        # A WebSocket session failed with an error (an unhandled one reported before the handshake's 500
        # answer ends the span counts too); an HTTP request with a 5xx answer or none.
        failed = error is not None or (bool(record._exceptions) if self.is_websocket else (
            record.status_code is None or record.status_code >= 500))
        if failed:
            failure = error or (record._exceptions[-1] if record._exceptions else None)
            attributes["error.type"] = _exception_type(failure) if failure else str(
                record.status_code or "incomplete_response")
        span = record.span
        if span is not None:
            from opentelemetry.trace import StatusCode

            span.set_attributes(attributes)
            if failed:
                span.set_status(StatusCode.ERROR)
        if self.duration is not None:
            self.duration.record(max(0.0, perf_counter() - self.started), attributes)
        if self.active is not None:
            self.active.add(-1, self.active_attributes)
        if span is not None:
            span.end()
        if not record._in_task:  # else the engine's task clears them when it ends (_task_ended)
            record._close()


def span_in_context(span: Any) -> Any:
    """A context manager making `span` current while the app runs (ended by the record, not by leaving it);
    None without a span."""
    from opentelemetry import trace

    return trace.use_span(span, end_on_exit=False, record_exception=False,
                          set_status_on_exception=False) if span is not None else None


class _Observed:
    """The native request, its deferred answer observed: the status when it starts, the end when complete."""

    __slots__ = ("_native", "_record", "_finish")

    def __init__(self, native: Any, record: _RequestTelemetry, finish: _Finisher) -> None:
        self._native = native
        self._record = record
        self._finish = finish

    def __getattr__(self, name: str) -> Any:
        return getattr(self._native, name)

    def respond(self, status: int, headers: Any, body: bytes) -> Any:
        self._record.status_code = status
        try:
            return self._native.respond(status, headers, body)
        finally:
            self._finish()

    def start_response(self, status: int, headers: Any) -> Any:
        self._record.status_code = status
        return self._native.start_response(status, headers)

    def end(self) -> Any:
        try:
            return self._native.end()
        finally:
            self._finish()

    def abort(self, *args: Any) -> Any:
        try:
            return self._native.abort(*args)
        finally:
            if not self._record.websocket:  # a session ends with its task (astraapi.engine.websocket)
                self._finish(ConnectionError("Client disconnected"))

    def websocket_started(self) -> None:
        """A WebSocket session goes on after the handler returns: its span ends with the session
        (astraapi.engine.websocket calls `_connection_ended`)."""


def telemetry_handler(handler: Any, app: Any, ir: Any) -> Any:
    """`handler` with the app's telemetry around each request (see the module docstring)."""
    # A route's template; a mounted app's own route names the request (astraapi.engine.mounts); static files
    # and frontends are named by their path, convertors left out as Starlette's path_format does.
    routes = [route.path if route.mount is None else
              path_format(route.path) if route.mount in ("static", "frontend", "frontend-guarded")
              else None for route in ir.routes]
    telemetry = ServerTelemetry(app, routes, ir)

    def handle(request: Any, route_index: int, path_params: tuple) -> Any:
        return telemetry.handle(handler, request, route_index, path_params)

    return handle
