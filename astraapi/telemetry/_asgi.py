"""The telemetry layer as ASGI: `NativeTelemetry(config)` observes any ASGI application it is called with.

FastAPI 0.165 keeps its telemetry at this level (`fastapi.telemetry._asgi.NativeTelemetry`); AstraAPI's own
server observes requests below ASGI (`telemetry._server`), and this layer records the same span, metrics and
logs for an application served as ASGI messages (an ASGI server's scope, `receive` and `send`). The request
ends when its answer is complete: the last body piece (or the last trailers, when the start announced
trailers), or a `pathsend`; an exception, a client that left, or an application that returned without a
complete answer ends it as an error. An AstraAPI app called inside it leaves the span to it and only names
its route (`ServerTelemetry.handle`: the scope's `"fastapi.telemetry"`)."""

from __future__ import annotations

from typing import Any

from astraapi.telemetry._api import _exception, _normal_websocket_disconnect, request_key
from astraapi.telemetry._server import Signals, span_in_context


class NativeTelemetry(Signals):
    """One telemetry layer over ASGI applications, with an app's complete settings (`app._telemetry`)."""

    def enabled(self) -> bool:
        """Whether a signal is on with a provider that records (given in the settings, or a configured
        global one)."""
        return any(self.signals(False))

    async def __call__(self, *, app: Any, scope: dict[str, Any], receive: Any, send: Any,
                       legacy_otel: bool = False) -> None:
        """Run `app` on one ASGI connection, observed. `legacy_otel`: opentelemetry-instrumentation-asgi's
        middleware already traces it (nothing is recorded twice, so nothing is recorded here)."""
        from opentelemetry import context as otel_context

        config = self.config
        if config["exclude"] is not None and config["exclude"](scope):
            scope["fastapi.telemetry"] = None  # an app inside records nothing for it either
            token = otel_context.attach(otel_context.set_value(request_key(), None))
            try:
                await app(scope, receive, send)
            finally:
                otel_context.detach(token)
                scope.pop("fastapi.telemetry", None)
            return
        is_websocket = scope["type"] == "websocket"
        signals = (False, False, False) if legacy_otel else self.signals(is_websocket)
        if not any(signals):
            await app(scope, receive, send)
            return
        headers = [(bytes(name), bytes(value)) for name, value in scope.get("headers") or ()]
        record, finish, parent_token = self.start(
            method=scope.get("method", ""), path=scope.get("path", ""), query=scope.get("query_string", b""),
            scheme=scope.get("scheme", "http"), http_version=scope.get("http_version"), headers=headers,
            server=scope.get("server"), is_websocket=is_websocket, signals=signals)
        record._route_prefix = scope.get("app_root_path", scope.get("root_path", "")).rstrip("/")
        scope["fastapi.telemetry"] = record
        token = otel_context.attach(otel_context.set_value(request_key(), record))
        state = {"trailers": False, "disconnected": False}

        async def observed_send(message: dict[str, Any]) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                record.status_code = message["status"]
                state["trailers"] = bool(message.get("trailers", False))
            await send(message)
            if (kind == "http.response.body" and not message.get("more_body", False) and not state["trailers"]) \
                    or (kind == "http.response.trailers" and not message.get("more_trailers", False)) \
                    or kind == "http.response.pathsend":
                finish()

        async def observed_receive() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "http.disconnect":
                state["disconnected"] = True
            return message

        span = record.span
        span_context = span_in_context(span)
        try:
            if span_context is not None:
                span_context.__enter__()
            try:
                if is_websocket:  # a session's messages are not observed: it ends with the call
                    await app(scope, receive, send)
                else:
                    await app(scope, observed_receive, observed_send)
            except BaseException as error:
                _exception(error, record=record)
                finish(None if is_websocket and _normal_websocket_disconnect(error) else error)
                raise
            finally:
                if not finish.finished:
                    finish(None if is_websocket else ConnectionError("Client disconnected")
                           if state["disconnected"] else RuntimeError("Incomplete ASGI response"))
        finally:
            if span_context is not None:
                span_context.__exit__(None, None, None)
            record._close()
            otel_context.detach(token)
            scope.pop("fastapi.telemetry", None)
            if parent_token is not None:
                otel_context.detach(parent_token)
