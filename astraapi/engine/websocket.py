"""A WebSocket route's request: FastAPI's `get_websocket_app` + Starlette's exception layer.

The dependencies are solved as for HTTP routes (`Depends`, `yield` dependencies, path, query,
header and cookie parameters; a parameter annotated `WebSocket` gets the connection), then the
endpoint runs. What ends the connection:

- the endpoint returns: close 1000 if it accepted and did not close (the `websockets` server
  behind uvicorn does this); 500 "ASGI callable returned without sending handshake." if it
  neither accepted nor closed;
- `WebSocketRequestValidationError` (invalid parameters): FastAPI's handler closes with 1008 and
  the errors as the reason, which before accepting is uvicorn's 403;
- `WebSocketException(code, reason)`: closed with that code and reason (403 before accepting);
- `HTTPException` (AstraAPI's or Starlette's) before accepting: the handler's response (FastAPI's
  default: the JSON `{"detail": ...}`) answers the handshake instead of the 101, as Starlette 1.10
  sends a handler's response as the Websocket Denial Response;
- a handler the app registered for the exception's class: called with (websocket, exc); a response
  it returns is the denial response (before accepting; after, an error);
- `WebSocketDisconnect` (the client left): nothing more to do;
- any other exception: logged; 500 before accepting, else the TCP connection is dropped
  without a close frame (uvicorn's `transport.close()`; the client sees 1006).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import sys
from contextlib import AsyncExitStack
from typing import Any

from astraapi.concurrency import run_in_threadpool
from astraapi.engine.dependencies import RequestContext
from astraapi.engine.responses import error_logger, report_server_error
from astraapi.engine.params import request_path_params
from astraapi import _starlette_compat as starlette_compat
from astraapi.exceptions import StarletteHTTPException, WebSocketException, WebSocketRequestValidationError
from astraapi.websockets import WebSocket, WebSocketDisconnect, WebSocketState


def start_websocket(executor: Any, plan: Any, native: Any, path_params: tuple[str, ...]) -> None:
    task = asyncio.get_running_loop().create_task(run_websocket(executor, plan, native, path_params))
    task.add_done_callback(functools.partial(_report_crash, plan))


def _report_crash(plan: Any, task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        error_logger.error("Unexpected error while serving %s", plan.label, exc_info=task.exception())


async def run_websocket(executor: Any, plan: Any, native: Any, path_params: tuple[str, ...]) -> None:
    app = executor.app
    router = getattr(app, "router", None)
    websocket = WebSocket(native, request_path_params(plan.ir.path, plan.path_names, path_params), app=app,
                          state=getattr(router, "lifespan_state", None))
    ctx = RequestContext(native, path_params, plan.root_path_names(), app, plan.ir.path)
    ctx._request = websocket  # the "request" parameters (WebSocket, HTTPConnection) get the connection
    telemetry = sys.modules.get("astraapi.telemetry._api")  # loaded only when an app records telemetry
    if telemetry is not None:
        telemetry._connection_started(websocket)
    ended: BaseException | None = None
    try:
        try:
            async with AsyncExitStack() as request_stack:
                ctx.request_stack = request_stack
                async with AsyncExitStack() as function_stack:
                    ctx.function_stack = function_stack
                    if telemetry is None:
                        values, errors = await executor.solver.solve(plan.root, ctx)
                    else:
                        with telemetry._operation(name="dependencies", function=plan.endpoint):
                            values, errors = await executor.solver.solve(plan.root, ctx)
                        telemetry._solved(values, errors)
                        if errors:
                            telemetry._validation_failed(errors)
                    if errors:
                        raise WebSocketRequestValidationError(errors, endpoint_ctx=plan.endpoint_ctx)
                    if telemetry is None:
                        result = plan.endpoint(**values)
                        if inspect.isawaitable(result):
                            await result
                    else:
                        with telemetry._operation(name="endpoint", function=plan.endpoint):
                            result = plan.endpoint(**values)
                            if inspect.isawaitable(result):
                                await result
        except Exception as error:
            ended = error
            await _handle_error(app, websocket, error, plan)
    finally:
        await websocket._finish()
        if telemetry is not None:
            telemetry._connection_ended(ended if ended is not None and not _answered(ended) else None)


def _answered(error: BaseException) -> bool:
    """An error the connection answers by design (validation, WebSocketException); a disconnect other than
    1000/1001 still counts as the session's error (astraapi.telemetry)."""
    return isinstance(error, (WebSocketRequestValidationError, WebSocketException))


