"""Routers and route records.

Decorators only record what the user declared (plus where: the decorator's file and line);
`astraapi.introspection` analyses the records later, all at once, and reports every
problem together.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, TypeVar

from astraapi.datastructures import Default, DefaultPlaceholder, get_value_or_default
from astraapi.responses import JSONResponse

DecoratedCallable = TypeVar("DecoratedCallable", bound=Callable[..., Any])


def generate_unique_id(route: APIRoute) -> str:
    """FastAPI's default operation id for a route (its name, path and first method)."""
    from astraapi.introspection.openapi_schema import generate_unique_id as generate

    return generate(route)


def get_request_handler(dependant: Any, **options: Any) -> Callable[[Any], Any]:
    """FastAPI's `routing.get_request_handler`: the function serving a route, `await handler(request)`
    -> Response. AstraAPI calls it (through this module's attribute, so that an integration replacing
    it, as Sentry's does, wraps every route) while it builds a route's handler; the route's own settings
    come from its plan, `dependant.call` (possibly replaced) is the endpoint it calls."""
    from astraapi.engine.route_class import request_handler

    return request_handler(dependant)


_own_get_request_handler = get_request_handler

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def declaration_site() -> tuple[str, int]:
    """The file and line of the nearest caller outside the astraapi package."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR + os.sep):
            return filename, frame.f_lineno
        frame = frame.f_back
    return "<unknown>", 0


@dataclass(frozen=True)
class APIRoute:
    """One declared route: what the decorator was given, nothing derived from the endpoint."""

    path: str
    endpoint: Callable[..., Any]
    # Given to FastAPI's constructor (`APIRoute(path, endpoint, methods=[...], ...)`, a route appended to
    # `router.routes`), these may be left out: GET, the endpoint's name, the caller's file and line.
    methods: tuple[str, ...] = None  # type: ignore[assignment]
    name: str = None  # type: ignore[assignment]
    decl_file: str = None  # type: ignore[assignment]
    decl_line: int = 0
    response_model: Any = field(default_factory=lambda: Default(None))  # Default(None): from the return annotation
    status_code: int | None = None
    tags: tuple[str, ...] = ()
    summary: str | None = None
    description: str | None = None
    response_description: str = "Successful Response"
    deprecated: bool | None = None
    operation_id: str | None = None
    response_class: Any = field(default_factory=lambda: Default(JSONResponse))
    include_in_schema: bool = True
    response_model_include: Any = None  # FastAPI's IncEx: a set, list or dict of fields (as pydantic takes it)
    response_model_exclude: Any = None
    response_model_by_alias: bool = True
    response_model_exclude_unset: bool = False
    response_model_exclude_defaults: bool = False
    response_model_exclude_none: bool = False
    responses: dict[Any, Any] = field(default_factory=dict)
    openapi_extra: dict[str, Any] | None = None
    # Default(generate_unique_id): the app's (FastAPI's generate_unique_id)
    generate_unique_id_function: Any = field(default_factory=lambda: Default(generate_unique_id))
    # Tags given as members of an Enum that is not a str Enum (FastAPI's documented `class Tags(Enum)`):
    # FastAPI's OpenAPI model rejects them, which changes how their operations are written.
    enum_tags: frozenset[str] = frozenset()
    # Depends()/Security() markers whose values are discarded: app, router, include and
    # path-operation `dependencies=[...]`, outermost first.
    dependencies: tuple[Any, ...] = ()
    # OpenAPI callbacks: routes (of an APIRouter, never served) documented under the operation's "callbacks".
    callbacks: tuple[Any, ...] = ()
    # A Starlette-style route (`router.add_route` / `@router.route`, Starlette's `Route` in `routes=`): the
    # endpoint takes the request and returns a Response; no dependencies (not even an including router's),
    # never in OpenAPI, as FastAPI serves Starlette's routes.
    takes_request: bool = False
    # FastAPI 0.165's per-route request body limit (route, else its router's, else the include's);
    # None: the app's `max_body_size` applies.
    max_body_size: int | None = None
    # strict_content_type= on the route, else its router's, else the including routers'; None: the app's.
    strict_content_type: bool | None = None
    # FastAPI 0.165's form_limits (max_fields, max_files, max_part_size) of the including routers, outermost
    # first, then the route's own; the app's come before them.
    form_limits: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.methods is None or not isinstance(self.methods, tuple):
            object.__setattr__(self, "methods", _methods(self.methods))
        if self.name is None:
            object.__setattr__(self, "name", getattr(self.endpoint, "__name__", type(self.endpoint).__name__))
        if self.decl_file is None:
            decl_file, decl_line = declaration_site()
            object.__setattr__(self, "decl_file", decl_file)
            object.__setattr__(self, "decl_line", decl_line)
        validate_max_body_size(self.max_body_size)
        object.__setattr__(self, "form_limits", validate_form_limits(self.form_limits))

    @property
    def path_format(self) -> str:
        """The path with `{name:convertor}` shown as `{name}` (what OpenAPI and operation ids use)."""
        return path_format(self.path)

    def get_route_handler(self) -> Callable[[Any], Any]:
        """FastAPI's hook: the function serving this route, `await handler(request)` -> Response. A
        subclass may override it to wrap what `super().get_route_handler()` returns (a custom Request
        class, timing, error handling); such a route runs on the general path (engine/route_class.py).
        AstraAPI calls it when it serves the route, once per route."""
        from astraapi.engine.route_class import building_dependant

        # Looked up in the module on each call, so that an integration replacing it wraps every route.
        return get_request_handler(
            dependant=building_dependant(self), body_field=None, status_code=self.status_code,
            response_class=self.response_class, response_field=None,
            response_model_include=self.response_model_include, response_model_exclude=self.response_model_exclude,
            response_model_by_alias=self.response_model_by_alias,
            response_model_exclude_unset=self.response_model_exclude_unset,
            response_model_exclude_defaults=self.response_model_exclude_defaults,
            response_model_exclude_none=self.response_model_exclude_none,
            dependency_overrides_provider=None, embed_body_fields=False,
            strict_content_type=self.strict_content_type, form_limits=self.form_limits)

    def matches(self, scope: Any) -> tuple[Any, dict[str, Any]]:
        """Starlette's `route.matches(scope)`: (Match.FULL/PARTIAL/NONE, child scope)."""
        from astraapi.asgi.matching import route_matches

        return route_matches(self, scope, websocket=self.methods == (WEBSOCKET_METHOD,))


