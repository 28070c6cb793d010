"""Limits for parsing `Form`, `File` and `UploadFile` parameters (FastAPI 0.165's `fastapi._form_limits`).

`form_limits=` on the app, a router, `include_router` and a route takes a `_FormLimits` dict; each level
overrides the settings it names (outermost first, the route last) and Starlette's defaults fill the
rest. A form over a limit is answered 400 with Starlette's message (astraapi.engine.form)."""

from __future__ import annotations

from typing import Any

from typing_extensions import TypedDict

FORM_LIMIT_NAMES = ("max_fields", "max_files", "max_part_size")


class _FormLimits(TypedDict, total=False):
    """Limits for automatic parsing of `Form`, `File`, and `UploadFile` parameters."""

    max_fields: int  # maximum number of non-file form fields
    max_files: int  # maximum number of files in a multipart form
    max_part_size: int  # maximum size of a non-file field, in bytes


def _validate_form_limits(limits: _FormLimits | dict[str, Any] | None) -> _FormLimits:
    """A checked copy (the caller's dict may change later). Raises ValueError naming the first wrong
    setting: an unknown key, or a value that is not a non-negative int (bool and float refused)."""
    if limits is None:
        return {}
    if not isinstance(limits, dict):
        raise ValueError(f"form_limits must be a dict with {', '.join(FORM_LIMIT_NAMES)}, not {type(limits).__name__}")
    checked: dict[str, int] = {}
    for name, value in limits.items():
        if name not in FORM_LIMIT_NAMES:
            raise ValueError(f"form_limits: unknown setting {name!r} (known: {', '.join(FORM_LIMIT_NAMES)})")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"form_limits[{name!r}] must be a non-negative integer, not {value!r}")
        checked[name] = value
    return checked  # type: ignore[return-value]
