"""Prepare an app for serving in dynamic or compiled mode, then serve it with N workers."""

from __future__ import annotations

import copy
import dataclasses
import functools
import http
import logging
import os
import sys
from pathlib import Path
from typing import Any

from astraapi.server.config import ServerConfig
from astraapi.server.supervisor import supervise
from astraapi.server.worker import ServeTarget, serve_worker

logger = logging.getLogger("astraapi.server")

MODES = ("dynamic", "compiled")


def prepare(app, *, mode: str, host: str, port: int, app_ref: str | None = None,
            build_dir: Path | None = None, config: ServerConfig | None = None) -> ServeTarget:
    """Dynamic mode: introspect the app once. Compiled mode: start from the build (its serving IR,
    module and OpenAPI document), checked against the app's declarations by fingerprint; each
    route is analysed on its first request (docs/compiled-mode.md, "Start-up")."""
    from astraapi.engine.executor import Executor

    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if mode == "dynamic":
        from astraapi.introspection.app import build_ir
        from astraapi.ir.trie import build_trie_tables

        ir = build_ir(app, app_ref=app_ref, openapi=False)
        executor = Executor(app, ir, wrap_handler=with_middleware)
        tables = build_trie_tables(ir)
        make_trie = tables.to_runtime
    else:
        from astraapi.ir.build_layout import DEFAULT_BUILD_DIR
        from astraapi.server.build_loader import load_startup

        startup = load_startup(app, Path(build_dir or DEFAULT_BUILD_DIR), app_ref)
        ir, loaded = startup.ir, startup.loaded
        executor = Executor(app, ir, compiled_serializers=loaded.serializers, compiled_decoders=loaded.decoders,
                            compiled_encoders=loaded.encoders, lazy=not startup.analysed,
                            wrap_handler=with_middleware)
        if startup.openapi_path is not None:
            app.use_built_openapi(startup.openapi_path)
        make_trie = lambda: loaded.module.trie  # noqa: E731 - the module owns its tables
    warn_unreceivable_methods(ir)
    handler = app_handler(executor, ir, app)
    direct = handler == executor.handle  # no Python middleware in between: the server may call endpoints
    # A Python middleware sees every request, as under Starlette (404s, 405s and redirects included).
    every = sees_every_request(ir) or not direct
    # CORS answers preflights and marks the router's 404/405 for any path: the server then hands
    # requests no route answers to the handler (Executor._run_unmatched) instead of answering them.
    target = ServeTarget(handler=handler, make_trie=make_trie, host=host, port=port, mode=mode,
                         config=config or ServerConfig(), lifespan=app.router,
                         route_unmatched=executor.routes_unmatched or every,
                         route_redirects=every or executor.max_body_size is not None,
                         on_server=executor.attach_server if direct else None)
    if executor.telemetry is None:
        target = dataclasses.replace(target, after_startup=functools.partial(
            observe_after_startup, target, executor, ir, app))
    return target


def observe_after_startup(target: ServeTarget, executor: Any, ir: Any, app: Any) -> ServeTarget:
    """The app's lifespan startup may configure OpenTelemetry (global providers, `logfire.configure()`):
    once it ran, the telemetry decision of `app_handler` is taken again, once, on the server that is
    about to start, so such an app is observed from its first request, as under FastAPI. Nothing is
    imported when OpenTelemetry was not (`_observed`)."""
    if not _observed(app):
        return target
    from astraapi.telemetry._server import telemetry_handler

    executor.telemetry = sys.modules["astraapi.telemetry._api"]
    # what app_handler gives with telemetry: every request through the handler, no direct calls
    return dataclasses.replace(target, handler=telemetry_handler(target.handler, app, ir), route_unmatched=True,
                               route_redirects=True, on_server=None, after_startup=None)


