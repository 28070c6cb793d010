"""The type of `form_limits=` (FastAPI 0.165 names it `fastapi._form_limits._FormLimits`; code that annotates
a limits dict imports it from there). The limits are checked by `astraapi.routing.validate_form_limits`."""

from __future__ import annotations

from typing import TypedDict


class _FormLimits(TypedDict, total=False):
    max_fields: int  # non-file form fields at most
    max_files: int  # files in one multipart form at most
    max_part_size: int  # bytes of one non-file field at most
