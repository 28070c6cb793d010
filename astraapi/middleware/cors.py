"""CORSMiddleware, as Starlette's (the same options and answers), carried out natively: the
settings enter the App IR (CorsIR) and the engine answers preflight requests and adds the CORS
headers to every other answer (see astraapi/server/cors.py)."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY")
SAFELISTED_HEADERS = frozenset({"Accept", "Accept-Language", "Content-Language", "Content-Type"})


class CORSMiddleware:
    """Cross-Origin Resource Sharing: Starlette's options, checked when added."""

    def __init__(
        self,
        app: Any = None,
        allow_origins: Collection[str] = (),
        allow_methods: Collection[str] = ("GET",),
        allow_headers: Collection[str] = (),
        allow_credentials: bool = False,
        allow_origin_regex: str | None = None,
        allow_private_network: bool = False,
        expose_headers: Collection[str] = (),
        max_age: int = 600,
    ) -> None:
        self.app = app
        self.allow_origins = _names("allow_origins", allow_origins)
        self.allow_methods = _names("allow_methods", allow_methods)
        self.allow_headers = _names("allow_headers", allow_headers)
        self.expose_headers = _names("expose_headers", expose_headers)
        if allow_origin_regex is not None:
            if not isinstance(allow_origin_regex, str):
                raise TypeError(f"allow_origin_regex must be a str, not {type(allow_origin_regex).__name__}")
            re.compile(allow_origin_regex)  # a bad pattern fails here, as in Starlette
        self.allow_origin_regex = allow_origin_regex
        self.allow_credentials = bool(allow_credentials)
        self.allow_private_network = bool(allow_private_network)
        self.max_age = str(max_age)


def _names(option: str, values: Collection[str]) -> tuple[str, ...]:
    # Starlette tests membership with `in`: a single string would match its substrings, which no
    # app means; refuse it instead of answering differently from what the app author expects.
    if isinstance(values, (str, bytes)):
        raise TypeError(f"CORSMiddleware {option} must be a list of strings, not a single {type(values).__name__}: "
                        f"write [{values!r}]")
    out = tuple(values)
    for value in out:
        if not isinstance(value, str):
            raise TypeError(f"CORSMiddleware {option} must hold strings, not {type(value).__name__} ({value!r})")
    return out


__all__ = ["CORSMiddleware"]
