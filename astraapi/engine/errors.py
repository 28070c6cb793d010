"""Validation errors in FastAPI's shape, and the 422 response body.

Errors are pydantic's `errors(include_url=False)` dicts with FastAPI's location prefix
(`("query", "q")`, `("body",)`, ...). They are built only when validation fails.
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic import ValidationError

from astraapi.encoders import jsonable_encoder
from astraapi.engine.responses import ResponseTuple, render_json

Loc = tuple[Any, ...]


def missing_error(loc: Loc) -> dict[str, Any]:
    """The error FastAPI reports for an absent required value (input is null)."""
    return {"type": "missing", "loc": loc, "msg": "Field required", "input": None}


def located_errors(error: ValidationError, loc: Loc) -> list[dict[str, Any]]:
    """pydantic's errors with `loc` prepended to each location (key order unchanged)."""
    return [{**item, "loc": loc + item["loc"]} for item in error.errors(include_url=False)]


def json_invalid_error(position: int, message: str) -> dict[str, Any]:
    return {"type": "json_invalid", "loc": ("body", position), "msg": "JSON decode error", "input": {}, "ctx": {"error": message}}


def validation_error_tuple(errors: list[dict[str, Any]]) -> ResponseTuple:
    """The 422 answer FastAPI's default RequestValidationError handler gives."""
    telemetry = sys.modules.get("astraapi.telemetry._api")  # loaded only when an app records telemetry
    if telemetry is not None:
        telemetry._validation_failed(errors)
    return 422, None, render_json({"detail": jsonable_encoder(errors)})
