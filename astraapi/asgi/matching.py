"""`route.matches(scope)` as Starlette's routes answer it, for code that reads the route table the
way Starlette's router does (instrumentation libraries find the route template of a request this
way). Serving never calls it: the runtime's trie routes requests.

`Match` is Starlette's enum when `starlette.routing` is already imported (so `match is Match.FULL`
holds in code written against Starlette), else AstraAPI's own with the same names and values.
"""

from __future__ import annotations

import enum
import re
import sys
import uuid
from typing import Any

from astraapi.asgi.scope import route_path
from astraapi._path_template import PATH_PARAM


class Match(enum.Enum):
    NONE = 0
    PARTIAL = 1
    FULL = 2


_REGEX = {"str": "[^/]+", "path": ".*", "int": "[0-9]+", "float": r"[0-9]+(\.[0-9]+)?",
          "uuid": "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"}
_CONVERT = {"str": str, "path": str, "int": int, "float": float, "uuid": uuid.UUID}
_compiled: dict[str, tuple[re.Pattern[str], dict[str, Any]]] = {}


def match_enum() -> Any:
    starlette_routing = sys.modules.get("starlette.routing")
    return getattr(starlette_routing, "Match", Match) if starlette_routing is not None else Match


def compile_path(path: str) -> tuple[re.Pattern[str], dict[str, Any]]:
    """Starlette's path regex and convertors for a route path (cached)."""
    found = _compiled.get(path)
    if found is None:
        regex, index, convertors = "^", 0, {}
        for param in PATH_PARAM.finditer(path):
            name, kind = param.group(1), param.group(2) or "str"
            regex += re.escape(path[index:param.start()]) + f"(?P<{name}>{_REGEX[kind]})"
            convertors[name] = _CONVERT[kind]
            index = param.end()
        regex += re.escape(path[index:]) + "$"
        found = _compiled[path] = (re.compile(regex), convertors)
    return found


def _params(scope: dict[str, Any], found: re.Match[str], convertors: dict[str, Any]) -> dict[str, Any]:
    params = dict(scope.get("path_params", {}))
    for key, value in found.groupdict().items():
        params[key] = convertors[key](value)
    return params


def route_matches(route: Any, scope: dict[str, Any], *, websocket: bool = False) -> tuple[Any, dict[str, Any]]:
    """An APIRoute's (or, with `websocket`, an APIWebSocketRoute's) Starlette answer."""
    match = match_enum()
    if scope["type"] != ("websocket" if websocket else "http"):
        return match.NONE, {}
    regex, convertors = compile_path(route.path)
    found = regex.match(route_path(scope))
    if not found:
        return match.NONE, {}
    child = {"endpoint": route.endpoint, "path_params": _params(scope, found, convertors)}
    if websocket or scope["method"] in route.methods:
        return match.FULL, child
    return match.PARTIAL, child


def mount_matches(mount: Any, scope: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """A Mount's Starlette answer: the path below it as `path`, its root_path extended."""
    match = match_enum()
    if scope["type"] not in ("http", "websocket"):
        return match.NONE, {}
    regex, convertors = compile_path(mount.path + "/{path:path}")
    path = route_path(scope)
    found = regex.match(path)
    if not found:
        return match.NONE, {}
    params = _params(scope, found, convertors)
    remaining = "/" + params.pop("path")
    matched = path[: -len(remaining)]
    root_path = scope.get("root_path", "")
    return match.FULL, {"path_params": params, "app_root_path": scope.get("app_root_path", root_path),
                        "root_path": root_path + matched, "endpoint": mount.app}
