"""OTLP export set up from the environment (`telemetry={"auto_configure": True}` or
`FASTAPI_OTEL_AUTO_CONFIGURE=true`), as FastAPI 0.165 does it: at the app's lifespan start-up, for each
enabled signal whose `OTEL_EXPORTER_OTLP[_<SIGNAL>]_ENDPOINT` is set, an OTLP/HTTP exporter is added to the
app's provider (or to a new SDK provider made global when none is configured). Existing providers and
exporters are kept; what AstraAPI creates is flushed at shutdown and shut down at exit. Needs
`opentelemetry-sdk` and `opentelemetry-exporter-otlp-proto-http`; a failure is logged as a warning and
never prevents start-up."""

from __future__ import annotations

import atexit
import logging
import os
import threading
from typing import Any
from urllib.parse import urlsplit

from astraapi.exceptions import FastAPIError
from astraapi.telemetry._api import _unconfigured

logger = logging.getLogger("fastapi")

_lock = threading.RLock()
_owned: list[Any] = []  # the providers and export components AstraAPI created
_configured: list[tuple[str, Any]] = []  # (signal, provider) pairs an exporter was added to


def _flush() -> None:
    for component in tuple(_owned):
        try:
            component.force_flush()
        except Exception:  # a failing exporter must not break the app's shutdown: logged with its traceback
            logger.exception("FastAPI telemetry cleanup failed")


def _shutdown() -> None:
    with _lock:
        owned = tuple(_owned)
        _owned.clear()
    for component in owned:
        try:
            component.shutdown()
        except Exception:  # as above, at interpreter exit
            logger.exception("FastAPI telemetry cleanup failed")


atexit.register(_shutdown)


def _export_endpoint(signal: str) -> str | None:
    """The OTLP/HTTP endpoint for TRACES, METRICS or LOGS from the environment; None: no export."""
    exporter = (os.getenv(f"OTEL_{signal}_EXPORTER") or "otlp").strip().lower()
    endpoint = os.getenv(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
    if not endpoint:
        general = os.getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
        endpoint = f"{general.removesuffix('/')}/v1/{signal.lower()}" if general else None
    if not endpoint or exporter == "none":
        return None
    if exporter != "otlp":
        raise FastAPIError(
            f"automatic telemetry supports OTEL_{signal}_EXPORTER=otlp or none; configure other exporters "
            "yourself and pass telemetry={'auto_configure': False}")
    protocol = (os.getenv(f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL") or os.getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
                or "http/protobuf")
    if protocol != "http/protobuf":
        raise FastAPIError(
            "automatic telemetry needs the OTLP http/protobuf protocol; configure other transports yourself "
            "and pass telemetry={'auto_configure': False}")
    parsed = urlsplit(endpoint)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise FastAPIError(f"invalid OTLP {signal.lower()} endpoint {endpoint!r}: use an absolute HTTP or HTTPS URL")
    return endpoint


def _registration_provider(provider: Any) -> Any:
    """Older Logfire meter wrappers lack add_metric_reader(): register on the SDK provider they wrap."""
    if (type(provider).__module__ == "logfire._internal.metrics" and type(provider).__name__ == "ProxyMeterProvider"
            and not hasattr(provider, "add_metric_reader")):
        return provider.provider
    return provider


def _configure_from_environment(config: dict[str, Any]) -> None:
    if not config["auto_configure"] or os.getenv("OTEL_SDK_DISABLED", "").lower() == "true":
        return
    from opentelemetry import _logs, metrics, trace

    with _lock:
        signals = (("TRACES", config["tracing"], config["tracer_provider"]),
                   ("METRICS", config["metrics"], config["meter_provider"]),
                   ("LOGS", config["logs"], config["logger_provider"]))
        requested = []
        for signal, enabled, explicit in signals:
            if enabled:
                endpoint = _export_endpoint(signal)
                if endpoint is not None:
                    requested.append((signal, explicit, endpoint))
        if not requested:
            return
        try:
            from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk._logs import LoggerProvider
            from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
            from opentelemetry.sdk.metrics import MeterProvider
            from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError as error:
            raise FastAPIError(
                "automatic OpenTelemetry export needs astraapi[opentelemetry] (opentelemetry-sdk and "
                "opentelemetry-exporter-otlp-proto-http): install the extra, configure providers yourself, or pass "
                "telemetry={'auto_configure': False} to FastAPI()") from error

        def component_for(signal: str, endpoint: str) -> Any:
            if signal == "TRACES":
                return BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint))
            if signal == "METRICS":
                return PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=endpoint))
            return BatchLogRecordProcessor(OTLPLogExporter(endpoint=endpoint))

        getters = {"TRACES": ("tracer", trace.get_tracer_provider), "METRICS": ("meter", metrics.get_meter_provider),
                   "LOGS": ("logger", _logs.get_logger_provider)}
        for signal, explicit, endpoint in requested:
            kind, get_global = getters[signal]
            provider = _registration_provider(explicit if explicit is not None else get_global())
            if any(s == signal and p is provider for s, p in _configured):
                continue
            if explicit is None and _unconfigured(provider):
                component = component_for(signal, endpoint)
                if signal == "TRACES":
                    provider = TracerProvider(shutdown_on_exit=False)
                    provider.add_span_processor(component)
                    trace.set_tracer_provider(provider)
                elif signal == "METRICS":
                    provider = MeterProvider(metric_readers=[component], shutdown_on_exit=False)
                    metrics.set_meter_provider(provider)
                else:
                    provider = LoggerProvider(shutdown_on_exit=False)
                    provider.add_log_record_processor(component)
                    _logs.set_logger_provider(provider)
                current = get_global()
                if current is provider:
                    _configured.append((signal, provider))
                    _owned.append(provider)
                    continue
                provider.shutdown()  # another component set the global provider meanwhile: add to theirs
                provider = _registration_provider(current)
            method = {"TRACES": "add_span_processor", "METRICS": "add_metric_reader",
                      "LOGS": "add_log_record_processor"}[signal]
            register = getattr(provider, method, None)
            if not callable(register):
                raise FastAPIError(
                    f"the configured OpenTelemetry {kind} provider does not support adding an OTLP exporter; "
                    "configure export through it and pass telemetry={'auto_configure': False}")
            component = component_for(signal, endpoint)
            try:
                register(component)
            except BaseException:
                component.shutdown()
                raise
            _configured.append((signal, provider))
            _owned.append(component)


