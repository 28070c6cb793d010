"""Exception handlers: which one answers an exception, and how, as Starlette's two layers do.

- HTTPException (looked up by status code first), RequestValidationError and any class the
  app registered, by the exception's MRO: FastAPI's ExceptionMiddleware. The default
  handlers are answered with the engine's own tuples (byte-identical, no Response object).
- Everything else, and the `500`/`Exception` handler: ServerErrorMiddleware. The traceback is
  logged, then the handler's response (or the plain 500) is sent.
"""

from __future__ import annotations

from typing import Any

from astraapi import _starlette_compat as starlette_compat
from astraapi.background import is_async_callable
from astraapi.concurrency import run_in_threadpool
from astraapi.engine.errors import validation_error_tuple
from astraapi.engine.responses import (
    INTERNAL_SERVER_ERROR,
    ResponseTuple,
    error_logger,
    from_response,
    http_exception_tuple,
    report_handled_error,
    report_server_error,
    server_error_answer,
)
from astraapi.exceptions import RequestValidationError, StarletteHTTPException

Outcome = tuple[ResponseTuple, Any]  # (response, background to run after sending it, or None)


def _defaults() -> tuple[Any, Any]:
    from astraapi.exception_handlers import http_exception_handler, request_validation_exception_handler

    return http_exception_handler, request_validation_exception_handler


class ExceptionDispatcher:
    def __init__(self, app: Any) -> None:
        starlette_compat.register()  # the app starts serving: Starlette's types, if it is loaded
        registered = {starlette_compat.http_exception_key(key): handler
                      for key, handler in (getattr(app, "exception_handlers", None) or {}).items()}
        http_default, validation_default = _defaults()
        self.status_handlers: dict[int, Any] = {}
        self.class_handlers: dict[type, Any] = {}
        self.error_handler: Any = None
        for key, handler in registered.items():
            if key in (500, Exception):
                self.error_handler = handler
            elif isinstance(key, int):
                self.status_handlers[key] = handler
            else:
                self.class_handlers[key] = handler
        self.class_handlers.setdefault(StarletteHTTPException, http_default)
        self.class_handlers.setdefault(RequestValidationError, validation_default)
        self._http_default = http_default
        # FastAPI(debug=True): an unhandled exception answers with the traceback (Starlette's
        # ServerErrorMiddleware in debug mode), before any `500`/`Exception` handler.
        self.debug = bool(getattr(app, "debug", False))
        self._validation_default = validation_default
        self.only_defaults = (
            not self.debug
            and not self.status_handlers
            and self.error_handler is None
            and set(self.class_handlers) == {StarletteHTTPException, RequestValidationError}
            and self.class_handlers[StarletteHTTPException] is http_default
            and self.class_handlers[RequestValidationError] is validation_default
        )

    def answers_router_errors(self) -> bool:
        """An exception handler of the app's answers the router's own 404 or 405 (Starlette's router
        raises them as HTTPException inside the exception layer)."""
        return any(self.lookup(StarletteHTTPException(code)) is not self._http_default for code in (404, 405))

    def lookup(self, error: BaseException) -> Any:
        handler = None
        foreign = not isinstance(error, StarletteHTTPException) and starlette_compat.is_http_exception(error)
        if foreign or isinstance(error, StarletteHTTPException):
            handler = self.status_handlers.get(error.status_code)  # type: ignore[attr-defined]
        if handler is None:
            for cls in type(error).__mro__:
                handler = self.class_handlers.get(starlette_compat.http_exception_key(cls) if foreign else cls)
                if handler is not None:
                    break
        return handler

    async def outcome(self, error: BaseException, request: Any, label: str) -> Outcome:
        handler = self.lookup(error)
        if handler is not None:
            report_handled_error(error)
            try:
                if handler is self._http_default:
                    return http_exception_tuple(error.status_code, error.detail, error.headers), None  # type: ignore[attr-defined]
                if handler is self._validation_default:
                    return validation_error_tuple(list(error.errors())), None  # type: ignore[attr-defined]
                return await self._call(handler, request, error)
            except Exception as raised:  # the handler failed: the server error layer answers
                error = raised
        return await self.server_error(error, request, label)

    async def server_error(self, error: BaseException, request: Any, label: str) -> Outcome:
        """ServerErrorMiddleware's answer (it is outside the user's middleware: an exception raised in a
        Python middleware gets this one): logged, then the debug page, the `500`/`Exception` handler's
        response, or the plain 500."""
        error_logger.error("Exception in %s", label, exc_info=error)
        report_server_error(error)
        if self.debug:
            from astraapi.engine.debug import debug_response

            try:
                return server_error_answer(from_response(await run_in_threadpool(debug_response, request, error))), None
            except Exception as raised:
                error_logger.error("Exception while rendering the debug page of %s", label, exc_info=raised)
                return INTERNAL_SERVER_ERROR, None
        if self.error_handler is not None:
            try:
                response, background = await self._call(self.error_handler, request, error)
                return server_error_answer(response), background
            except Exception as raised:
                error_logger.error("Exception in the error handler of %s", label, exc_info=raised)
        return INTERNAL_SERVER_ERROR, None

    async def _call(self, handler: Any, request: Any, error: BaseException) -> Outcome:
        if is_async_callable(handler):
            response = await handler(request, error)
        else:
            response = await run_in_threadpool(handler, request, error)
        if isinstance(response, starlette_compat.FOREIGN_RESPONSES):
            response = starlette_compat.adopt_response(response)
        return from_response(response), getattr(response, "background", None)
