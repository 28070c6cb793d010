"""ASGI scopes: reading them as Starlette does, and building one from a native request.

`route_path(scope)` is the path the router matches (Starlette's `get_route_path`: the scope's path
without its `root_path`). `redirect_location(scope, new_path)` is the `location` of the router's
trailing-slash redirect, as Starlette builds it (`URL(scope=redirect_scope)`, quoted by
`RedirectResponse`). `http_scope(native, app)` is the ASGI scope of a request the native server parsed,
as uvicorn and Starlette give it (for `request.scope`, pure ASGI middleware and mounted ASGI apps on the
native server): type, asgi, http_version, server, client, scheme, method, root_path, path, raw_path,
query_string, headers, state, app, extensions; `route_scope` adds what Starlette's router adds once a
route matched (endpoint, path_params, route, router). `server` is the Host header's host and port (the
native request does not carry the socket's local address; uvicorn gives that one).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from astraapi.requests import root_path_of

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


def _server(headers: Any, scheme: str) -> tuple[str, int | None]:
    for name, value in headers:
        if name == b"host":
            host = value.decode("latin-1")
            if host.startswith("["):
                address, _, rest = host[1:].partition("]")
                port = rest[1:] if rest.startswith(":") else ""
            else:
                address, _, port = host.partition(":")
            return address, int(port) if port.isdigit() else (443 if scheme in ("https", "wss") else 80)
    return "127.0.0.1", None


def http_scope(native: Any, app: Any = None, *, state: dict | None = None, root_path: str | None = None,
               path_params: dict | None = None) -> dict[str, Any]:
    headers = list(native.headers)
    scheme = getattr(native, "scheme", "http") or "http"
    websocket = any(name == b"upgrade" and value.lower() == b"websocket" for name, value in headers)
    if websocket and scheme in ("http", "https"):
        scheme = "ws" if scheme == "http" else "wss"
    client = native.client
    scope: dict[str, Any] = {
        "type": "websocket" if websocket else "http",
        "asgi": dict(ASGI_VERSION),
        "http_version": native.http_version,
        "server": _server(headers, scheme),
        "client": tuple(client) if client else None,
        "scheme": scheme,
        "method": native.method,
        "root_path": root_path or root_path_of(native, app),
        "path": native.path,
        "raw_path": native.raw_path,
        "query_string": native.query_string,
        "headers": headers,
        "state": state if state is not None else {},
        "extensions": {},
    }
    if app is not None:
        scope["app"] = app
    if websocket:
        del scope["method"]
        protocols = next((value for name, value in headers if name == b"sec-websocket-protocol"), b"")
        scope["subprotocols"] = [p.strip() for p in protocols.decode("latin-1").split(",") if p.strip()]
    if path_params is not None:
        scope["path_params"] = path_params
    return scope


def route_records(app: Any) -> list[Any]:
    """The app's route records by IR route index (a frontend with several paths repeats)."""
    from astraapi.introspection.app import _mount_route_count, served_records
    from astraapi.routing import FrontendRoute, Mount

    out: list[Any] = []
    for record in served_records(app):
        out.extend([record] * (_mount_route_count(record) if isinstance(record, (Mount, FrontendRoute)) else 1))
    return out


def route_scope(app: Any, records: list[Any], route_index: int, path_params: tuple) -> dict[str, Any]:
    """What Starlette's router adds to the scope for a matched route (empty for 404/405)."""
    if not 0 <= route_index < len(records):
        return {}
    from astraapi.introspection.annotations import path_param_names

    record = records[route_index]
    path = getattr(record, "route_path", None) or getattr(record, "path", "")
    names = [name for name, _ in path_param_names(path)]
    if hasattr(record, "route_path"):  # a mount: Starlette's Mount keeps its own parameters, not the rest
        names = names[:-1]
    endpoint = getattr(record, "endpoint", None) or getattr(record, "app", None)
    from astraapi._routing.include import scope_keys

    return {"endpoint": endpoint, "path_params": dict(zip(names, path_params)), "route": record,
            "router": getattr(app, "router", None), **scope_keys(record)}


def add_matched_route(scope: dict[str, Any], app: Any) -> None:
    """Add what Starlette's router adds for the route that matches `scope` (`route`, `endpoint`,
    `path_params`...), found as Starlette's router finds it: the first route whose `matches(scope)` is
    FULL. For a scope built after routing (`request.scope`); the path parameters already there stay."""
    routes = getattr(app, "routes", None)
    if not routes:
        return
    from astraapi._routing.include import flat_records, update_scope

    for route in flat_records(routes):  # an included router's routes as served (their effective records)
        matches = getattr(route, "matches", None)
        if matches is None:
            continue
        match, child = matches(scope)
        if match.value == 2:  # Match.FULL (AstraAPI's or Starlette's enum)
            given = scope.get("path_params")
            update_scope(scope, child, route)
            scope["route"] = route
            if given:
                scope["path_params"] = given
            return

