"""TrustedHostMiddleware's and HTTPSRedirectMiddleware's answers, given by the engine around the
app's handler (Starlette 1.10's rules, as FastAPI 0.165 runs them). Both see every request,
WebSocket handshakes included (a `websocket` scope passes through them in Starlette too), and
answer before the app:

- TrustedHost: a Host header that is missing or malformed, or names a host none of the allowed
  patterns matches (`example.com`, `*.example.com`, `*`), gets `400 Invalid host header`
  (text/plain); when `www.<host>` is an allowed pattern and `www_redirect` is on, a 307 to the same
  URL on `www.<host>` instead.
- HTTPSRedirect: a request whose scheme is http (ws) gets a 307 to the same URL in https (wss); the
  port is dropped when it is 80 or 443. Without a Host header, `400 Invalid host header`.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Callable
from urllib.parse import quote

from astraapi.ir.nodes import TrustedHostIR

Handler = Callable[[Any, int, tuple], Any]

INVALID_HOST = (400, [(b"content-length", b"19"), (b"content-type", b"text/plain; charset=utf-8")],
                b"Invalid host header")
_REDIRECT_SAFE = ":/%#?=@[]!$&'()*+,;"  # RedirectResponse's quoting
_REG_NAME = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~%!$&'()*+,;=-")
_HEX = frozenset("0123456789abcdefABCDEF")
_DIGITS = frozenset("0123456789")


def trusted_host_handler(handler: Handler, settings: TrustedHostIR) -> Handler:
    patterns = [p.lower() for p in settings.allowed_hosts]
    if "*" in settings.allowed_hosts:
        return handler
    www_redirect = settings.www_redirect

    def handle(request: Any, route_index: int, path_params: tuple) -> Any:
        host_header = _header(request, b"host")
        parsed = parse_host(host_header) if host_header is not None else None
        if parsed is None:
            return INVALID_HOST
        host = parsed[0].lower()
        redirect = False
        for pattern in patterns:
            if host == pattern or (pattern.startswith("*") and host.endswith(pattern[1:])):
                return handler(request, route_index, path_params)
            if "www." + host == pattern:
                redirect = True
        if redirect and www_redirect:
            return _redirect(_url(request, _scheme(request), "www." + host_header))
        return INVALID_HOST

    return handle


def https_redirect_handler(handler: Handler) -> Handler:
    def handle(request: Any, route_index: int, path_params: tuple) -> Any:
        scheme = _scheme(request)
        if scheme not in ("http", "ws"):
            return handler(request, route_index, path_params)
        netloc = _header(request, b"host") or ""
        if not netloc:
            return INVALID_HOST
        hostname, port = _hostname_port(netloc)
        if port in (80, 443):
            netloc = hostname or ""
        return _redirect(_url(request, "https" if scheme == "http" else "wss", netloc))

    return handle


def parse_host(value: str) -> tuple[str, str | None] | None:
    """(host, port) of a Host header, the host keeping the brackets of an IP literal; None when
    the value is not `reg-name` or `[IP-literal]` with an optional numeric port."""
    if value.startswith("["):
        close = value.find("]")
        if close < 0:
            return None
        literal, rest = value[1:close], value[close + 1:]
        if not _ip_literal(literal):
            return None
        host = value[:close + 1]
    else:
        host, colon, port_text = value.partition(":")
        rest = colon + port_text
        if not host or not set(host) <= _REG_NAME:
            return None
    if not rest:
        return host, None
    if rest[0] != ":" or len(rest) < 2 or not set(rest[1:]) <= _DIGITS:
        return None
    return host, rest[1:]


def _ip_literal(literal: str) -> bool:
    if literal[:1] == "v":  # IPvFuture: "v" HEXDIG+ "." (unreserved / sub-delims / ":")+
        version, dot, tail = literal[1:].partition(".")
        return bool(version) and set(version) <= _HEX and bool(dot) and bool(tail) and \
            set(tail.lower()) <= (_REG_NAME - {"%"}) | {":"}
    head, colon, tail = literal.partition(":")
    if not colon or not tail or not set(head) <= _HEX or not set(tail) <= _HEX | {".", ":"}:
        return False
    try:
        ipaddress.IPv6Address(literal)
    except ValueError:
        return False
    return True


def _hostname_port(netloc: str) -> tuple[str | None, int | None]:
    host = netloc.rpartition("@")[2]
    if host.startswith("["):
        name, _, after = host[1:].partition("]")
        port_text = after[1:] if after.startswith(":") else ""
    else:
        name, _, port_text = host.partition(":")
    port = int(port_text) if port_text.isdigit() else None
    return name.lower() or None, port


def _scheme(request: Any) -> str:
    scheme = getattr(request, "scheme", "http") or "http"
    if scheme in ("ws", "wss"):  # the server names a handshake's scheme itself
        return scheme
    upgrade = _header(request, b"upgrade")
    if upgrade is not None and "websocket" in upgrade.lower():
        return "wss" if scheme == "https" else "ws"
    return scheme


def _url(request: Any, scheme: str, netloc: str) -> str:
    url = f"{scheme}://{netloc}{request.path}"
    query = request.query_string
    if query:
        url += "?" + query.decode("latin-1")
    return url


def _redirect(url: str) -> tuple:
    location = quote(url, safe=_REDIRECT_SAFE).encode("latin-1")
    return 307, [(b"content-length", b"0"), (b"location", location)], b""


def _header(request: Any, name: bytes) -> str | None:
    for key, value in request.headers:
        if key == name:
            return value.decode("latin-1")
    return None
