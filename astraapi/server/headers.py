"""Header-list helpers of the native middlewares' Python side (compression, CORS)."""

from __future__ import annotations


def set_header(headers: list, name: bytes, value: bytes) -> list:
    """MutableHeaders.__setitem__: replace the first `name` in place, drop the others, else append."""
    out, placed = [], False
    for key, current in headers:
        if key.lower() == name:
            if not placed:
                out.append((name, value))
                placed = True
            continue
        out.append((key, current))
    if not placed:
        out.append((name, value))
    return out