def _registered_handler(app: Any, error: Exception, *, http: bool = False) -> Any:
    """The app's handler for `error`; FastAPI's default HTTP handlers only when `http` (an
    HTTPException before accepting, whose response becomes the denial response)."""
    from astraapi.exception_handlers import http_exception_handler, request_validation_exception_handler

    handlers = getattr(app, "exception_handlers", None) or {}
    if http and error.status_code in handlers:  # type: ignore[attr-defined]
        return handlers[error.status_code]  # type: ignore[attr-defined]
    for cls in type(error).__mro__:
        handler = handlers.get(cls)
        if handler is not None and (http or handler not in (http_exception_handler,
                                                            request_validation_exception_handler)):
            return handler
    return http_exception_handler if http else None


def _is_http_exception(error: Exception) -> bool:
    return isinstance(error, StarletteHTTPException) or starlette_compat.is_http_exception(error)


async def _handle_error(app: Any, websocket: WebSocket, error: Exception, plan: Any) -> None:
    # An HTTPException (AstraAPI's or Starlette's) gets the app's handler for its status or class, else
    # FastAPI's default: its response is the handshake's denial response (after accepting: an error).
    handler = _registered_handler(app, error, http=_is_http_exception(error))
    try:
        if handler is not None:
            if inspect.iscoroutinefunction(handler):
                response = await handler(websocket, error)
            else:
                response = await run_in_threadpool(handler, websocket, error)
            if response is not None:
                # Starlette sends a handler's response as the Websocket Denial Response; after the
                # handshake was accepted that is an error.
                if isinstance(response, starlette_compat.FOREIGN_RESPONSES):
                    response = starlette_compat.adopt_response(response)
                if websocket.application_state != WebSocketState.CONNECTING:
                    raise RuntimeError(f"{type(error).__name__} handled with a response after the WebSocket "
                                       "was accepted: the handshake can no longer be denied") from error
                await websocket.send_denial_response(response)
            return
        if isinstance(error, WebSocketRequestValidationError):
            from astraapi.encoders import jsonable_encoder

            await websocket.close(code=1008, reason=jsonable_encoder(error.errors()))
            return
        if isinstance(error, WebSocketException):
            await websocket.close(code=error.code, reason=error.reason)
            return
        if isinstance(error, WebSocketDisconnect):
            report_server_error(error)  # a test client raises it again, as Starlette's does
            return
    except Exception as handler_error:  # the handler failed: treat it as the error
        error = handler_error
    fail_websocket(websocket, error, f"WebSocket endpoint {plan.label}")


def fail_websocket(websocket: WebSocket, error: BaseException, label: str) -> None:
    """What uvicorn does with an unhandled error in a WebSocket session: logged; a 500 before accepting,
    else the TCP connection dropped without a close frame."""
    error_logger.error("Exception in %s", label, exc_info=error)
    report_server_error(error)
    native = websocket._native
    if websocket.application_state == WebSocketState.CONNECTING:
        websocket.application_state = WebSocketState.DISCONNECTED
        if not native.responded:
            native.respond(500, [(b"content-length", b"21"), (b"content-type", b"text/plain; charset=utf-8")],
                           b"Internal Server Error")
    elif websocket.application_state == WebSocketState.CONNECTED:
        websocket.application_state = WebSocketState.DISCONNECTED
        native.abort()
