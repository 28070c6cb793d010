"""The application object: route declarations plus app-level settings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from enum import Enum
from typing import Any

from astraapi import _starlette_compat as starlette_compat
from astraapi.datastructures import State
from astraapi.requests import Request, root_path_of
from astraapi.responses import HTMLResponse, JSONResponse, Response
from astraapi.routing import (
    APIRoute,
    APIRouter,
    DecoratedCallable,
    Default,
    declaration_site,
    generate_unique_id,
    validate_max_body_size,
)


class AstraAPI:
    """A FastAPI-compatible application. `FastAPI` is an alias of this class."""

    @property
    def _telemetry(self) -> dict[str, Any]:
        """The complete telemetry settings (FastAPI's `app._telemetry`): the given ones over the defaults."""
        if self._telemetry_settings is None:
            from astraapi.telemetry._api import resolve_config

            self._telemetry_settings = resolve_config(None)
        return self._telemetry_settings

    def __init__(
        self,
        *,
        debug: bool = False,
        title: str = "FastAPI",
        summary: str | None = None,
        description: str = "",
        version: str = "0.1.0",
        openapi_url: str | None = "/openapi.json",
        docs_url: str | None = "/docs",
        redoc_url: str | None = "/redoc",
        default_response_class: Any = Default(JSONResponse),
        redirect_slashes: bool = True,
        sync_endpoints: str = "threadpool",
        root_path: str = "",
        openapi_tags: list[dict[str, Any]] | None = None,
        servers: list[dict[str, Any]] | None = None,
        swagger_ui_oauth2_redirect_url: str | None = "/docs/oauth2-redirect",
        swagger_ui_init_oauth: dict[str, Any] | None = None,
        swagger_ui_parameters: dict[str, Any] | None = None,
        terms_of_service: str | None = None,
        contact: dict[str, Any] | None = None,
        license_info: dict[str, Any] | None = None,
        root_path_in_servers: bool = True,
        responses: dict[int | str, dict[str, Any]] | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        generate_unique_id_function: Callable[[APIRoute], str] = Default(generate_unique_id),
        separate_input_output_schemas: bool = True,
        openapi_external_docs: dict[str, Any] | None = None,
        webhooks: APIRouter | None = None,
        callbacks: Sequence[Any] | None = None,
        dependencies: Sequence[Any] | None = None,
        exception_handlers: dict[Any, Callable[..., Any]] | None = None,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        lifespan: Callable[[Any], Any] | None = None,
        middleware: Sequence[Any] | None = None,
        strict_content_type: bool = True,
        max_body_size: int | None = None,
        form_limits: dict[str, int] | None = None,
        docs_offline: bool = False,
        routes: Sequence[Any] | None = None,
        telemetry: dict[str, Any] | None = None,
    ) -> None:
        validate_max_body_size(max_body_size)
        starlette_compat.register()  # Starlette's types, if the app's environment has loaded it
        # FastAPI 0.165's OpenTelemetry settings (astraapi.telemetry.TelemetryConfig), copied; None: the
        # defaults, which record only when the process has configured OpenTelemetry (read at start-up).
        self._telemetry_settings: dict[str, Any] | None = None
        if telemetry is not None:
            from astraapi.telemetry._api import resolve_config

            self._telemetry_settings = resolve_config(telemetry)
        # A body without content-type is parsed as JSON only with strict_content_type=False.
        self.strict_content_type = strict_content_type
        # Request bodies above this many bytes answer 413 "Content Too Large", as FastAPI does.
        self.max_body_size = max_body_size
        self.debug = debug
        if sync_endpoints not in ("threadpool", "inline"):
            raise ValueError(f'sync_endpoints must be "threadpool" or "inline", not {sync_endpoints!r}')
        # An AstraAPI option: "inline" runs `def` endpoints on the event loop instead of a thread
        # pool (faster; a blocking endpoint then stalls every request on its worker).
        self.sync_endpoints = sync_endpoints
        self.user_middleware: list[Any] = []
        for entry in reversed(list(middleware or ())):  # the first listed is the outermost, as Starlette
            cls, args, kwargs = entry
            self.add_middleware(cls, *args, **kwargs)
        self.title = title
        self.summary = summary
        self.description = description
        self.version = version
        self.terms_of_service = terms_of_service
        self.contact = contact
        self.license_info = license_info
        self.openapi_url = openapi_url
        self.openapi_tags = openapi_tags
        self.root_path_in_servers = root_path_in_servers
        self.docs_url = docs_url
        self.redoc_url = redoc_url
        self.swagger_ui_oauth2_redirect_url = swagger_ui_oauth2_redirect_url
        self.swagger_ui_init_oauth = swagger_ui_init_oauth
        self.swagger_ui_parameters = swagger_ui_parameters
        # An AstraAPI option: /docs loads Swagger UI from this app (package swagger-ui-bundle), not a CDN.
        self.docs_offline = docs_offline
        if docs_offline and openapi_url:
            from astraapi.openapi.offline import asset_directory

            # A missing package is reported here, at declaration, not on the first page load.
            for page, url in (("swagger_ui", docs_url), ("redoc", redoc_url)):
                if url:
                    asset_directory(page)
        self.servers = servers or []
        self.separate_input_output_schemas = separate_input_output_schemas
        self.openapi_external_docs = openapi_external_docs
        self.webhooks = webhooks or APIRouter()  # documented in OpenAPI's "webhooks", never served
        self.openapi_version = "3.1.0"
        self.openapi_schema: dict[str, Any] | None = None
        self._openapi_routes_key: tuple[int, ...] | None = None
        self._built_openapi: tuple[Any, tuple[int, ...]] | None = None  # compiled mode: (file, routes key)
        if self.openapi_url:
            if not self.title:
                raise AssertionError("A title must be provided for OpenAPI, e.g.: 'My API'")
            if not self.version:
                raise AssertionError("A version must be provided for OpenAPI, e.g.: '2.1.0'")
        if root_path:
            import warnings

            from astraapi.exceptions import FastAPIDeprecationWarning

            warnings.warn("The `root_path` parameter is deprecated. Configure the server's root path instead, for "
                          "example with `astraapi run --root-path /api/v1` (`fastapi run --root-path /api/v1`).",
                          category=FastAPIDeprecationWarning, stacklevel=2)
        self.root_path = root_path
        self.router = APIRouter(
            default_response_class=default_response_class,
            redirect_slashes=redirect_slashes,
            responses=responses,
            deprecated=deprecated,
            include_in_schema=include_in_schema,
            generate_unique_id_function=generate_unique_id_function,
            dependencies=dependencies,
            callbacks=callbacks,
            on_startup=on_startup,
            on_shutdown=on_shutdown,
            lifespan=lifespan,
            form_limits=form_limits,
            routes=routes,
        )
        self.router._app = self
        self.state = State()
        self.middleware_stack: Any = None  # the ASGI callable, built on the first ASGI call (astraapi.asgi)
        self.dependency_overrides: dict[Callable[..., Any], Callable[..., Any]] = {}
        self.exception_handlers: dict[Any, Callable[..., Any]] = dict(exception_handlers or {})
        from astraapi.exception_handlers import http_exception_handler, request_validation_exception_handler
        from astraapi.exceptions import RequestValidationError, StarletteHTTPException

        self.exception_handlers.setdefault(StarletteHTTPException, http_exception_handler)
        self.exception_handlers.setdefault(RequestValidationError, request_validation_exception_handler)
        self.setup()

    # ------------------------------------------------------------------ OpenAPI and the docs pages

    def openapi(self) -> dict[str, Any]:
        """The app's OpenAPI document, made from its IR on first use and kept in `openapi_schema`
        (assign that attribute, or replace this method, to serve another document)."""
        key = self._routes_identity()
        if not self.openapi_schema or self._openapi_routes_key != key:
            if self._built_openapi is not None and self._built_openapi[1] == key:
                import json

                self.openapi_schema = json.loads(self._built_openapi[0].read_text(encoding="utf-8"))
            else:
                from astraapi.introspection.app import build_ir
                from astraapi.openapi.utils import openapi_from_ir

                self.openapi_schema = openapi_from_ir(build_ir(self))
            self._openapi_routes_key = key
        return self.openapi_schema

    def use_built_openapi(self, path: Any) -> None:
        """Compiled mode: `openapi()` reads the document `astraapi build` made (the build was
        checked against the app), as long as the routes stay those the build saw."""
        self._built_openapi = (path, self._routes_identity())

    def _routes_identity(self) -> tuple[int, ...]:
        """The routes the document describes (an included router's as served now: they are live)."""
        from astraapi._routing.include import flat_records

        return tuple(id(route) for route in [*flat_records(self.routes), *self.webhooks.routes])

    def setup(self) -> None:
        """Declare the OpenAPI document and docs routes (first in `routes`, not in the schema, as
        FastAPI does). They are ordinary routes: both serving modes run them."""
        site = declaration_site()

        def add(path: str, endpoint: Callable[..., Any]) -> None:
            endpoint.__astraapi_plain_route__ = True  # type: ignore[attr-defined]  # no telemetry operation spans
            self.router.add_api_route(path, endpoint, methods=["GET", "HEAD"], include_in_schema=False, _site=site)
            # FastAPI adds these as plain Starlette routes: app-level dependencies do not run on them.
            self.router.routes[-1] = replace(self.router.routes[-1], dependencies=(), takes_request=True)

        if self.openapi_url:

            async def openapi(req: Request) -> JSONResponse:
                root_path = root_path_of(req._native, self).rstrip("/")
                schema = self.openapi()
                if root_path and self.root_path_in_servers:
                    server_urls = {s.get("url") for s in schema.get("servers", [])}
                    if root_path not in server_urls:
                        schema = dict(schema)
                        schema["servers"] = [{"url": root_path}] + schema.get("servers", [])
                return JSONResponse(schema)

            add(self.openapi_url, openapi)
        if self.openapi_url and self.docs_url:

            assets_path = self.docs_url.rstrip("/") + "/assets"

            async def swagger_ui_html(req: Request) -> HTMLResponse:
                from astraapi.openapi.docs import get_swagger_ui_html

                root_path = root_path_of(req._native, self).rstrip("/")
                oauth2_redirect_url = self.swagger_ui_oauth2_redirect_url
                if oauth2_redirect_url:
                    oauth2_redirect_url = root_path + oauth2_redirect_url
                assets: dict[str, str] = {}
                if self.docs_offline:
                    from astraapi.openapi.offline import swagger_asset_urls

                    urls = swagger_asset_urls(root_path + assets_path)
                    assets = {"swagger_js_url": urls.js, "swagger_css_url": urls.css, "swagger_favicon_url": urls.favicon}
                return get_swagger_ui_html(
                    openapi_url=root_path + (self.openapi_url or ""),
                    title=f"{self.title} - Swagger UI",
                    oauth2_redirect_url=oauth2_redirect_url,
                    init_oauth=self.swagger_ui_init_oauth,
                    swagger_ui_parameters=self.swagger_ui_parameters,
                    **assets,
                )

            add(self.docs_url, swagger_ui_html)
            if self.docs_offline:

                async def swagger_ui_asset(asset_name: str) -> Response:
                    from astraapi.openapi.offline import asset_response

                    return asset_response("swagger_ui", asset_name)

                add(assets_path + "/{asset_name}", swagger_ui_asset)
            if self.swagger_ui_oauth2_redirect_url:

                async def swagger_ui_redirect(req: Request) -> HTMLResponse:
                    from astraapi.openapi.docs import get_swagger_ui_oauth2_redirect_html

                    return get_swagger_ui_oauth2_redirect_html()

                add(self.swagger_ui_oauth2_redirect_url, swagger_ui_redirect)
        if self.openapi_url and self.redoc_url:

            redoc_assets_path = self.redoc_url.rstrip("/") + "/assets"

            async def redoc_html(req: Request) -> HTMLResponse:
                from astraapi.openapi.docs import get_redoc_html

                root_path = root_path_of(req._native, self).rstrip("/")
                offline: dict[str, Any] = {}
                if self.docs_offline:
                    from astraapi.openapi.offline import redoc_asset_urls

                    urls = redoc_asset_urls(root_path + redoc_assets_path)
                    offline = {"redoc_js_url": urls.js, "redoc_favicon_url": urls.favicon, "with_google_fonts": False}
                return get_redoc_html(openapi_url=root_path + (self.openapi_url or ""), title=f"{self.title} - ReDoc",
                                      **offline)

            add(self.redoc_url, redoc_html)
            if self.docs_offline:

                async def redoc_asset(asset_name: str) -> Response:
                    from astraapi.openapi.offline import asset_response

                    return asset_response("redoc", asset_name)

                add(redoc_assets_path + "/{asset_name}", redoc_asset)

    # ------------------------------------------------------------------ the app as an ASGI application

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """ASGI 3 (http, websocket, lifespan): the same engine as the native server (astraapi.asgi)."""
        from astraapi.concurrency import running_asyncio

        if self.root_path:
            scope["root_path"] = self.root_path
        scope["app"] = self
        if not running_asyncio():
            # trio: an HTTP request the engine can run in the caller's own task (no Python middleware,
            # no telemetry: Executor.run_in_caller) runs there, as FastAPI runs it (the caller's cancel
            # scopes, trio primitives in dependencies); anything else runs on an asyncio loop of its own.
            from astraapi.asgi.app import serves_in_caller

            if not serves_in_caller(self, scope):
                from astraapi.asgi.foreign_loop import call_from_trio

                await call_from_trio(self, scope, receive, send)
                return
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        await self.middleware_stack(scope, receive, send)

    def build_middleware_stack(self) -> Any:
        """The ASGI callable `__call__` runs: the app inside its ASGI middleware classes."""
        from astraapi.asgi.app import build_middleware_stack

        return build_middleware_stack(self)

    @property
    def routes(self) -> list[APIRoute]:
        """The routes the app serves. `app.router.routes` holds an included router as FastAPI 0.165 does (an
        `_IncludedRouter`); here its routes are listed as served (each an effective record: full path, the
        inclusion's settings), as instrumentation libraries read `app.routes` (`route.matches(scope)`, then
        `route.path`), also with FastAPI's own `iter_route_contexts`. Without inclusions, the router's list."""
        if not self.router._included_routers():
            return self.router.routes
        from astraapi._routing.include import flat_records

        return flat_records(self.router.routes)

    def url_path_for(self, name: str, /, **path_params: Any) -> str:
        return self.router.url_path_for(name, **path_params)

    @property
    def redirect_slashes(self) -> bool:
        return self.router.redirect_slashes

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        options.setdefault("_site", declaration_site())
        self.router.add_api_route(path, endpoint, **options)

    def api_route(
        self, path: str, *, methods: Sequence[str] | None = None, **options: Any
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.api_route(path, methods=methods, **options)

    def get(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.get(path, **options)

    def put(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.put(path, **options)

    def post(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.post(path, **options)

    def delete(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.delete(path, **options)

    def patch(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.patch(path, **options)

    def options(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.options(path, **options)

    def head(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.head(path, **options)

    def trace(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.trace(path, **options)

    def add_route(self, path: str, route: Callable[..., Any], methods: Sequence[str] | None = None,
                  name: str | None = None, include_in_schema: bool = True) -> None:
        """Starlette's `app.add_route`: `route(request)` answers `path` (see APIRouter.add_route)."""
        self.router.add_route(path, route, methods=methods, name=name, include_in_schema=include_in_schema,
                              _site=declaration_site())

    def route(self, path: str, methods: Sequence[str] | None = None, name: str | None = None,
              include_in_schema: bool = True) -> Callable[[DecoratedCallable], DecoratedCallable]:
        site = declaration_site()

        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            self.router.add_route(path, func, methods=methods, name=name, include_in_schema=include_in_schema,
                                  _site=site)
            return func

        return decorator

    def mount(self, path: str, app: Any, name: str | None = None) -> None:
        """Serve a StaticFiles under `path` (Starlette's Mount; see APIRouter.mount)."""
        self.router.mount(path, app, name=name)

    def frontend(self, path: str, *, directory: Any, fallback: str | None = "auto",
                 check_dir: bool | str = "auto") -> None:
        """Serve a built single-page app at low priority (FastAPI 0.165; see APIRouter.frontend)."""
        self.router.frontend(path, directory=directory, fallback=fallback, check_dir=check_dir)

    def add_api_websocket_route(self, path: str, endpoint: Callable[..., Any], name: str | None = None,
                                *, dependencies: Any = None) -> None:
        self.router.add_api_websocket_route(path, endpoint, name=name, dependencies=dependencies,
                                            _site=declaration_site())

    def websocket(self, path: str, name: str | None = None, *,
                  dependencies: Any = None) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.websocket(path, name=name, dependencies=dependencies)

    def websocket_route(self, path: str, name: str | None = None) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.websocket(path, name=name)

    def middleware(self, middleware_type: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """FastAPI's `@app.middleware("http")`: a function `(request, call_next)` around every HTTP
        request, added as `BaseHTTPMiddleware(dispatch=func)` (astraapi/middleware/chain.py runs it)."""
        if middleware_type != "http":
            raise AssertionError('Currently only middleware("http") is supported.')

        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            from astraapi.middleware.base import BaseHTTPMiddleware

            self.add_middleware(BaseHTTPMiddleware, dispatch=func)
            return func
        return decorator

    def add_middleware(self, middleware_class: type, *args: Any, **kwargs: Any) -> None:
        """Add a middleware, as FastAPI's `app.add_middleware` (the last added is the outermost).
        GZip, CORS, TrustedHost and HTTPSRedirect are carried out natively; BaseHTTPMiddleware
        subclasses and pure ASGI middleware classes (`cls(app, **options)`, then
        `await instance(scope, receive, send)`) run in Python around the routes
        (astraapi/middleware/chain.py, astraapi/asgi/bridge.py)."""
        from astraapi.middleware import Middleware
        from astraapi.middleware.cors import CORSMiddleware
        from astraapi.middleware.gzip import GZipMiddleware
        from astraapi.middleware.httpsredirect import HTTPSRedirectMiddleware
        from astraapi.middleware.trustedhost import TrustedHostMiddleware

        middleware_class = starlette_compat.native_middleware(middleware_class)  # Starlette's four: native
        native = (GZipMiddleware, CORSMiddleware, TrustedHostMiddleware, HTTPSRedirectMiddleware)
        if middleware_class not in native:
            if not callable(middleware_class):
                raise TypeError(f"{middleware_class!r} is not a middleware class (cls(app, **options))")
            self.user_middleware.insert(0, Middleware(middleware_class, *args, **kwargs))
            return
        if middleware_class is not GZipMiddleware and any(e.cls is middleware_class for e in self.user_middleware):
            raise NotImplementedError(f"{middleware_class.__name__} is already added: AstraAPI runs one "
                                      f"{middleware_class.__name__} per app")
        middleware_class(None, *args, **kwargs)  # the same argument checks, now
        self.user_middleware.insert(0, Middleware(middleware_class, *args, **kwargs))

    def include_router(
        self,
        router: APIRouter,
        *,
        prefix: str = "",
        tags: list[str | Enum] | None = None,
        include_in_schema: bool = True,
        responses: dict[int | str, dict[str, Any]] | None = None,
        deprecated: bool | None = None,
        generate_unique_id_function: Callable[[APIRoute], str] = Default(generate_unique_id),
        dependencies: Sequence[Any] | None = None,
        callbacks: Sequence[Any] | None = None,
        max_body_size: int | None = None,
        form_limits: dict[str, int] | None = None,
        default_response_class: Any = Default(JSONResponse),
    ) -> None:
        self.router.include_router(router, prefix=prefix, tags=tags, include_in_schema=include_in_schema,
                                   responses=responses, deprecated=deprecated,
                                   default_response_class=default_response_class,
                                   generate_unique_id_function=generate_unique_id_function,
                                   dependencies=dependencies, callbacks=callbacks, max_body_size=max_body_size,
                                   form_limits=form_limits)

    # ------------------------------------------------------------------ exception handlers, events

    def add_exception_handler(self, exc_class_or_status_code: int | type[Exception],
                              handler: Callable[..., Any]) -> None:
        self.exception_handlers[exc_class_or_status_code] = handler

    def exception_handler(self, exc_class_or_status_code: int | type[Exception]) -> Callable[[DecoratedCallable], DecoratedCallable]:
        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            self.add_exception_handler(exc_class_or_status_code, func)
            return func
        return decorator

    def add_event_handler(self, event_type: str, func: Callable[[], Any]) -> None:
        self.router.add_event_handler(event_type, func)

    def on_event(self, event_type: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """Deprecated in FastAPI in favour of `lifespan`, still supported."""
        return self.router.on_event(event_type, _stacklevel=3)

    def run(self, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, *, mode: str = "dynamic",
            build_dir: str | None = None, **options: Any) -> None:
        """Serve the app: in dynamic mode (no compiler needed), or with mode="compiled" from the
        build that `astraapi build` made (default folder: .astraapi/build).

        `options` are the server's limits and behaviour (astraapi.server.config.ServerConfig):
        max_header_size, max_header_count, max_body_size, header_timeout, body_timeout,
        keep_alive_timeout, max_connections, graceful_timeout, access_log, proxy_headers,
        forwarded_allow_ips, body_min_rate, body_min_rate_grace, gzip, gzip_min_size, gzip_level."""
        from pathlib import Path

        from astraapi.server.serve import run

        run(self, host=host, port=port, workers=workers, mode=mode,
            build_dir=Path(build_dir) if build_dir else None, **options)


FastAPI = AstraAPI
