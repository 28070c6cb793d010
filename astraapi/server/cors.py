"""CORSMiddleware's answers, given by the engine around the app's handler.

Starlette's rules (CORSMiddleware of Starlette 1.10, as FastAPI 0.165 runs it):
- A preflight (OPTIONS with `origin` and `access-control-request-method`) never reaches the app:
  the middleware answers it, for any path, `200 OK` or `400 Disallowed CORS <what>` (origin,
  method, headers, private-network), text/plain, with the preflight headers.
- Every other answer of the app (404 and 405 of the router, HTTPException answers included) gets,
  when the request has an `origin`, the configured simple headers (allow-origin "*",
  allow-credentials, expose-headers); the origin itself as allow-origin when it is allowed and
  must be named (explicit origins, a regex, or "*" with credentials); and `vary: Origin` merged
  into the answer's `vary`, with or without an `origin`.
- Answers of Starlette's ServerErrorMiddleware (an unhandled exception's 500, the debug page, a
  `500`/`Exception` handler), which sits outside the user's middleware, pass unchanged.
- WebSocket handshakes are not HTTP requests to the middleware and pass unchanged.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from astraapi.ir.nodes import CorsIR
from astraapi.engine.responses import ServerErrorHeaders
from astraapi.server.headers import set_header
from astraapi.middleware.cors import ALL_METHODS, SAFELISTED_HEADERS

Handler = Callable[[Any, int, tuple], Any]

JSON_CONTENT_TYPE = (b"content-type", b"application/json")
TEXT_CONTENT_TYPE = (b"content-type", b"text/plain; charset=utf-8")
PREFLIGHT_VARY = b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers, " \
                 b"Access-Control-Request-Private-Network"


def cors_handler(handler: Handler, settings: CorsIR) -> Handler:
    cors = Cors(settings)

    def handle(request: Any, route_index: int, path_params: tuple) -> Any:
        origin = None
        requested_method = False
        for name, value in request.headers:
            if name == b"origin":
                if origin is None:
                    origin = value
            elif name == b"access-control-request-method":
                requested_method = True
            elif name == b"upgrade" and b"websocket" in value.lower():
                return handler(request, route_index, path_params)
        if origin is not None and requested_method and request.method == "OPTIONS":
            return cors.preflight(request.headers)
        result = handler(_WithCors(request, cors, origin), route_index, path_params)
        if result is None:
            return None
        status, headers, body = result
        return status, cors.simple(headers, body, origin), body

    return handle


class Cors:
    def __init__(self, s: CorsIR) -> None:
        allow_methods = ALL_METHODS if "*" in s.allow_methods else s.allow_methods
        self.allow_all_origins = "*" in s.allow_origins
        self.allow_all_headers = "*" in s.allow_headers
        self.allow_credentials = s.allow_credentials
        self.allow_origins = s.allow_origins
        self.allow_methods = allow_methods
        self.allow_private_network = s.allow_private_network
        self.regex = re.compile(s.allow_origin_regex) if s.allow_origin_regex is not None else None
        self.explicit_preflight_origin = not self.allow_all_origins or s.allow_credentials
        allow_headers = sorted(SAFELISTED_HEADERS | set(s.allow_headers))
        self.allow_headers = [h.lower() for h in allow_headers]

        simple: list[tuple[bytes, bytes]] = []
        if self.allow_all_origins:
            simple.append((b"access-control-allow-origin", b"*"))
        if s.allow_credentials:
            simple.append((b"access-control-allow-credentials", b"true"))
        if s.expose_headers:
            simple.append((b"access-control-expose-headers", ", ".join(s.expose_headers).encode("latin-1")))
        self.simple_headers = simple
        # an allowed origin is named in allow-origin (with `vary: Origin` added)
        self.names_origin_with_all = self.allow_all_origins and s.allow_credentials

        preflight: list[tuple[bytes, bytes]] = [(b"vary", PREFLIGHT_VARY)]
        if not self.explicit_preflight_origin:
            preflight.append((b"access-control-allow-origin", b"*"))
        preflight.append((b"access-control-allow-methods", ", ".join(allow_methods).encode("latin-1")))
        preflight.append((b"access-control-max-age", s.max_age.encode("latin-1")))
        if allow_headers and not self.allow_all_headers:
            preflight.append((b"access-control-allow-headers", ", ".join(allow_headers).encode("latin-1")))
        if s.allow_credentials:
            preflight.append((b"access-control-allow-credentials", b"true"))
        self.preflight_headers = preflight

    def allowed(self, origin: str) -> bool:
        if self.allow_all_origins:
            return True
        if self.regex is not None and self.regex.fullmatch(origin):
            return True
        return origin in self.allow_origins

    def preflight(self, request_headers: list) -> tuple:
        origin = method = requested_headers = private_network = None
        for name, value in request_headers:  # the first of each, as Starlette's Headers.get
            if name == b"origin" and origin is None:
                origin = value
            elif name == b"access-control-request-method" and method is None:
                method = value
            elif name == b"access-control-request-headers" and requested_headers is None:
                requested_headers = value
            elif name == b"access-control-request-private-network" and private_network is None:
                private_network = value
        headers = list(self.preflight_headers)
        failures = []
        if self.allowed(origin.decode("latin-1")):
            if self.explicit_preflight_origin:
                headers = set_header(headers, b"access-control-allow-origin", origin)
        else:
            failures.append("origin")
        if method.decode("latin-1") not in self.allow_methods:
            failures.append("method")
        if self.allow_all_headers and requested_headers is not None:
            headers = set_header(headers, b"access-control-allow-headers", requested_headers)
        elif requested_headers is not None:
            for header in requested_headers.decode("latin-1").lower().split(","):
                if header.strip() not in self.allow_headers:
                    failures.append("headers")
                    break
        if private_network is not None:
            if self.allow_private_network:
                headers = set_header(headers, b"access-control-allow-private-network", b"true")
            else:
                failures.append("private-network")
        if failures:
            status, body = 400, ("Disallowed CORS " + ", ".join(failures)).encode()
        else:
            status, body = 200, b"OK"
        headers.append((b"content-length", str(len(body)).encode()))
        headers.append(TEXT_CONTENT_TYPE)
        return status, headers, body

    def simple(self, headers: list | None, body: bytes | None, origin: bytes | None) -> list:
        """The answer's headers with Starlette's simple-response changes."""
        if isinstance(headers, ServerErrorHeaders):
            return headers
        if headers is None:  # the engine's default: a JSON body
            headers = [(b"content-length", str(len(body or b"")).encode()), JSON_CONTENT_TYPE]
        sets: dict[bytes, bytes] = {}
        if origin is not None:
            sets.update(self.simple_headers)
            if self.names_origin_with_all or (not self.allow_all_origins
                                              and self.allowed(origin.decode("latin-1"))):
                sets[b"access-control-allow-origin"] = origin
        # MutableHeaders' assignments in one pass: each name set in place of its first occurrence
        # (the others dropped) or appended, then `vary` the same way with "Origin" joined on.
        out: list = []
        varies: list = []
        vary_at = -1
        placed = set()
        for name, value in headers:
            lower = name.lower()
            if lower in sets:
                if lower not in placed:
                    placed.add(lower)
                    out.append((lower, sets[lower]))
            elif lower == b"vary":
                varies.append(value)
                if vary_at < 0:
                    vary_at = len(out)
                    out.append(None)
            else:
                out.append((name, value))
        for name, value in sets.items():
            if name not in placed:
                out.append((name, value))
        varies.append(b"Origin")
        if vary_at < 0:
            out.append((b"vary", b"Origin"))
        else:
            out[vary_at] = (b"vary", b", ".join(varies))
        return out


class _WithCors:
    """The native request, with deferred answers getting the CORS headers."""

    __slots__ = ("_native", "_cors", "_origin")

    def __init__(self, native: Any, cors: Cors, origin: bytes | None) -> None:
        self._native = native
        self._cors = cors
        self._origin = origin

    def __getattr__(self, name: str) -> Any:
        return getattr(self._native, name)

    def respond(self, status: int, headers: list | None, body: bytes) -> bool:
        return self._native.respond(status, self._cors.simple(headers, body, self._origin), body)

    def start_response(self, status: int, headers: list) -> bool:
        return self._native.start_response(status, self._cors.simple(headers, None, self._origin))
