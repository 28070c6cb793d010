"""`astraapi routes module:app`: the app's routes as a table (or JSON for tools): method, path, name,
where the route is declared, the response model, and whether its response runs compiled or on the
generic path and why (the same decision `astraapi inspect` and `astraapi build` report)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

_MOUNT_KINDS = ("static", "app", "frontend")


@dataclass(frozen=True)
class RouteRow:
    methods: tuple[str, ...]  # ("ANY",) for a mount
    path: str
    name: str
    endpoint: str  # "module:qualname"
    file: str
    line: int
    response_model: str | None  # the annotation as written (TypeRef.text); None: no response model
    compiled: bool  # the response is serialized by generated code in compiled mode
    fallback: str | None  # why not, when not
    decoder: str | None  # why the request decoder runs on the generic path (None: compiled, or nothing to decode)
    kind: str  # "http", or the mount's kind ("static", "app", "frontend", "frontend-guarded")

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def _analyse(app, ref: str):
    """The IR and the code generator's decisions for `app` (one place that reaches into the compiler's
    modules, so a move of those modules changes only this function)."""
    from astraapi.compiler.codegen.emit import emit_app_module
    from astraapi.introspection.app import build_ir

    ir = build_ir(app, app_ref=ref, openapi=False)
    return ir, emit_app_module(ir)


def route_rows(app, ref: str) -> list[RouteRow]:
    ir, emitted = _analyse(app, ref)
    rows = []
    for route in ir.routes:
        mount = getattr(route, "mount", None)
        compiled = route.index in emitted.serializer_routes
        decoded = route.index in emitted.decoder_routes
        decoder_why = None if decoded else emitted.decoder_fallbacks.get(route.index)
        rows.append(RouteRow(
            methods=("ANY",) if mount in _MOUNT_KINDS else tuple(route.methods),
            path=route.path, name=route.name, endpoint=route.endpoint,
            file=route.source.file, line=route.source.line,
            response_model=route.response_model.text if route.response_model is not None else None,
            compiled=compiled, fallback=None if compiled else emitted.route_fallbacks.get(route.index),
            decoder=decoder_why, kind=mount or "http",
        ))
    return rows


def to_json(rows: list[RouteRow]) -> str:
    return json.dumps([{**asdict(row), "methods": list(row.methods)} for row in rows], indent=2)


_HEADERS = ("METHOD", "PATH", "NAME", "DECLARED AT", "RESPONSE MODEL", "COMPILED")


def to_table(rows: list[RouteRow], *, width: int | None = None) -> str:
    """A plain-text table; the last column says `yes`, or `no: <reason>` (never cut: it is the point)."""
    cells = [(",".join(row.methods), row.path, row.name, row.where, row.response_model or "-",
              "yes" if row.compiled else f"no: {row.fallback or 'generic path'}") for row in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(_HEADERS[:-1])]
    lines = []
    for cell in [_HEADERS, *cells]:
        lines.append("  ".join(value.ljust(widths[i]) for i, value in enumerate(cell[:-1])) + "  " + cell[-1])
    compiled = sum(row.compiled for row in rows)
    lines.append(f"{len(rows)} route{'s' if len(rows) != 1 else ''}, {compiled} with a compiled response "
                 f"serializer, {len(rows) - compiled} on the generic path (astraapi inspect APP --route PATH: why, "
                 "in detail)")
    return "\n".join(lines)