async def startup(app: Any) -> None:
    """Called before the app's lifespan starts (astraapi.routing): set up export when asked to."""
    from astraapi.telemetry._server import app_config

    config = app_config(app)
    if config is None or not config["auto_configure"]:
        return
    try:
        _configure_from_environment(config)
    except Exception as error:  # optional telemetry must not prevent start-up: said as a warning
        logger.warning("FastAPI automatic telemetry configuration failed: %s", error)


async def shutdown() -> None:
    """Called after the app's lifespan ends: flush what AstraAPI created, off the event loop."""
    if _owned:
        from astraapi.background import run_in_threadpool

        await run_in_threadpool(_flush)


_FLUSHED_BEFORE = frozenset({"lifespan.shutdown.complete", "lifespan.shutdown.failed", "lifespan.startup.failed"})


async def lifespan(*, config: Any, app: Any, scope: Any, receive: Any, send: Any) -> None:
    """An ASGI app's lifespan with FastAPI's telemetry set-up around it (FastAPI's internal of this name):
    export configured from the environment when `lifespan.startup` arrives (a failure is a warning), and
    what AstraAPI created flushed, off the event loop, before the app's shutdown (or failed start-up) is
    reported. `config` is the app's resolved settings (`app._telemetry`)."""

    async def observed_receive() -> Any:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                _configure_from_environment(config)
            except Exception as error:  # optional telemetry must not prevent start-up: said as a warning
                logger.warning("FastAPI automatic telemetry configuration failed: %s", error)
        return message

    async def observed_send(message: Any) -> None:
        if message["type"] in _FLUSHED_BEFORE and _owned:
            from astraapi.background import run_in_threadpool

            await run_in_threadpool(_flush)
        await send(message)

    await app(scope, observed_receive, observed_send)