def warn_unreceivable_methods(ir: Any) -> None:
    """A route declaring a method the server's HTTP parser refuses (llhttp answers a method it does not know
    with 400, as uvicorn with httptools does: `CUSTOM`; `QUERY`, `PROPFIND` and the other registered ones
    are served) cannot be reached on the native server: said at start-up, once per route, instead of the
    route going silently unserved. Under an ASGI server that accepts the method (h11) it is served."""
    from astraapi import _runtime

    known = frozenset(_runtime.HTTP_METHODS) | {"WEBSOCKET"}
    for route in ir.routes:
        refused = [method for method in route.methods if method not in known]
        if refused:
            logger.warning("%s:%s: route %r (%s) declares %s, which the native server's HTTP parser refuses "
                           "(a 400 answer, as uvicorn with httptools gives): the route answers %s only under "
                           "an ASGI server that accepts %s", route.source.file, route.source.line, route.name,
                           route.path, ", ".join(refused), "it" if len(refused) == 1 else "them",
                           "it" if len(refused) == 1 else "them")


def app_handler(executor: Any, ir: Any, app: Any, *, native: bool = True) -> Any:
    """The handler both servers call (the native one, and the ASGI entry, `native=False`): the executor
    inside the app's middlewares, and inside the telemetry layer when OpenTelemetry is configured
    (astraapi.telemetry: then every request is answered by the engine). On the native server, an app
    whose `build_middleware_stack` was replaced (opentelemetry-instrumentation-fastapi does so), or whose
    stack holds sentry's middleware (astraapi/_sentry_compat.py), is served through the stack it builds
    (astraapi.asgi.app.instrumented_stack), as an ASGI server would serve it."""
    handler = with_middleware(executor.handle, ir, app)
    if native and app is not None and (_replaced_stack(app) or _sentry_active()):
        from astraapi.asgi.app import instrumented_stack

        handler = instrumented_stack(handler, app)
    if _observed(app):
        from astraapi.telemetry._server import telemetry_handler

        handler = telemetry_handler(handler, app, ir)
        executor.telemetry = sys.modules["astraapi.telemetry._api"]
    return handler


def _replaced_stack(app: Any) -> bool:
    """Whether `app.build_middleware_stack` is not AstraAPI's own: replaced on the app (instrumentation),
    or overridden by a subclass."""
    from astraapi.applications import AstraAPI

    method = getattr(app, "build_middleware_stack", None)
    return getattr(method, "__func__", None) is not AstraAPI.build_middleware_stack


def _sentry_active() -> bool:
    """sentry-sdk's Starlette/FastAPI integration is enabled: the app's stack holds sentry's middleware."""
    if "sentry_sdk" not in sys.modules:
        return False
    from astraapi import _sentry_compat

    return _sentry_compat.integration() is not None


def _observed(app: Any) -> bool:
    """Whether the app's telemetry records anything (checked once, at start-up): only when the app gave
    `telemetry=` providers or the process has imported OpenTelemetry, so serving costs nothing otherwise."""
    if getattr(app, "_telemetry_settings", None) is None and "opentelemetry" not in sys.modules \
            and os.getenv("FASTAPI_OTEL_AUTO_CONFIGURE", "").lower() != "true":
        return False
    from astraapi.telemetry._server import telemetry_active

    return telemetry_active(app)


def sees_every_request(ir: Any) -> bool:
    """A native middleware answers or changes requests no route matches too (CORS, TrustedHost,
    HTTPSRedirect): the server then hands its 404, 405 and trailing-slash redirects to the handler."""
    return ir.cors is not None or ir.trusted_host is not None or ir.https_redirect


def with_middleware(handler: Any, ir: Any, app: Any = None) -> Any:
    """The app's handler inside its middlewares, the last added outermost (Starlette's stack): the
    native ones (settings from the IR) and, when `app` has any, the Python ones (function middleware,
    BaseHTTPMiddleware, pure ASGI classes: astraapi/middleware/stack.py), in `app.user_middleware` order."""
    if app is not None:
        from astraapi.middleware.stack import has_python_middleware

        if has_python_middleware(app):
            from astraapi.middleware.stack import python_stack

            return python_stack(handler, ir, app, _native_layer)
    order = ir.middleware_order or (("gzip",) if ir.gzip is not None else ())
    for name in reversed(order):
        handler = _native_layer(handler, name, ir)
    return handler


