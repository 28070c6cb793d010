"""sentry-sdk's Starlette/FastAPI integration, for AstraAPI apps.

Sentry instruments a FastAPI app by patching Starlette's classes: `Starlette.__call__` runs the app
inside its `SentryAsgiMiddleware` (a transaction per request, unhandled exceptions captured with the
request's data, the transaction named after the route from `scope["route"]` / `scope["endpoint"]`).
An AstraAPI app is not a Starlette subclass, so that patch never reaches it, and without this module the
integration would be enabled and do nothing. So, when the process's Sentry client has the `starlette` or
`fastapi` integration enabled at the time the app's stack is built (server start, or the first ASGI
call), `astraapi.asgi.app.build_middleware_stack` wraps the stack in the same middleware with the same
settings that patch uses, and the native server serves requests through that stack
(`asgi.app.instrumented_stack`). Nothing is imported or paid by apps in a process without Sentry.

An exception one of the app's handlers answers (HTTPException, a registered class) whose `status_code`
is in the integration's `failed_request_status_codes` (500-599 by default) is captured as a handled
event, as sentry's patch of Starlette's ExceptionMiddleware does (`handled_error`, called by the engine
only while sentry-sdk is loaded). What sentry's other patches do and this does not
(docs/compat-differences.md): request cookies and bodies are not attached to events, and no span per
middleware is recorded.
"""

from __future__ import annotations

import sys
from typing import Any


def integration() -> Any:
    """Sentry's FastAPI (else Starlette) integration when the current client has it enabled, else None."""
    sentry = sys.modules.get("sentry_sdk")
    if sentry is None:
        return None
    client = sentry.get_client()
    if not client.is_active():
        return None
    return client.get_integration("fastapi") or client.get_integration("starlette")


_ERROR_LOGGER = "astraapi.error"
_SEEN = "_astraapi_sentry_event"  # set on an exception captured from the engine's error log
_registered = False


def _one_event_per_error(event: dict, hint: dict) -> dict | None:
    """Sentry's global event processor, once an app is wrapped. The engine logs an unhandled exception
    (`astraapi.error`, captured by sentry's logging integration in the request's scope, so with its data)
    before the stack outside sees it raised again, in another context, where sentry's deduplication
    cannot see the first event: so the log's event counts as the request's error event (unhandled,
    mechanism `starlette`, as sentry's middleware reports it) and the middleware's second event for the
    same exception is dropped. Under FastAPI, the middleware's event comes first and the ASGI server's
    log of the same exception is the one dropped."""
    exc_info = hint.get("exc_info") if hint else None
    error = exc_info[1] if exc_info else None
    if error is None:
        return event
    values = (event.get("exception") or {}).get("values") or []
    mechanism = values[-1].get("mechanism") if values else None
    if event.get("logger") == _ERROR_LOGGER:
        try:
            setattr(error, _SEEN, True)
        except AttributeError:  # an exception class without a __dict__: its two events are both sent
            return event
        if values:
            values[-1]["mechanism"] = {"type": "starlette", "handled": False}
        return event
    if mechanism and mechanism.get("type") == "starlette" and getattr(error, _SEEN, False):
        return None
    return event


def handled_error(error: BaseException) -> None:
    """One of the app's exception handlers answers `error`: a handled event when its `status_code` is in
    the Starlette integration's `failed_request_status_codes`."""
    sentry = sys.modules.get("sentry_sdk")
    if sentry is None:
        return
    client = sentry.get_client()
    integration = client.get_integration("starlette") if client.is_active() else None
    status = getattr(error, "status_code", None)
    if integration is None or not isinstance(status, int) or status not in integration.failed_request_status_codes:
        return
    from sentry_sdk.utils import event_from_exception

    event, hint = event_from_exception(error, client_options=client.options,
                                       mechanism={"type": "starlette", "handled": True})
    sentry.capture_event(event, hint=hint)


def wrap(stack: Any, enabled: Any) -> Any:
    """`stack` inside SentryAsgiMiddleware, configured as sentry's patch of `Starlette.__call__` does."""
    global _registered
    from sentry_sdk.integrations.asgi import SentryAsgiMiddleware
    from sentry_sdk.integrations.starlette import StarletteIntegration

    if not _registered:
        from sentry_sdk.scope import add_global_event_processor

        add_global_event_processor(_one_event_per_error)
        _registered = True
    options: dict[str, Any] = {}
    try:  # the scope's path includes its root_path, as Starlette >= 0.33 gives it
        from sentry_sdk.integrations._asgi_common import _RootPathInPath

        options["root_path_in_path"] = _RootPathInPath.EITHER
    except ImportError:
        pass
    return SentryAsgiMiddleware(stack, mechanism_type=StarletteIntegration.identifier,
                                transaction_style=enabled.transaction_style, span_origin=StarletteIntegration.origin,
                                http_methods_to_capture=enabled.http_methods_to_capture, asgi_version=3, **options)
