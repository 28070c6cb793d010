"""IR routes -> route trie tables (the format of runtime_cpp/include/astraapi/trie.h).

Both modes use these tables: dynamic mode hands them to the runtime as Python lists,
compiled mode emits them as const C++ data. The runtime's matcher is the only code that
interprets them, so the two modes route identically by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from astraapi.ir.nodes import AppIR, RouteIR

# Parameter kinds, method bits, and the flags beside them (a mount takes every method; a frontend
# is low priority): astraapi/_runtime_contract.py, shared with the runtime (trie.h).
from astraapi._path_template import PATH_PARAM
from astraapi._runtime_contract import ANY_METHOD, EXTENSION_METHOD, LOW_PRIORITY, METHOD_BITS, PARAM_KINDS  # noqa: F401

PARAM_PATH = PARAM_KINDS["path"]


class RoutePathError(ValueError):
    """A route path the router cannot represent; the message names the route."""


@dataclass(frozen=True)
class PathSegment:
    literal: str | None  # None for a parameter segment
    param_name: str | None = None
    param_kind: int = 0


def split_path(path: str) -> list[str]:
    """'/' -> ['']; '/a/b/' -> ['a', 'b', '']. The runtime splits request paths the same way."""
    if not path.startswith("/"):
        raise RoutePathError(f"path {path!r} must start with '/'")
    return path[1:].split("/")


def parse_route_path(route: RouteIR) -> list[PathSegment]:
    segments: list[PathSegment] = []
    parts = split_path(route.path)
    for position, part in enumerate(parts):
        match = PATH_PARAM.fullmatch(part)
        if match is None:
            if "{" in part or "}" in part:
                raise RoutePathError(
                    f"{route.source.file}:{route.source.line}: route {route.name!r} path {route.path!r}: "
                    f"a parameter must fill a whole path segment ('{{name}}' or '{{name:type}}')"
                )
            segments.append(PathSegment(literal=part))
            continue
        name, convertor = match.group(1), match.group(2) or "str"
        if convertor not in PARAM_KINDS:
            raise RoutePathError(
                f"{route.source.file}:{route.source.line}: route {route.name!r} path {route.path!r}: "
                f"unknown path convertor {convertor!r} (known: {', '.join(PARAM_KINDS)})"
            )
        kind = PARAM_KINDS[convertor]
        if kind == PARAM_PATH and position != len(parts) - 1:
            raise RoutePathError(
                f"{route.source.file}:{route.source.line}: route {route.name!r} path {route.path!r}: "
                f"a ':path' parameter must be the last segment"
            )
        segments.append(PathSegment(literal=None, param_name=name, param_kind=kind))
    return segments


def method_bits(methods: tuple[str, ...]) -> int:
    bits = 0
    for method in methods:
        # an extension method (QUERY, PROPFIND, ...): the router compares the request's method with the
        # route's Allow value
        bits |= METHOD_BITS.get(method.upper(), EXTENSION_METHOD)
    return bits


@dataclass
class _BuildNode:
    static: dict[str, int] = field(default_factory=dict)
    params: dict[int, int] = field(default_factory=dict)
    routes: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class TrieTables:
    """Flat tables, field for field the structs of trie.h."""

    # (edge_begin, edge_count, param_edge_begin, param_edge_count, route_begin, route_count, min_route)
    nodes: tuple[tuple[int, int, int, int, int, int, int], ...]
    edges: tuple[tuple[str, int], ...]  # (segment, child)
    param_edges: tuple[tuple[int, int], ...]  # (kind, child)
    node_routes: tuple[int, ...]
    routes: tuple[tuple[int, str, int], ...]  # (method bits, Allow header value, path param count)
    redirect_slashes: bool

    def to_runtime(self):
        from astraapi import _runtime

        return _runtime.Trie.from_tables(
            list(self.nodes),
            list(self.edges),
            list(self.param_edges),
            list(self.node_routes),
            list(self.routes),
            self.redirect_slashes,
        )


NO_ROUTE = 0xFFFFFFFF


def build_trie_tables(ir: AppIR) -> TrieTables:
    build_nodes = [_BuildNode()]
    routes: list[tuple[int, str, int]] = []
    for position, route in enumerate(ir.routes):
        if route.index != position:
            raise ValueError(f"IR route {route.name!r} has index {route.index}, expected {position}")
        segments = parse_route_path(route)
        node = 0
        for segment in segments:
            if segment.literal is not None:
                children = build_nodes[node].static
                key: str | int = segment.literal
            else:
                children = build_nodes[node].params
                key = segment.param_kind
            child = children.get(key)  # type: ignore[arg-type]
            if child is None:
                child = len(build_nodes)
                build_nodes.append(_BuildNode())
                children[key] = child  # type: ignore[index]
            node = child
        build_nodes[node].routes.append(route.index)
        param_count = sum(1 for segment in segments if segment.literal is None)
        bits = method_bits(route.methods)
        if route.low_priority or route.mount in ("frontend", "frontend-guarded"):
            bits |= LOW_PRIORITY
        if route.mount in ("static", "app", "asgi", "frontend"):
            bits |= ANY_METHOD
        if route.mount in ("asgi", "app"):  # a mounted app answers WebSocket handshakes too
            bits |= METHOD_BITS["WEBSOCKET"]
        routes.append((bits, ", ".join(route.methods), param_count))

    # Number nodes breadth-first so that the tables read top-down.
    order = [0]
    for index in order:
        build = build_nodes[index]
        order.extend(build.static[segment] for segment in _sorted_segments(build.static))
        order.extend(build.params[kind] for kind in sorted(build.params))
    new_index = {old: new for new, old in enumerate(order)}

    min_route = [NO_ROUTE] * len(build_nodes)
    for old in reversed(order):
        build = build_nodes[old]
        candidates = list(build.routes)
        candidates += [min_route[child] for child in build.static.values()]
        candidates += [min_route[child] for child in build.params.values()]
        min_route[old] = min(candidates, default=NO_ROUTE)

    nodes, edges, param_edges, node_routes = [], [], [], []
    for old in order:
        build = build_nodes[old]
        edge_begin = len(edges)
        for segment in _sorted_segments(build.static):
            edges.append((segment, new_index[build.static[segment]]))
        param_begin = len(param_edges)
        for kind in sorted(build.params):
            param_edges.append((kind, new_index[build.params[kind]]))
        route_begin = len(node_routes)
        node_routes.extend(sorted(build.routes))
        nodes.append(
            (
                edge_begin,
                len(edges) - edge_begin,
                param_begin,
                len(param_edges) - param_begin,
                route_begin,
                len(node_routes) - route_begin,
                min_route[old],
            )
        )
    return TrieTables(
        nodes=tuple(nodes),
        edges=tuple(edges),
        param_edges=tuple(param_edges),
        node_routes=tuple(node_routes),
        routes=tuple(routes),
        redirect_slashes=ir.redirect_slashes,
    )


def _sorted_segments(static: dict[str, int]) -> list[str]:
    """trie.h: static edges are sorted by (byte length, bytes)."""
    return sorted(static, key=lambda segment: (len(segment.encode()), segment.encode()))
