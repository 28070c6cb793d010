"""The base class of every security utility: a dependency that also describes an OpenAPI
security scheme (`model`) under a name (`scheme_name`)."""

from __future__ import annotations

from astraapi.security.models import SecurityBase as SecurityBaseModel


class SecurityBase:
    model: SecurityBaseModel
    scheme_name: str
