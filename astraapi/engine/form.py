"""Form bodies, read as FastAPI (Starlette with python-multipart) reads them.

`application/x-www-form-urlencoded`: fields split on `&` (empty chunks skipped), name and
value split on the first `=`, each `+`/percent-decoded from Latin-1 (Starlette's choice).
Any other content type gives an empty form, as Starlette does for a type it does not parse.
`multipart/form-data` is not parsed yet: such a body is refused with a 400 naming the reason,
never read as an empty form.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from astraapi.datastructures import FormData
from astraapi.exceptions import HTTPException

MAX_FIELDS = 1000  # Starlette's default limit
MAX_PART_SIZE = 1024 * 1024


def _media_type(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == b"content-type":
            return value.decode("latin-1").split(";", 1)[0].strip().lower()
    return ""


def parse_urlencoded(body: bytes) -> FormData:
    items: list[tuple[str, str]] = []
    for chunk in body.split(b"&"):
        if not chunk:
            continue
        name, _, value = chunk.partition(b"=")
        if len(chunk) > MAX_PART_SIZE:
            raise HTTPException(400, f"Field exceeded maximum size of {MAX_PART_SIZE // 1024}KB.")
        items.append((unquote_plus(name.decode("latin-1")), unquote_plus(value.decode("latin-1"))))
        if len(items) > MAX_FIELDS:
            raise HTTPException(400, f"Too many fields. Maximum number of fields is {MAX_FIELDS}.")
    return FormData(items)


def read_form(body: bytes, headers: list[tuple[bytes, bytes]]) -> FormData:
    media_type = _media_type(headers)
    if media_type == "application/x-www-form-urlencoded":
        return parse_urlencoded(body)
    if media_type == "multipart/form-data":
        raise HTTPException(400, "multipart/form-data bodies are not supported by AstraAPI yet")
    return FormData()


def form_value(form: FormData, alias: str, is_sequence: bool) -> Any:
    """The raw value of one form field, or MISSING: empty strings and empty lists count as absent."""
    from astraapi.engine.body import MISSING

    if is_sequence:
        values = [v for v in form.getlist(alias)]
        return values if values else MISSING
    value = form.get(alias)
    if value is None or value == "":
        return MISSING
    return value
