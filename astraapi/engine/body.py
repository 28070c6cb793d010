"""Reading the request body for routes that declare body parameters, as FastAPI does.

The body is parsed as JSON only when the content-type is `application/json` or
`application/<anything>+json`; with another content-type, or none (FastAPI's default
strict content-type checking), validation sees the raw bytes. An empty body counts as
absent.
"""

from __future__ import annotations

import json
from typing import Any

from astraapi.engine.errors import json_invalid_error

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING", "__slots__": ()})()


class BodyError(Exception):
    """The body could not be read. `error` is a 422 error dict, or None for FastAPI's 400."""

    def __init__(self, error: dict[str, Any] | None) -> None:
        super().__init__(error)
        self.error = error


def is_json_content_type(value: str) -> bool:
    media_type = value.split(";", 1)[0].strip().lower()
    if media_type.count("/") != 1:
        return False  # email.message treats a malformed type as text/plain
    main, sub = media_type.split("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def read_body(body: bytes, headers: list[tuple[bytes, bytes]], strict_content_type: bool = True) -> Any:
    """The body value validation sees: parsed JSON, raw bytes, or MISSING. Raises BodyError.
    With strict_content_type=False, a body without a content-type is parsed as JSON too."""
    if not body:
        return MISSING
    content_type = None
    for name, value in headers:
        if name == b"content-type":
            content_type = value.decode("latin-1")
            break
    if not content_type:
        if strict_content_type:
            return body
    elif not is_json_content_type(content_type):
        return body
    try:
        return json.loads(body)
    except json.JSONDecodeError as error:
        raise BodyError(json_invalid_error(error.pos, error.msg)) from error
    except Exception as error:  # undecodable bytes, nesting too deep, anything else: FastAPI's 400
        raise BodyError(None) from error
