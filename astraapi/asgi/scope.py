"""The ASGI scope of a native request, as uvicorn and Starlette give it.

Keys: type, asgi, http_version, server, client, scheme, method, root_path, path, raw_path,
query_string, headers, state, app; `route_scope` adds what Starlette's router adds once a route
matched (endpoint, path_params, route, router). `server` is the Host header's host and port (the
native request does not carry the socket's local address; uvicorn gives that one).
"""

from __future__ import annotations

from typing import Any

ASGI_VERSION = {"version": "3.0", "spec_version": "2.4"}


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


def http_scope(native: Any, app: Any, *, state: dict | None = None, root_path: str = "",
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
        "root_path": root_path or getattr(app, "root_path", "") or "",
        "path": native.path,
        "raw_path": native.raw_path,
        "query_string": native.query_string,
        "headers": headers,
        "state": state if state is not None else {},
        "app": app,
    }
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
    return {"endpoint": endpoint, "path_params": dict(zip(names, path_params)), "route": record,
            "router": getattr(app, "router", None)}