@dataclass(frozen=True)
class Mount:
    """`app.mount(path, app, name=...)`: every request whose path is `path` + "/..." goes to
    `app` (a StaticFiles or an AstraAPI application), whatever its method, in declaration order
    with the routes (as Starlette's Mount). A path without the trailing part is redirected to
    `path + "/"`."""

    path: str  # without a trailing "/"; router and include prefixes applied
    app: Any
    name: str | None
    decl_file: str
    decl_line: int
    include_in_schema: bool = False
    # The body limit of the includes it came through (FastAPI's include context); None: the app's.
    max_body_size: int | None = None

    @property
    def route_path(self) -> str:
        """The path the router matches: the mount path, then the rest of the request path."""
        return self.path + "/{path:path}"

    @property
    def path_format(self) -> str:
        return path_format(self.path + "/{path}")

    def matches(self, scope: Any) -> tuple[Any, dict[str, Any]]:
        """Starlette's `Mount.matches(scope)`."""
        from astraapi.asgi.matching import mount_matches

        return mount_matches(self, scope)


@dataclass(frozen=True)
class FrontendRoute:
    """`app.frontend(path, directory=...)`: a built single-page app, served at low priority
    (FastAPI 0.165): consulted only when no route, mount or trailing-slash redirect matched.
    `path` is the prefix ("/" or "/app"); `app` its frontend StaticFiles."""

    path: str
    app: Any
    decl_file: str
    decl_line: int
    name: str | None = None
    include_in_schema: bool = False
    # The router's (and including routers') `dependencies=[...]`: FastAPI runs them before
    # serving a frontend file (GET and HEAD; other methods go straight to the files).
    dependencies: tuple[Any, ...] = ()
    # The body limit of the includes it came through (FastAPI's include context); None: the app's.
    max_body_size: int | None = None

    @property
    def specificity(self) -> int:
        return 0 if self.path == "/" else len(self.path)

    def route_paths(self) -> tuple[str, ...]:
        """The paths the router matches: the prefix itself (unless "/") and what is below it."""
        if self.path == "/":
            return ("/{path:path}",)
        return (self.path, self.path + "/{path:path}")


@dataclass(frozen=True)
class APIWebSocketRoute(APIRoute):
    """A WebSocket route (FastAPI's `APIWebSocketRoute`): its one method is the pseudo-method
    "WEBSOCKET", which only WebSocket upgrade requests match; never in OpenAPI."""


