"""The Python middleware stack: `app.user_middleware`, outermost first, as handler layers.

Native middlewares (GZip, CORS, TrustedHost, HTTPSRedirect) keep their native layers, with their
settings from the IR; a BaseHTTPMiddleware (and `@app.middleware("http")`) becomes a
`chain.DispatchLayer` (call_next on the handler contract, no ASGI messages); any other class is a
pure ASGI middleware, run by `astraapi.asgi.bridge.AsgiLayer` on a Starlette-compatible scope.
Only apps with such entries get these layers: the others keep the direct call and native paths.
"""

from __future__ import annotations

from typing import Any, Callable


def native_kind(cls: Any) -> str | None:
    """The IR name of a native middleware class, None for a Python one."""
    from astraapi.middleware.cors import CORSMiddleware
    from astraapi.middleware.gzip import GZipMiddleware
    from astraapi.middleware.httpsredirect import HTTPSRedirectMiddleware
    from astraapi.middleware.trustedhost import TrustedHostMiddleware

    return {GZipMiddleware: "gzip", CORSMiddleware: "cors", TrustedHostMiddleware: "trusted_host",
            HTTPSRedirectMiddleware: "https_redirect"}.get(cls)


def python_middleware(app: Any) -> list[Any]:
    """The app's Python middleware entries, outermost first."""
    return [entry for entry in getattr(app, "user_middleware", ()) if native_kind(entry.cls) is None]


def has_python_middleware(app: Any) -> bool:
    return bool(python_middleware(app))


def describe(app: Any) -> list[str]:
    """What `astraapi inspect` says about each Python middleware, outermost first: the app's own stack
    when the native server serves it (a replaced `build_middleware_stack`, sentry-sdk's middleware:
    astraapi.asgi.app.instrumented_stack), then `user_middleware`'s Python entries."""
    from astraapi.middleware.base import is_dispatch_middleware
    from astraapi.server.serve import _replaced_stack, _sentry_active

    out = []
    if _sentry_active():
        out.append("sentry-sdk's SentryAsgiMiddleware, its Starlette/FastAPI integration being enabled (ASGI)")
    if _replaced_stack(app):
        func = getattr(app.build_middleware_stack, "__func__", app.build_middleware_stack)
        code = getattr(func, "__code__", None)  # functools.wraps copies names: the code has the real ones
        name = (f"{getattr(func, '__globals__', {}).get('__name__', '?')}.{code.co_qualname}"
                if code is not None else repr(func))
        out.append(f"the app's middleware stack, build_middleware_stack replaced by {name} (ASGI)")
    for entry in python_middleware(app):
        if is_dispatch_middleware(entry.cls):
            func = entry.kwargs.get("dispatch")
            name = getattr(func, "__qualname__", None) or entry.cls.__qualname__
            out.append(f"{name} (call_next)")
        else:
            out.append(f"{getattr(entry.cls, '__qualname__', entry.cls)} (ASGI)")
    return out


def python_stack(handler: Any, ir: Any, app: Any, native_layer: Callable[[Any, str, Any], Any]) -> Any:
    from astraapi.asgi.bridge import AsgiEndpoint, AsgiLayer
    from astraapi.middleware.base import is_dispatch_middleware
    from astraapi.middleware.chain import DispatchLayer, ServerErrors

    errors = ServerErrors(app)
    entries = list(getattr(app, "user_middleware", ()))
    trie = _LazyTrie(ir)
    for position in range(len(entries) - 1, -1, -1):
        entry = entries[position]
        kind = native_kind(entry.cls)
        if kind is not None:
            handler = native_layer(handler, kind, ir)
        elif is_dispatch_middleware(entry.cls):
            instance = entry.cls(AsgiEndpoint(handler, app, trie, errors), *entry.args, **entry.kwargs)
            # Starlette sends call_next's response in body messages (more_body): a GZip outside then
            # compresses it whatever its size, an ASGI middleware outside sees the pieces. With either
            # outside, a whole answer returned from call_next is streamed, as there.
            streams = any(native_kind(outer.cls) == "gzip" or not (native_kind(outer.cls) or is_dispatch_middleware(outer.cls))
                          for outer in entries[:position])
            handler = DispatchLayer(handler, instance.dispatch_func, app, errors, streams)
            handler.body_limit = ir.max_body_size
            handler.websocket_routes = frozenset(r.index for r in ir.routes if r.methods == ("WEBSOCKET",))
            handler.websocket_mounts = frozenset(r.index for r in ir.routes if r.mount == "asgi")
        else:
            handler = AsgiLayer(handler, entry.cls, entry.args, entry.kwargs, app, errors, trie)
    return handler


class _LazyTrie:
    """The app's route trie, built on first use (a pure ASGI middleware's scope names the route a
    405 matched on its path, as Starlette's router does)."""

    def __init__(self, ir: Any) -> None:
        self.ir = ir
        self._trie: Any = None

    def match(self, method: str, path: str) -> tuple:
        if self._trie is None:
            from astraapi.ir.trie import build_trie_tables

            self._trie = build_trie_tables(self.ir).to_runtime()
        return self._trie.match(method, path)
