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
- a handler the app registered for the exception's class: called with (websocket, exc);
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
from astraapi.exceptions import WebSocketException, WebSocketRequestValidationError
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
    websocket = WebSocket(native, dict(zip(plan.path_names, path_params)), app=app,
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


def _registered_handler(app: Any, error: Exception) -> Any:
    from astraapi.exception_handlers import http_exception_handler, request_validation_exception_handler

    handlers = getattr(app, "exception_handlers", None) or {}
    for cls in type(error).__mro__:
        handler = handlers.get(cls)
        if handler is not None and handler not in (http_exception_handler, request_validation_exception_handler):
            return handler
    return None


async def _handle_error(app: Any, websocket: WebSocket, error: Exception, plan: Any) -> None:
    handler = _registered_handler(app, error)
    try:
        if handler is not None:
            if inspect.iscoroutinefunction(handler):
                await handler(websocket, error)
            else:
                await run_in_threadpool(handler, websocket, error)
            return
        if isinstance(error, WebSocketRequestValidationError):
            from astraapi.encoders import jsonable_encoder

            await websocket.close(code=1008, reason=jsonable_encoder(error.errors()))
            return
        if isinstance(error, WebSocketException):
            await websocket.close(code=error.code, reason=error.reason)
            return
        if isinstance(error, WebSocketDisconnect):
            return
    except Exception as handler_error:  # the handler failed: treat it as the error
        error = handler_error
    error_logger.error("Exception in WebSocket endpoint %s", plan.label, exc_info=error)
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