WEBSOCKET_METHOD = "WEBSOCKET"

# Seconds an SSE stream may stay idle before a `: ping` keep-alive comment (FastAPI keeps this one in its
# routing module, beside astraapi.sse's copy; the engine reads this one, so patching it takes effect).
_PING_INTERVAL: float = 15.0


# `{name}` / `{name:convertor}` in a path template: group 1 the name, group 2 the convertor (None: str).
# The one pattern for it: introspection, OpenAPI and url_path_for read paths with it.
PATH_PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-zA-Z_][a-zA-Z0-9_]*))?}")


def path_format(path: str) -> str:
    """The path as OpenAPI shows it: `{name:convertor}` -> `{name}`."""
    return PATH_PARAM.sub(r"{\1}", path)


class NoMatchFound(Exception):
    """`url_path_for` / `url_for` found no route with that name and those parameters (Starlette's)."""

    def __init__(self, name: str, path_params: dict[str, Any]) -> None:
        params = ", ".join(list(path_params.keys()))
        super().__init__(f'No route exists for name "{name}" and params "{params}".')


def _param_text(convertor: str, value: Any) -> str:
    """A path parameter written back into a path, as Starlette's convertors' `to_string` do."""
    if convertor == "int":
        value = int(value)
        if value < 0:
            raise ValueError("Negative integers are not supported")
        return str(value)
    if convertor == "float":
        value = float(value)
        if value < 0.0 or value != value or value in (float("inf"), float("-inf")):
            raise ValueError("Negative floats, NaN and infinity are not supported")
        return ("%0.20f" % value).rstrip("0").rstrip(".")
    text = str(value)
    if convertor == "str" and "/" in text:
        raise ValueError("May not contain path separators")
    if convertor == "str" and not text:
        raise ValueError("Must not be empty")
    return text


def _enum_tags(tags: Sequence[Any]) -> frozenset[str]:
    return frozenset(_tag_text(t) for t in tags if isinstance(t, Enum) and not isinstance(t, str))


def _tag_text(tag: str | Enum) -> str:
    return tag.value if isinstance(tag, Enum) else tag


def _methods(methods: Sequence[str] | None) -> tuple[str, ...]:
    if methods is None:
        return ("GET",)
    if isinstance(methods, str):
        raise TypeError("methods must be a list of method names, not a string")
    return tuple(dict.fromkeys(m.upper() for m in methods))


class _DefaultLifespan:
    """Without a `lifespan`, the router's on_startup/on_shutdown handlers are the lifespan."""

    def __init__(self, router: APIRouter) -> None:
        self._router = router

    def __call__(self, app: Any) -> _DefaultLifespan:
        return self

    async def __aenter__(self) -> None:
        await self._router._startup()

    async def __aexit__(self, *exc_info: object) -> None:
        await self._router._shutdown()


class _SyncLifespan:
    def __init__(self, manager: Any) -> None:
        self._manager = manager

    async def __aenter__(self) -> Any:
        return self._manager.__enter__()

    async def __aexit__(self, *exc_info: Any) -> Any:
        return self._manager.__exit__(*exc_info)


