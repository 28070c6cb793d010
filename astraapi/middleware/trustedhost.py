"""TrustedHostMiddleware, as Starlette's (the same options and answers), carried out natively:
the settings enter the App IR (TrustedHostIR), the engine checks each request's Host header
(astraapi/server/hosts.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

ENFORCE_DOMAIN_WILDCARD = "Domain wildcard patterns must be like '*.example.com'."


class TrustedHostMiddleware:
    """Answer `400 Invalid host header` to a request whose Host is not one of `allowed_hosts`."""

    def __init__(self, app: Any = None, allowed_hosts: Sequence[str] | None = None, www_redirect: bool = True) -> None:
        if allowed_hosts is None:
            allowed_hosts = ["*"]
        if isinstance(allowed_hosts, (str, bytes)):
            raise TypeError(f"TrustedHostMiddleware allowed_hosts must be a list of strings, not a single "
                            f"{type(allowed_hosts).__name__}: write [{allowed_hosts!r}]")
        for pattern in allowed_hosts:
            if not isinstance(pattern, str):
                raise TypeError(f"TrustedHostMiddleware allowed_hosts must hold strings, not {pattern!r}")
            if "*" in pattern[1:] or (pattern.startswith("*") and pattern != "*" and not pattern.startswith("*.")):
                raise AssertionError(ENFORCE_DOMAIN_WILDCARD)  # Starlette asserts it
        self.app = app
        self.allowed_hosts = tuple(allowed_hosts)
        self.www_redirect = bool(www_redirect)


__all__ = ["TrustedHostMiddleware"]
