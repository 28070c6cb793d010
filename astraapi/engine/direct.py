"""The direct call: routes the native server runs without the Python request path.

For a route with nothing for Python to decide per request (no dependencies, no Request
parameter, no form, no streaming endpoint, the app's default exception handlers, no Python
middleware around the handler), the server itself calls the endpoint:

- keyword arguments from the route's compiled request decoder (none for a route without
  parameters); a request the decoder declines goes to the handler as before;
- an `async def` that cannot suspend (engine/inline.py) runs its one step in a copy of the
  context, as `Executor._start_async` runs it; one that can suspend (it awaits) is only
  created with its arguments, and `finish` runs it as a task, as the handler path would; a
  `def` endpoint only with `sync_endpoints="inline"` (otherwise it belongs in the thread pool);
- the return value is written natively when the route's rendering is one the runtime does
  byte for byte: the default JSON rendering of plain data (`dumps(..., jsonable=True)`), or
  the route's compiled encoder; anything else (a Response, a value the encoder declines, an
  exception, a coroutine that suspended after all) is handed to `finish`, the same Python code
  the handler path runs from that point.

So the bytes are the handler path's; what goes away is the Python frames between the server
and the endpoint (handle, solve, the coroutine wrapper, render). `direct_route` below builds the
arguments of `_runtime.Server.set_direct_route` for a plan, or None when the route does not
qualify.
"""

from __future__ import annotations

import functools
from typing import Any

# How the server renders the endpoint's return value (RENDER_*), and what the compiled decoder
# reads (DECODE_*: the handler path's two calls of it): astraapi/_runtime_contract.py, shared
# with the runtime (bindings/direct_call.h).
from astraapi._runtime_contract import (  # noqa: F401
    DECODE_NONE,
    DECODE_QUERY_PATH,
    DECODE_WITH_BODY,
    DECODE_WITH_HEADERS,
    RENDER_DEFAULT_JSON,
    RENDER_ENCODER,
    RENDER_PYTHON,
)


def native_method(fn: Any, name: str) -> tuple[Any, int] | None:
    """`partial(module.<name>, index)` (how a loaded build exposes its decoders and encoders)
    as (module, index); None for anything else."""
    if not isinstance(fn, functools.partial) or fn.keywords or len(fn.args) != 1:
        return None
    bound = fn.func
    module = getattr(bound, "__self__", None)
    if module is None or getattr(bound, "__name__", None) != name or not isinstance(fn.args[0], int):
        return None
    return module, fn.args[0]


def direct_refusal(plan: Any, *, inline_sync: bool) -> str | None:
    """Why the server cannot call `plan`'s endpoint itself, or None when it can. (The app-wide
    conditions, Python middleware and the default exception handlers, are the executor's.)"""
    if plan.websocket:
        return "a WebSocket route"
    if plan.route_class is not None:
        from astraapi.engine.route_class import refusal

        return refusal(plan.route_class)
    if plan.stream is not None:
        return "a streaming endpoint"
    if plan.body_is_form:
        return "a form body"
    if not plan.simple:
        return "dependencies, or Response/BackgroundTasks/SecurityScopes parameters"
    if plan.max_body_size is not None:
        return "a body-size limit of its own"
    if plan.request_param is not None:
        return "a Request parameter"
    status = plan.response.status_code or 200
    if not 200 <= status < 300:
        return f"status_code={status} (the server's direct rendering answers 2xx)"
    if not plan.is_async and not inline_sync:
        return "a def endpoint runs in the thread pool (sync_endpoints=\"inline\" runs it on the loop)"
    if (plan.path_plans or plan.input_plans or plan.body_plans) and plan.decoder is None:
        return "its parameters have no compiled request decoder (astraapi inspect --route says why)"
    return None


def direct_route(plan: Any, finish: Any, *, inline_sync: bool) -> dict[str, Any] | None:
    """Keyword arguments for `Server.set_direct_route` serving `plan`, or None when the route
    needs the handler path for every request."""
    if direct_refusal(plan, inline_sync=inline_sync) is not None:
        return None
    decoder = None
    decode_kind = DECODE_NONE
    if plan.path_plans or plan.input_plans or plan.body_plans:
        decoder = native_method(plan.decoder, "decode")
        if decoder is None:
            return None
        if plan.decoder_reads_body:
            decode_kind = DECODE_WITH_BODY
        elif plan.decoder_reads_headers:
            decode_kind = DECODE_WITH_HEADERS
        else:
            decode_kind = DECODE_QUERY_PATH
    response = plan.response
    status = response.status_code or 200
    render = RENDER_PYTHON
    encoder = None
    if 200 <= status < 300 and status not in (204, 205):
        if response.adapter is None and response.response_class is None:
            render = RENDER_DEFAULT_JSON
        elif response.compiled_encoder is not None and response.use_dump_json:
            encoder = native_method(response.compiled_encoder, "encode")
            if encoder is not None:
                render = RENDER_ENCODER
    return {
        "endpoint": plan.endpoint,
        "is_async": plan.is_async,
        "defaults": dict(plan.decoder_defaults) if decode_kind != DECODE_NONE else None,
        # list defaults given as a fresh copy per request (FastAPI deep-copies them)
        "copied_defaults": tuple(plan.decoder_copied_defaults) if decode_kind != DECODE_NONE else (),
        "decoder_module": decoder[0] if decoder else None,
        "decoder_index": decoder[1] if decoder else 0,
        "decode_kind": decode_kind,
        "render": render,
        "encoder_module": encoder[0] if encoder else None,
        "encoder_index": encoder[1] if encoder else 0,
        "status": status,
        "finish": finish,
        # an async endpoint that can suspend: the server creates its coroutine, finish runs it as a task
        "as_task": plan.is_async and not plan.inline_async,
    }
