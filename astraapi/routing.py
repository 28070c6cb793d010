"""Routers and route records.

Decorators only record what the user declared (plus where: the decorator's file and line);
`astraapi.introspection` analyses the records later, all at once, and reports every
problem together.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from enum import Enum
from typing import Any, TypeVar

from astraapi._routing.include import (  # noqa: F401 (re-exported)
    IncludeContext,
    RouteContext,
    _IncludedRouter,
    _iter_included_route_candidates,
    _natively_served,
    _restore_fastapi_scope_key,
    check_not_served,
    flat_records,
    iter_route_contexts,
    join_frontend_paths as _join_frontend_paths,
)
from astraapi._routing.lifespan import _auto_telemetry, _lifespan_context, _merge_lifespans
from astraapi._routing.paths import NoMatchFound, _param_text, takes_path_params, url_path_for  # noqa: F401
from astraapi._path_template import PATH_PARAM  # noqa: F401 (re-exported)
from astraapi._routing.records import (  # noqa: F401 (re-exported)
    WEBSOCKET_METHOD,
    APIRoute,
    APIWebSocketRoute,
    FrontendRoute,
    Mount,
    _enum_tags,
    _first_limit,
    _methods,
    _tag_text,
    declaration_site,
    generate_unique_id,
    path_format,
    validate_form_limits,
    validate_max_body_size,
)
from astraapi.datastructures import Default, DefaultPlaceholder, get_value_or_default
from astraapi.responses import JSONResponse

DecoratedCallable = TypeVar("DecoratedCallable", bound=Callable[..., Any])

# Seconds an SSE stream may stay idle before a `: ping` keep-alive comment (FastAPI keeps this one in its
# routing module, beside astraapi.sse's copy; the engine reads this one, so patching it takes effect).
_PING_INTERVAL: float = 15.0


def get_request_handler(dependant: Any, **options: Any) -> Callable[[Any], Any]:
    """FastAPI's `routing.get_request_handler`: the function serving a route, `await handler(request)`
    -> Response. AstraAPI calls it (through this module's attribute, so that an integration replacing
    it, as Sentry's does, wraps every route) while it builds a route's handler; the route's own settings
    come from its plan, `dependant.call` (possibly replaced) is the endpoint it calls."""
    from astraapi.engine.route_class import request_handler

    return request_handler(dependant)


_own_get_request_handler = get_request_handler


def _mounted_router_app(router: APIRouter, parent: Any) -> Any:
    """`mount(path, router)`: a Starlette Router is an ASGI app, and FastAPI mounts an APIRouter as one. It is
    served as an AstraAPI app over the router's own route list (routes added to the router later are served
    too), without OpenAPI or docs pages, with the exception handlers of the app it is mounted in (Starlette's
    route wrapper reads the handlers of the app's ExceptionMiddleware from the scope)."""
    from astraapi.applications import AstraAPI

    app = AstraAPI(openapi_url=None, docs_url=None, redoc_url=None, redirect_slashes=router.redirect_slashes)
    app.router.routes = router.routes
    app.router.frontends = router.frontends
    if parent is not None:
        app.exception_handlers = parent.exception_handlers
    return app


class APIRouter:
    def __init__(
        self,
        *,
        prefix: str = "",
        tags: list[str | Enum] | None = None,
        default_response_class: Any = Default(JSONResponse),
        include_in_schema: bool = True,
        redirect_slashes: bool = True,
        responses: dict[Any, Any] | None = None,
        deprecated: bool | None = None,
        generate_unique_id_function: Any = Default(generate_unique_id),
        dependencies: Sequence[Any] | None = None,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        lifespan: Callable[[Any], Any] | None = None,
        callbacks: Sequence[Any] | None = None,
        max_body_size: int | None = None,
        strict_content_type: bool | None = None,
        form_limits: dict[str, int] | None = None,
        routes: Sequence[Any] | None = None,
        route_class: type[APIRoute] = APIRoute,
        dependency_overrides_provider: Any = None,
        default: Callable[..., Any] | None = None,
    ) -> None:
        validate_max_body_size(max_body_size)
        if default is not None and not callable(default):
            raise TypeError(f"default={default!r}: not an ASGI application (async app(scope, receive, send))")
        # Starlette's Router(default=...): the ASGI app for requests no route matches. Kept for code that
        # reads it; an included router's routes are served through the app's router, whose 404 answers
        # what no route matches (as FastAPI's include serves them).
        self.default = default
        self.form_limits = validate_form_limits(form_limits)
        if prefix:
            if not prefix.startswith("/"):
                raise ValueError("A path prefix must start with '/'")
            if prefix.endswith("/"):
                raise ValueError("A path prefix must not end with '/', as the routes will start with '/'")
        self.prefix = prefix
        # The class of the route records add_api_route makes (FastAPI's route_class; read at each declaration).
        self.route_class = route_class
        self.dependency_overrides_provider = dependency_overrides_provider
        self.strict_content_type = strict_content_type  # None: not given (the including router's, else the app's)
        self.tags: list[str | Enum] = list(tags or [])
        self.default_response_class = default_response_class
        self.include_in_schema = include_in_schema
        self.redirect_slashes = redirect_slashes
        self.responses: dict[Any, Any] = dict(responses or {})
        self.deprecated = deprecated
        self.generate_unique_id_function = generate_unique_id_function
        self.routes: list[Any] = []  # APIRoute and Mount records, in declaration order
        self.frontends: list[FrontendRoute] = []  # app.frontend(...): low priority, after every route
        # FastAPI 0.165's other low-priority routes (APIRoute or Starlette Route objects a library appends),
        # matched before the frontends when no route, mount or redirect did
        self._low_priority_routes: list[Any] = []
        self.callbacks: list[Any] = list(callbacks or [])
        self.max_body_size = max_body_size
        self.dependencies: list[Any] = list(dependencies or [])
        self.on_startup: list[Callable[[], Any]] = list(on_startup or [])
        self.on_shutdown: list[Callable[[], Any]] = list(on_shutdown or [])
        self.lifespan_context: Callable[[Any], Any] = _lifespan_context(self, lifespan)
        self.lifespan_state: dict[str, Any] | None = None  # what the lifespan yielded, per worker
        self._app: Any = None  # the application that owns this router, passed to the lifespan
        self._running: Any = None
        self._routes_version = 0  # counts changes of `routes` made through this router's methods
        self._includes: list[_IncludedRouter] = []
        self._includes_key: Any = None
        for route in routes or ():
            self.add_route_record(route)

    def add_api_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        response_model: Any = Default(None),
        status_code: int | None = None,
        tags: list[str | Enum] | None = None,
        summary: str | None = None,
        description: str | None = None,
        response_description: str = "Successful Response",
        responses: dict[Any, Any] | None = None,
        deprecated: bool | None = None,
        methods: Sequence[str] | None = None,
        operation_id: str | None = None,
        response_model_include: Any = None,
        response_model_exclude: Any = None,
        response_model_by_alias: bool = True,
        response_model_exclude_unset: bool = False,
        response_model_exclude_defaults: bool = False,
        response_model_exclude_none: bool = False,
        include_in_schema: bool = True,
        response_class: Any = Default(JSONResponse),
        name: str | None = None,
        openapi_extra: dict[str, Any] | None = None,
        generate_unique_id_function: Any = Default(generate_unique_id),
        dependencies: Sequence[Any] | None = None,
        callbacks: Sequence[Any] | None = None,
        max_body_size: int | None = None,
        strict_content_type: bool | None = None,
        form_limits: dict[str, int] | None = None,
        route_class_override: type[APIRoute] | None = None,
        _site: tuple[str, int] | None = None,
    ) -> None:
        validate_max_body_size(max_body_size)
        route_class = route_class_override or self.route_class
        if not (isinstance(route_class, type) and issubclass(route_class, APIRoute)):
            raise TypeError(f"route_class {route_class!r} is not a subclass of astraapi.routing.APIRoute")
        own_form_limits = validate_form_limits(form_limits)
        decl_file, decl_line = _site or declaration_site()
        from astraapi._declaration_checks import check_route

        model_given = not isinstance(response_model, DefaultPlaceholder)
        check_route(endpoint, self.prefix + path, decl_file, decl_line,
                    response_model=response_model if model_given else None, responses=responses,
                    return_is_model=not model_given, dependencies=dependencies)
        _check_scopes(endpoint, (*self.dependencies, *(dependencies or ())))
        response_class = get_value_or_default(response_class, self.default_response_class)
        if isinstance(status_code, int):
            status_code = int(status_code)  # http.HTTPStatus and other IntEnums
        self.routes.append(
            route_class(
                path=self.prefix + path,
                endpoint=endpoint,
                methods=_methods(methods),
                name=name if name is not None else getattr(endpoint, "__name__", type(endpoint).__name__),
                decl_file=decl_file,
                decl_line=decl_line,
                response_model=response_model,
                status_code=status_code,
                tags=tuple(_tag_text(t) for t in [*self.tags, *(tags or [])]),
                enum_tags=_enum_tags([*self.tags, *(tags or [])]),
                summary=summary,
                description=description,
                response_description=response_description,
                deprecated=deprecated or self.deprecated,
                operation_id=operation_id,
                response_class=response_class,
                include_in_schema=include_in_schema and self.include_in_schema,
                response_model_include=response_model_include,
                response_model_exclude=response_model_exclude,
                response_model_by_alias=response_model_by_alias,
                response_model_exclude_unset=response_model_exclude_unset,
                response_model_exclude_defaults=response_model_exclude_defaults,
                response_model_exclude_none=response_model_exclude_none,
                responses={**self.responses, **(responses or {})},
                openapi_extra=openapi_extra,
                generate_unique_id_function=get_value_or_default(generate_unique_id_function,
                                                                 self.generate_unique_id_function),
                dependencies=(*self.dependencies, *(dependencies or ())),
                callbacks=(*self.callbacks, *(callbacks or ())),
                max_body_size=max_body_size if max_body_size is not None else self.max_body_size,
                strict_content_type=strict_content_type if strict_content_type is not None
                else self.strict_content_type,
                form_limits=own_form_limits,
            )
        )
        self._mark_routes_changed()

    def add_route_record(self, route: Any) -> None:
        """A route given as an object (`routes=[...]`): AstraAPI's records as they are, Starlette's
        Route / WebSocketRoute / Mount adapted (astraapi/_starlette_compat.py)."""
        from astraapi import _starlette_compat as starlette_compat

        if starlette_compat.is_foreign_route(route):
            starlette_compat.add_route(self, route)
        elif isinstance(route, (APIRoute, Mount)):
            self.routes.append(route)
            self._mark_routes_changed()
        else:
            raise TypeError(f"routes=[...]: {route!r} is not a route (an APIRoute, or Starlette's Route, "
                            "WebSocketRoute or Mount)")

    def api_route(
        self, path: str, *, methods: Sequence[str] | None = None, **options: Any
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        site = declaration_site()

        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            self.add_api_route(path, func, methods=methods, _site=site, **options)
            return func

        return decorator

    def get(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["GET"], **options)

    def put(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["PUT"], **options)

    def post(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["POST"], **options)

    def delete(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["DELETE"], **options)

    def patch(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["PATCH"], **options)

    def options(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["OPTIONS"], **options)

    def head(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["HEAD"], **options)

    def trace(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["TRACE"], **options)

    def mount(self, path: str, app: Any, name: str | None = None) -> None:
        """Serve `app` (a StaticFiles, an AstraAPI app or any ASGI app) under `path`, as Starlette's Mount: requests for
        `path` + "/..." in declaration order with the routes; `name` for url_path_for."""
        from astraapi.applications import AstraAPI
        from astraapi.staticfiles import StaticFiles

        decl_file, decl_line = declaration_site()
        if path != "" and not path.startswith("/"):
            raise AssertionError("Routed paths must start with '/'")
        if isinstance(app, APIRouter):
            app = _mounted_router_app(app, getattr(self, "_app", None))
        if not isinstance(app, (StaticFiles, AstraAPI)) and not callable(app):
            raise TypeError(f"{decl_file}:{decl_line}: app.mount({path!r}, {type(app).__name__}): not an ASGI "
                            "application (async app(scope, receive, send)), a StaticFiles or an AstraAPI app")
        self.routes.append(Mount(path=(self.prefix + path).rstrip("/"), app=app, name=name,
                                 decl_file=decl_file, decl_line=decl_line))
        self._mark_routes_changed()

    def frontend(self, path: str, *, directory: str | os.PathLike[str],
                 fallback: str | None = "auto", check_dir: bool | str = "auto") -> None:
        """Serve a built single-page app (FastAPI 0.165's `frontend`): its files under `path`,
        checked only when no route matched; a miss gets 404.html when there is one, else
        index.html for a browser navigation (an Accept of text/html), else 404."""
        from astraapi.frontend import FrontendStaticFiles, resolve_frontend_check_dir

        decl_file, decl_line = declaration_site()
        checked = resolve_frontend_check_dir(directory=directory, check_dir=check_dir)
        normalized = _normalize_frontend_path(path)
        app = FrontendStaticFiles(directory=directory, fallback=fallback, check_dir=checked)
        self.frontends.append(FrontendRoute(path=_join_frontend_paths(self.prefix, normalized), app=app,
                                            decl_file=decl_file, decl_line=decl_line,
                                            dependencies=tuple(self.dependencies)))
        self._mark_routes_changed()

    @property
    def _frontend_routes(self) -> Any:
        """FastAPI 0.165's group of this router's frontends (None before `frontend()`): `routes` are their
        records, each `app` the frontend's files."""
        if not self.frontends:
            return None
        from astraapi._routing.include import FrontendRouteGroup

        return FrontendRouteGroup(tuple(self.frontends), tuple(self.dependencies))

    def add_route(self, path: str, endpoint: Callable[..., Any], methods: Sequence[str] | None = None,
                  name: str | None = None, include_in_schema: bool = True, *,
                  _site: tuple[str, int] | None = None) -> None:
        """Starlette's `Router.add_route`: `endpoint(request)` answers `path` (GET and HEAD unless
        `methods`), with a Response or a value. As FastAPI serves such a route: not in OpenAPI, without
        the router's dependencies, the endpoint called with the request alone (a `def` in the thread
        pool). Instrumentation libraries add their `/metrics` route this way."""
        import dataclasses

        from astraapi.concurrency import is_async_callable, run_in_threadpool
        from astraapi.requests import Request

        site = _site or declaration_site()
        if is_async_callable(endpoint):
            async def request_endpoint(request: Any, **path_params: Any) -> Any:
                return await endpoint(request)
        else:
            async def request_endpoint(request: Any, **path_params: Any) -> Any:
                return await run_in_threadpool(endpoint, request)

        takes_path_params(request_endpoint, self.prefix + path, "request", Request)
        methods = {method.upper() for method in methods or ("GET",)}
        if "GET" in methods:
            methods.add("HEAD")  # as Starlette's Route
        methods = sorted(methods, key=lambda method: (method != "GET", method))
        if name is None:
            name = getattr(endpoint, "__name__", type(endpoint).__name__)
        self.add_api_route(path, request_endpoint, methods=methods, name=name, include_in_schema=False,
                           _site=site)
        # FastAPI serves Starlette's routes as they are: the router's dependencies do not run on them.
        self.routes[-1] = dataclasses.replace(self.routes[-1], dependencies=(), takes_request=True)

    def route(self, path: str, methods: Sequence[str] | None = None, name: str | None = None,
              include_in_schema: bool = True) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """Starlette's `@router.route(path)` decorator (see `add_route`)."""
        site = declaration_site()

        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            self.add_route(path, func, methods=methods, name=name, include_in_schema=include_in_schema, _site=site)
            return func

        return decorator

    def matches(self, scope: Any) -> tuple[Any, dict[str, Any]]:
        """Starlette's `route.matches` for a router in a route list: FastAPI's APIRouter is matched only
        through an inclusion (`_IncludedRouter`); on its own it answers Match.NONE."""
        from astraapi.asgi.matching import match_enum

        return match_enum().NONE, {}

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        """Starlette's `router.handle(scope, receive, send)`: serve a request with this router's routes
        outside an app (through an app of their own, rebuilt when they change)."""
        from astraapi._routing.include import serving_app

        app = serving_app(self, flat_records(self.routes), redirect_slashes=self.redirect_slashes)
        await app(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> str:
        """The path of the route or mount called `name` with these path parameters (Starlette's
        url_path_for; a mount takes `path`). NoMatchFound when none fits."""
        return url_path_for(flat_records(self.routes), name, path_params)

    # ------------------------------------------------------------------ WebSockets

    def add_api_websocket_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        name: str | None = None,
        *,
        dependencies: Sequence[Any] | None = None,
        _site: tuple[str, int] | None = None,
    ) -> None:
        decl_file, decl_line = _site or declaration_site()
        from astraapi._declaration_checks import check_route

        check_route(endpoint, self.prefix + path, decl_file, decl_line, dependencies=dependencies)
        _check_scopes(endpoint, (*self.dependencies, *(dependencies or ())))
        self.routes.append(
            APIWebSocketRoute(
                path=self.prefix + path,
                endpoint=endpoint,
                methods=(WEBSOCKET_METHOD,),
                name=name if name is not None else getattr(endpoint, "__name__", type(endpoint).__name__),
                decl_file=decl_file,
                decl_line=decl_line,
                include_in_schema=False,
                dependencies=(*self.dependencies, *(dependencies or ())),
            )
        )
        self._mark_routes_changed()

    def websocket(
        self, path: str, name: str | None = None, *, dependencies: Sequence[Any] | None = None
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        site = declaration_site()

        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            self.add_api_websocket_route(path, func, name=name, dependencies=dependencies, _site=site)
            return func

        return decorator

    def websocket_route(self, path: str, name: str | None = None) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.websocket(path, name=name)

    def include_router(
        self,
        router: APIRouter,
        *,
        prefix: str = "",
        tags: list[str | Enum] | None = None,
        include_in_schema: bool = True,
        responses: dict[Any, Any] | None = None,
        deprecated: bool | None = None,
        generate_unique_id_function: Any = Default(generate_unique_id),
        dependencies: Sequence[Any] | None = None,
        callbacks: Sequence[Any] | None = None,
        max_body_size: int | None = None,
        form_limits: dict[str, int] | None = None,
        default_response_class: Any = Default(JSONResponse),
    ) -> None:
        if router is self:
            raise AssertionError("Cannot include the same APIRouter instance into itself. "
                                 "Did you mean to include a different router?")
        if router._contains_router(self):
            raise AssertionError("Cannot include an APIRouter instance that already includes this router. "
                                 "Did you mean to include a different router?")
        validate_max_body_size(max_body_size)
        if prefix:
            if not prefix.startswith("/"):
                raise ValueError("A path prefix must start with '/'")
            if prefix.endswith("/"):
                raise ValueError("A path prefix must not end with '/', as the routes will start with '/'")
        else:
            for route in flat_records(router.routes):
                if isinstance(route, APIRoute) and not route.path:
                    from astraapi.exceptions import FastAPIError

                    raise FastAPIError(f"Prefix and path cannot be both empty (path operation: {route.name})")
        # The router stays live: its routes (and routes added to it later) are served through the inclusion.
        context = IncludeContext.for_include(
            self, router, prefix=prefix, tags=tags, dependencies=dependencies,
            default_response_class=default_response_class, responses=responses, callbacks=callbacks,
            deprecated=deprecated, include_in_schema=include_in_schema,
            generate_unique_id_function=generate_unique_id_function, max_body_size=max_body_size,
            form_limits=form_limits)
        self.routes.append(_IncludedRouter(router, context))
        self._mark_routes_changed()
        self.on_startup.extend(router.on_startup)
        self.on_shutdown.extend(router.on_shutdown)
        self.lifespan_context = _merge_lifespans(self.lifespan_context, router.lifespan_context)

    def _mark_routes_changed(self) -> None:
        self._routes_version += 1
        if _natively_served:
            check_not_served(self)

    def _get_routes_version(self, seen: set[int] | None = None) -> int:
        """A number that changes whenever this router's routes, or those of a router it includes, change."""
        seen = set() if seen is None else seen
        if id(self) in seen:
            return self._routes_version
        seen.add(id(self))
        version = self._routes_version
        for route in self._included_routers():
            version += route.original_router._get_routes_version(seen)
        return version

    def _included_routers(self) -> list[_IncludedRouter]:
        """The inclusions among `routes` (read per request by the routes key: kept until the list changes)."""
        routes = self.routes
        key = (id(routes), len(routes), id(routes[-1]) if routes else None)
        if self._includes_key != key:
            self._includes = [route for route in routes if isinstance(route, _IncludedRouter)]
            self._includes_key = key
        return self._includes

    def _contains_router(self, router: APIRouter, seen: set[int] | None = None) -> bool:
        """Whether `router` is included in this router, directly or further down."""
        seen = set() if seen is None else seen
        if id(self) in seen:
            return False
        seen.add(id(self))
        for route in self._included_routers():
            if route.original_router is router or route.original_router._contains_router(router, seen):
                return True
        return False

    # ------------------------------------------------------------------ lifespan

    def add_event_handler(self, event_type: str, func: Callable[[], Any]) -> None:
        if event_type not in ("startup", "shutdown"):
            raise ValueError(f'event_type must be "startup" or "shutdown", not {event_type!r}')
        (self.on_startup if event_type == "startup" else self.on_shutdown).append(func)

    def on_event(self, event_type: str, *, _stacklevel: int = 2) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """Deprecated in FastAPI in favour of `lifespan`, still supported."""
        import warnings

        warnings.warn("on_event is deprecated, use lifespan event handlers instead.", DeprecationWarning,
                      stacklevel=_stacklevel)

        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            self.add_event_handler(event_type, func)
            return func
        return decorator

    async def _startup(self) -> None:
        for handler in self.on_startup:
            result = handler()
            if inspect.isawaitable(result):
                await result

    async def _shutdown(self) -> None:
        for handler in self.on_shutdown:
            result = handler()
            if inspect.isawaitable(result):
                await result

    async def startup(self) -> None:
        """Enter the lifespan (or run the startup handlers) on the running loop; each worker
        calls it before serving. A mapping the lifespan yields becomes every request's
        initial `request.state`."""
        if _auto_telemetry(self._app):
            from astraapi.telemetry import _runtime

            await _runtime.startup(self._app)
        context = self.lifespan_context(self._app)
        state = await context.__aenter__()
        self._running = context
        self.lifespan_state = dict(state) if state is not None else None

    async def shutdown(self) -> None:
        """Leave the lifespan (or run the shutdown handlers); each worker calls it after serving."""
        context, self._running = self._running, None
        try:
            if context is not None:
                await context.__aexit__(None, None, None)
        finally:
            runtime = sys.modules.get("astraapi.telemetry._runtime")  # loaded only by auto_configure
            if runtime is not None:
                await runtime.shutdown()


def _normalize_frontend_path(path: str) -> str:
    if not path:
        raise AssertionError("A frontend path cannot be empty")
    if not path.startswith("/"):
        raise AssertionError("A frontend path must start with '/'")
    return path if path == "/" else path.rstrip("/")


_REEXPORTS = {
    "is_async_callable": "astraapi.background",
    "run_in_threadpool": "astraapi.background",
    "iterate_in_threadpool": "astraapi.concurrency",
    "get_typed_return_annotation": "astraapi.dependencies.utils",
    "lenient_issubclass": "astraapi.dependencies.utils",
    "jsonable_encoder": "astraapi.encoders",
    "FastAPIError": "astraapi.exceptions",
    "HTTPException": "astraapi.exceptions",
    "RequestValidationError": "astraapi.exceptions",
    "ResponseValidationError": "astraapi.exceptions",
    "WebSocketRequestValidationError": "astraapi.exceptions",
    "URL": "astraapi.requests",
    "Request": "astraapi.requests",
    "JSONResponse": "astraapi.responses",
    "PlainTextResponse": "astraapi.responses",
    "RedirectResponse": "astraapi.responses",
    "Response": "astraapi.responses",
    "WebSocket": "astraapi.websockets",
    "get_telemetry_data": "astraapi.telemetry",
    "Dependant": "astraapi.dependencies.models",
    "ModelField": "astraapi._compat",
    "get_dependant": "astraapi.dependencies.utils",
    "get_parameterless_sub_dependant": "astraapi.dependencies.utils",
}


def _check_scopes(endpoint: Any, dependencies: Sequence[Any]) -> None:
    """FastAPI refuses a request-scoped `yield` dependency that depends on a function-scoped one when the
    route is declared; checked only once some `Depends(scope="function")` exists (declaring stays light)."""
    # astraapi.params imports pydantic: read it only when loaded (a Depends(scope="function") loads it).
    params = sys.modules.get("astraapi.params")
    if params is not None and params.FUNCTION_SCOPE_DECLARED:
        from astraapi.introspection.dependencies import check_dependency_scopes

        check_dependency_scopes(endpoint, dependencies)


def __getattr__(name: str) -> Any:
    module = _REEXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def is_body_allowed_for_status_code(status_code: int | str | None) -> bool:
    from astraapi.openapi.utils import is_body_allowed_for_status_code as allowed

    return allowed(status_code)


def get_name(endpoint: Callable[..., Any]) -> str:
    """The endpoint's `__name__`, or its class name for an instance (a route's default name)."""
    return getattr(endpoint, "__name__", None) or endpoint.__class__.__name__


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_REEXPORTS))


