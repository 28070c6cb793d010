"""The base class of every security utility: a dependency that also describes an OpenAPI
security scheme (`model`) under a name (`scheme_name`)."""

from __future__ import annotations

from astraapi.security.models import SecurityBase as SecurityBaseModel


class SecurityBase:
    """The schemes defined here read one value from the request (`_source()`: ("header" | "query" |
    "cookie", name)) and decide from it alone (`_answer(value)`: the dependency's value, or the 401);
    their `__call__` reads it from the Request, and the engine reads it from the request's raw
    headers, query or cookies without making a Request object (engine/dependencies.py
    `scheme_reader`) unless a subclass replaces `__call__`."""

    model: SecurityBaseModel
    scheme_name: str

    def _source(self) -> tuple[str, str]:
        return ("header", "Authorization")

    def _answer(self, value: str | None) -> object:
        raise NotImplementedError
