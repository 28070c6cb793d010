"""Exceptions users raise or catch, under FastAPI's names."""

from __future__ import annotations

import http
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from pydantic import BaseModel


class AstraAPIError(RuntimeError):
    """A problem in how AstraAPI is used (a declaration it cannot serve, a misconfiguration)."""


FastAPIError = AstraAPIError


class EndpointContext(TypedDict, total=False):
    """Where an endpoint is declared, as validation errors report it."""

    function: str
    path: str
    file: str
    line: int


class PydanticV1NotSupportedError(AstraAPIError):
    """A `pydantic.v1` model was used; only pydantic 2 models are supported."""


class FastAPIDeprecationWarning(UserWarning):
    """A deprecated FastAPI feature was used (a UserWarning, so that it is shown by default)."""


_ERROR_MODELS = {"RequestErrorModel": "Request", "WebSocketErrorModel": "WebSocket"}


def __getattr__(name: str) -> Any:
    """`RequestErrorModel`/`WebSocketErrorModel` (FastAPI's empty models), made on first use:
    importing this module does not import pydantic."""
    model_name = _ERROR_MODELS.get(name)
    if model_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from pydantic import create_model

    model: type[BaseModel] = create_model(model_name)
    globals()[name] = model
    return model


class StarletteHTTPException(Exception):
    """The base of HTTPException, standing where Starlette's HTTPException stands in FastAPI: a
    handler registered for it also catches HTTPException, and the security utilities that
    raise Starlette's class in FastAPI (API keys, OpenID Connect) raise this one."""

    def __init__(
        self,
        status_code: int,
        detail: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if detail is None:
            detail = _reason_phrase(status_code)
        self.status_code = status_code
        self.detail = detail
        self.headers = headers

    def __str__(self) -> str:
        return f"{self.status_code}: {self.detail}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code!r}, detail={self.detail!r})"


class HTTPException(StarletteHTTPException):
    """Raise it in an endpoint to answer with `status_code` and `{"detail": detail}`."""


class DependencyScopeError(AstraAPIError):
    """A dependency declared with scope "request" depends on one with scope "function"."""


class ValidationException(Exception):
    """Validation errors (pydantic's error dicts, with FastAPI's locations) for one request."""

    def __init__(self, errors: Sequence[Any], *, endpoint_ctx: Mapping[str, Any] | None = None) -> None:
        self._errors = errors
        self.endpoint_ctx = endpoint_ctx
        ctx = endpoint_ctx or {}
        self.endpoint_function = ctx.get("function")
        self.endpoint_path = ctx.get("path")
        self.endpoint_file = ctx.get("file")
        self.endpoint_line = ctx.get("line")

    def errors(self) -> Sequence[Any]:
        return self._errors

    def __str__(self) -> str:
        count = len(self._errors)
        lines = [f"{count} validation error{'' if count == 1 else 's'}:"]
        lines.extend(f"  {error}" for error in self._errors)
        if self.endpoint_file and self.endpoint_line and self.endpoint_function:
            lines.append(f'  File "{self.endpoint_file}", line {self.endpoint_line}, in {self.endpoint_function}')
            if self.endpoint_path:
                lines.append(f"    {self.endpoint_path}")
        elif self.endpoint_path:
            lines.append(f"  Endpoint: {self.endpoint_path}")
        return "\n".join(lines)


class RequestValidationError(ValidationException):
    """The request did not validate; answered with 422 and the errors."""

    def __init__(
        self, errors: Sequence[Any], *, body: Any = None, endpoint_ctx: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(errors, endpoint_ctx=endpoint_ctx)
        self.body = body


class ResponseValidationError(ValidationException):
    """The endpoint's return value did not validate against its response model: a server error (500)."""

    def __init__(
        self, errors: Sequence[Any], *, body: Any = None, endpoint_ctx: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(errors, endpoint_ctx=endpoint_ctx)
        self.body = body


class DeclarationError(AstraAPIError):
    """One or more route declarations AstraAPI cannot serve; each line names the user's file:line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        header = f"{count} problem{'' if count == 1 else 's'} in route declarations:"
        super().__init__("\n".join([header, *(f"  {p}" for p in self.problems)]))


class InvalidDeclarationError(AssertionError):
    """A route declaration FastAPI refuses with an AssertionError when it is declared (a path parameter
    of a list type, a marker's default inside `Annotated`, ...): refused at the same point, with FastAPI's
    message and the user's file:line (astraapi/_declaration_checks.py)."""


class WebSocketException(Exception):
    """Raised in WebSocket code to close the connection with a code and reason (Starlette's
    WebSocketException): before accepting, the handshake is answered 403 (docs/websockets.md)."""

    def __init__(self, code: int, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(code={self.code!r}, reason={self.reason!r})"


StarletteWebSocketException = WebSocketException


class WebSocketRequestValidationError(ValidationException):
    """A WebSocket endpoint's parameters did not validate."""

    def __init__(self, errors: Sequence[Any], *, endpoint_ctx: Mapping[str, Any] | None = None) -> None:
        super().__init__(errors, endpoint_ctx=endpoint_ctx)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_ERROR_MODELS))


def _reason_phrase(status_code: Any) -> str:
    """http.client.responses.get(status_code, ""), without importing http.client (and ssl)."""
    try:
        return http.HTTPStatus(status_code).phrase
    except (ValueError, TypeError):
        return ""
