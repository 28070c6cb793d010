"""The default exception handlers, under FastAPI's names: call them from your own handlers
to keep the default answer (`return await http_exception_handler(request, exc)`)."""

from __future__ import annotations

from astraapi.engine.responses import body_allowed
from astraapi.exceptions import RequestValidationError, StarletteHTTPException
from astraapi.requests import Request
from astraapi.responses import JSONResponse, Response


async def http_exception_handler(request: Request, exc: StarletteHTTPException) -> Response:
    headers = getattr(exc, "headers", None)
    if not body_allowed(exc.status_code):
        return Response(status_code=exc.status_code, headers=headers)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def request_validation_exception_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    from astraapi.encoders import jsonable_encoder  # pydantic: imported when first needed

    return JSONResponse(status_code=422, content={"detail": jsonable_encoder(exc.errors())})