def _lifespan_context(router: APIRouter, lifespan: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    if lifespan is None:
        return _DefaultLifespan(router)
    if inspect.isasyncgenfunction(lifespan):
        return contextlib.asynccontextmanager(lifespan)
    if inspect.isgeneratorfunction(lifespan):
        manager = contextlib.contextmanager(lifespan)
        return lambda app: _SyncLifespan(manager(app))
    return lifespan


def _merge_lifespans(outer: Callable[[Any], Any], inner: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An included router's lifespan runs inside its parent's; their states are merged."""
    @contextlib.asynccontextmanager
    async def merged(app: Any) -> Any:
        async with outer(app) as outer_state:
            async with inner(app) as inner_state:
                if outer_state is None and inner_state is None:
                    yield None
                else:
                    yield {**(inner_state or {}), **(outer_state or {})}
    return merged


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
    ) -> None:
        validate_max_body_size(max_body_size)
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
        self.callbacks: list[Any] = list(callbacks or [])
        self.max_body_size = max_body_size
        self.dependencies: list[Any] = list(dependencies or [])
        self.on_startup: list[Callable[[], Any]] = list(on_startup or [])
        self.on_shutdown: list[Callable[[], Any]] = list(on_shutdown or [])
        self.lifespan_context: Callable[[Any], Any] = _lifespan_context(self, lifespan)
        self.lifespan_state: dict[str, Any] | None = None  # what the lifespan yielded, per worker
        self._app: Any = None  # the application that owns this router, passed to the lifespan
        self._running: Any = None
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

    def add_route_record(self, route: Any) -> None:
        """A route given as an object (`routes=[...]`): AstraAPI's records as they are, Starlette's
        Route / WebSocketRoute / Mount adapted (astraapi/_starlette_compat.py)."""
        from astraapi import _starlette_compat as starlette_compat

        if starlette_compat.is_foreign_route(route):
            starlette_compat.add_route(self, route)
        elif isinstance(route, (APIRoute, Mount)):
            self.routes.append(route)
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

    def url_path_for(self, name: str, /, **path_params: Any) -> str:
        """The path of the route or mount called `name` with these path parameters (Starlette's
        url_path_for; a mount takes `path`). NoMatchFound when none fits."""
        return url_path_for(self.routes, name, path_params)

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
        validate_max_body_size(max_body_size)
        if not prefix:
            for route in router.routes:
                if isinstance(route, APIRoute) and not route.path:
                    from astraapi.exceptions import FastAPIError

                    raise FastAPIError(f"Prefix and path cannot be both empty (path operation: {route.name})")
        # The include's limits, overridden by the included router's own (FastAPI's include context).
        include_form_limits = {**validate_form_limits(form_limits), **router.form_limits}
        if prefix:
            if not prefix.startswith("/"):
                raise ValueError("A path prefix must start with '/'")
            if prefix.endswith("/"):
                raise ValueError("A path prefix must not end with '/', as the routes will start with '/'")
        # FastAPI's include context: the included router's limit, else the include's, else this router's.
        include_limit = _first_limit(router.max_body_size, max_body_size, self.max_body_size)
        extra_callbacks = (*self.callbacks, *(callbacks or ()))
        extra_dependencies = (*self.dependencies, *(dependencies or ()))
        extra_tags = tuple(_tag_text(t) for t in [*self.tags, *(tags or [])])  # the including router's first
        for frontend in router.frontends:
            self.frontends.append(replace(frontend, path=_join_frontend_paths(self.prefix + prefix, frontend.path),
                                          dependencies=(*extra_dependencies, *frontend.dependencies),
                                          max_body_size=_first_limit(frontend.max_body_size, include_limit)))
        for route in router.routes:
            if isinstance(route, Mount):
                self.routes.append(replace(route, path=self.prefix + prefix + route.path,
                                           max_body_size=_first_limit(route.max_body_size, include_limit)))
                continue
            # FastAPI's order: the route's, the included router's default, the include's, this router's.
            response_class = get_value_or_default(route.response_class, router.default_response_class,
                                                  default_response_class, self.default_response_class)
            self.routes.append(
                replace(
                    route,
                    path=self.prefix + prefix + route.path,
                    tags=extra_tags + route.tags,
                    enum_tags=route.enum_tags | _enum_tags([*self.tags, *(tags or [])]),
                    response_class=response_class,
                    include_in_schema=route.include_in_schema and include_in_schema and self.include_in_schema,
                    responses={**self.responses, **(responses or {}), **route.responses},
                    deprecated=route.deprecated or deprecated or self.deprecated,
                    generate_unique_id_function=get_value_or_default(
                        route.generate_unique_id_function, router.generate_unique_id_function,
                        generate_unique_id_function, self.generate_unique_id_function,
                    ),
                    dependencies=() if route.takes_request else (*extra_dependencies, *route.dependencies),
                    callbacks=(*extra_callbacks, *route.callbacks),
                    max_body_size=_first_limit(route.max_body_size, include_limit),
                    strict_content_type=_first_limit(route.strict_content_type, router.strict_content_type,
                                                     self.strict_content_type),
                    form_limits={**include_form_limits, **route.form_limits},
                )
            )
        self.on_startup.extend(router.on_startup)
        self.on_shutdown.extend(router.on_shutdown)
        self.lifespan_context = _merge_lifespans(self.lifespan_context, router.lifespan_context)

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


def _auto_telemetry(app: Any) -> bool:
    """`telemetry={"auto_configure": True}`, or FASTAPI_OTEL_AUTO_CONFIGURE=true without a setting."""
    settings = getattr(app, "_telemetry_settings", None)
    if settings is not None:
        return bool(settings["auto_configure"])
    return hasattr(app, "_telemetry_settings") and os.getenv("FASTAPI_OTEL_AUTO_CONFIGURE", "").lower() == "true"


def validate_max_body_size(max_body_size: int | None) -> None:
    if max_body_size is not None and (isinstance(max_body_size, bool) or not isinstance(max_body_size, int)
                                      or max_body_size < 0):
        raise ValueError("max_body_size must be a non-negative integer or None")


def validate_form_limits(limits: dict[str, int] | None) -> dict[str, int]:
    """FastAPI 0.165's form_limits (astraapi._form_limits): max_fields, max_files and max_part_size."""
    from astraapi._form_limits import _validate_form_limits

    return dict(_validate_form_limits(limits))


def _first_limit(*limits: int | None) -> int | None:
    return next((limit for limit in limits if limit is not None), None)


def _normalize_frontend_path(path: str) -> str:
    if not path:
        raise AssertionError("A frontend path cannot be empty")
    if not path.startswith("/"):
        raise AssertionError("A frontend path must start with '/'")
    return path if path == "/" else path.rstrip("/")


def _join_frontend_paths(prefix: str, path: str) -> str:
    if not prefix:
        return path
    return prefix if path == "/" else prefix + path


@dataclass(frozen=True)
class RouteContext:
    """FastAPI 0.165's view of a route as served (`iter_route_contexts(app.routes)`): its effective path,
    name, methods and endpoint, any other attribute read from the route. AstraAPI's included routes are
    copies carrying the include's prefix and settings, so `route` and `original_route` are that copy
    (docs/compat-differences.md)."""

    route: Any

    @property
    def original_route(self) -> Any:
        return self.route

    @property
    def path(self) -> str | None:
        return getattr(self.route, "path", None)

    @property
    def path_format(self) -> str | None:
        return getattr(self.route, "path_format", None)

    @property
    def name(self) -> str | None:
        return getattr(self.route, "name", None)

    @property
    def methods(self) -> set[str] | None:
        if isinstance(self.route, APIWebSocketRoute) or not isinstance(self.route, APIRoute):
            return None
        return set(self.route.methods)

    @property
    def endpoint(self) -> Callable[..., Any] | None:
        return getattr(self.route, "endpoint", None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.route, name)


def iter_route_contexts(routes: Sequence[Any]) -> Any:
    """FastAPI 0.165's `iter_route_contexts`: a RouteContext for each route (given contexts as they are);
    `get_openapi(routes=...)` takes them."""
    for route in routes:
        yield route if isinstance(route, RouteContext) else RouteContext(route)


def url_path_for(routes: Sequence[Any], name: str, path_params: dict[str, Any]) -> str:
    for route in routes:
        if isinstance(route, Mount) and isinstance(getattr(route.app, "router", None), APIRouter):
            # a sub-application's routes: "mount_name:route_name", or the route's own name when
            # the mount has none (Starlette's Mount.url_path_for)
            if route.name is None or name.startswith(route.name + ":"):
                child = name if route.name is None else name[len(route.name) + 1:]
                try:
                    return route.path + route.app.router.url_path_for(child, **path_params)
                except NoMatchFound:
                    pass
        if route.name != name:
            continue
        params = dict(path_params)
        if isinstance(route, Mount):
            if "path" not in params:
                continue
            params["path"] = str(params["path"]).lstrip("/")
            template = route.route_path
        else:
            template = route.path
        names = [m.group(1) for m in PATH_PARAM.finditer(template)]
        if set(names) != set(params):
            continue
        # each value written as its convertor writes it back (Starlette's to_string)
        return PATH_PARAM.sub(lambda m: _param_text(m.group(2) or "str", params[m.group(1)]), template)
    raise NoMatchFound(name, path_params)


# FastAPI's `fastapi.routing` also exposes these names; they are imported on first use, so
# that declaring routes does not import the encoders, pydantic's models or the thread pool.
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


def takes_path_params(function: Any, path: str, first: str, first_type: type) -> None:
    """Declare `function`'s parameters: `first` (the connection), then the path's parameters, taken as
    the path convertors give them (Starlette's endpoint reads them from `request.path_params`)."""
    import inspect
    import re

    names = re.findall(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-zA-Z_][a-zA-Z0-9_]*)?}", path)
    parameters = [inspect.Parameter(first, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=first_type)]
    parameters += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=Any) for name in names]
    function.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    function.__annotations__ = {first: first_type, **{name: Any for name in names}}