def _native_layer(handler: Any, name: str, ir: Any) -> Any:
    if name == "gzip" and ir.gzip is not None:
        from astraapi.server.compression import gzip_handler

        return gzip_handler(handler, ir.gzip)
    if name == "cors" and ir.cors is not None:
        from astraapi.server.cors import cors_handler

        return cors_handler(handler, ir.cors)
    if name == "trusted_host" and ir.trusted_host is not None:
        from astraapi.server.hosts import trusted_host_handler

        return trusted_host_handler(handler, ir.trusted_host)
    if name == "https_redirect" and ir.https_redirect:
        from astraapi.server.hosts import https_redirect_handler

        return https_redirect_handler(handler)
    return handler


def serve(target: ServeTarget, *, workers: int = 1) -> int:
    _configure_logging(target.config)
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if workers == 1:
        serve_worker(target, reuse_port=False)
        return 0
    if target.port == 0:
        raise ValueError("port 0 cannot be shared by several workers: choose a port")
    return supervise(workers, lambda: serve_worker(target, reuse_port=True),
                     graceful_timeout=target.config.graceful_timeout)


def run(app, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, mode: str = "dynamic",
        app_ref: str | None = None, build_dir: Path | None = None, **options: Any) -> int:
    """`app.run(...)`: serve from Python. `options`: the fields of ServerConfig."""
    config = ServerConfig.from_kwargs(options)
    if mode == "compiled" and app_ref is None:
        app_ref = main_app_ref(app)
    target = prepare(app, mode=mode, host=host, port=port, app_ref=app_ref, build_dir=build_dir, config=config)
    return serve(target, workers=workers)


def main_app_ref(app: Any) -> str | None:
    """For an app that `python main.py` (or `python -m pkg.main`) declared in `__main__`: the
    reference `astraapi build` takes for it (`main:app`), naming the module as the build imports
    it (astraapi/introspection/module_names.py), so the build made by `astraapi build main:app` is the
    one `app.run(mode="compiled")` serves, and registers `__main__` under that name too (the
    compiled module imports the app's classes by name). None when the app is not a global of
    `__main__`. An app
    of `__main__` that is not a file (`python -c`, an interactive session) cannot be built:
    ValueError saying what to do instead."""
    main = sys.modules.get("__main__")
    name = next((key for key, value in vars(main).items() if value is app), None) if main is not None else None
    if name is None:
        return None
    from astraapi.introspection.module_names import script_module_name

    module = script_module_name()
    if module is None:
        raise ValueError(
            f"app.run(mode=\"compiled\") serves the build `astraapi build <module>:{name}` made, but this app "
            "was declared in __main__ without a module file to build it from (python -c, an interactive "
            "session, or a script that imports itself): declare it in a .py file, run `astraapi build "
            f"<module>:{name}`, then serve it with `astraapi run <module>:{name}` or app.run(mode=\"compiled\") "
            "from that file"
        )
    # The compiled module finds the app's classes by their module name (`main.Item`): importing
    # `main` must give this module, not run the script a second time as another module.
    sys.modules.setdefault(module, main)
    return f"{module}:{name}"


class AccessFormatter(logging.Formatter):
    """uvicorn's access line: `INFO:     127.0.0.1:54321 - "GET / HTTP/1.1" 200 OK`."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            client, method, path, version, status = args
            try:
                phrase = http.HTTPStatus(int(status)).phrase
            except ValueError:
                phrase = ""
            record = copy.copy(record)
            record.message = f'{client} - "{method} {path} HTTP/{version}" {status} {phrase}'
        return super().formatMessage(record)


def _configure_logging(config: ServerConfig | None = None) -> None:
    root = logging.getLogger("astraapi")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    access = logging.getLogger("astraapi.access")
    if config is not None and config.access_log and not access.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(AccessFormatter("%(levelname)s:     %(message)s"))
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        access.propagate = False
