"""ASGI scopes: reading them as Starlette does, and building one from a native request.

`route_path(scope)` is the path the router matches (Starlette's `get_route_path`: the scope's
path without its `root_path`). `redirect_location(scope, new_path)` is the `location` of the
router's trailing-slash redirect, as Starlette builds it (`URL(scope=redirect_scope)`, quoted by
`RedirectResponse`). `http_scope(native, app)` is an HTTP scope for a request the native server
parsed (for code that reads `request.scope`, and for ASGI middleware on the native server).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

ASGI_VERSION = {"version": "3.0", "spec_version": "2.4"}
WEBSOCKET_ASGI_VERSION = {"version": "3.0", "spec_version": "2.4"}

# RedirectResponse quotes its URL with this safe set (Starlette's responses.py).
_REDIRECT_SAFE = ":/%#?=@[]!$&'()*+,;"
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def route_path(scope: dict[str, Any]) -> str:
    """The path the router matches: the scope's path without its root_path (Starlette's rule)."""
    path: str = scope["path"]
    root_path = scope.get("root_path", "")
    if not root_path or not path.startswith(root_path):
        return path
    if path == root_path:
        return ""
    if path[len(root_path)] == "/":
        return path[len(root_path):]
    return path


def netloc(scope: dict[str, Any]) -> str | None:
    """The URL authority Starlette's `URL(scope=...)` uses: the Host header, else the server."""
    for name, value in scope.get("headers") or ():
        if name == b"host":
            return value.decode("latin-1")
    server = scope.get("server")
    if server is None:
        return None
    host, port = server[0], server[1]
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    scheme = scope.get("scheme", "http")
    return host if port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"


def redirect_location(scope: dict[str, Any], new_path: str) -> str:
    """The router's trailing-slash redirect to `new_path` (a full scope path), as Starlette writes it."""
    path = new_path.replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    query = scope.get("query_string", b"").decode()
    authority = netloc(scope)
    if authority is not None:
        url = f"{scope.get('scheme', 'http')}://{authority}{path}"
        if query:
            url += "?" + query
    else:
        if path.startswith("//"):
            path = "/%2F" + path[2:]
        url = f"{path}?{query}" if query else path
    return quote(url, safe=_REDIRECT_SAFE)


def http_scope(native: Any, app: Any = None, *, root_path: str | None = None) -> dict[str, Any]:
    """An ASGI HTTP scope for a request the native server parsed. `server` is unknown to the
    native request and left None; `root_path` is the app's unless given."""
    if root_path is None:
        root_path = getattr(app, "root_path", "") or ""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": dict(ASGI_VERSION),
        "http_version": native.http_version,
        "method": native.method,
        "scheme": getattr(native, "scheme", "http"),
        "path": native.path,
        "raw_path": native.raw_path,
        "root_path": root_path,
        "query_string": native.query_string,
        "headers": list(native.headers),
        "client": tuple(native.client) if native.client else None,
        "server": None,
        "state": {},
        "extensions": {},
    }
    if app is not None:
        scope["app"] = app
    return scope
