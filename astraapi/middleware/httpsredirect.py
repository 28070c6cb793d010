"""HTTPSRedirectMiddleware, as Starlette's, carried out natively: every http (ws) request is
answered with a 307 to the same URL in https (wss) (astraapi/server/hosts.py). Behind a proxy,
the scheme is the one the server sees (with `--proxy-headers`, X-Forwarded-Proto from a trusted
proxy), as in Starlette under uvicorn."""

from __future__ import annotations

from typing import Any


class HTTPSRedirectMiddleware:
    def __init__(self, app: Any = None) -> None:
        self.app = app


__all__ = ["HTTPSRedirectMiddleware"]
