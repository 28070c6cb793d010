"""Routers and route records.

Decorators only record what the user declared (plus where: the decorator's file and line);
`astraapi.compiler.introspect` analyses the records later, all at once, and reports every
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

DecoratedCallable = TypeVar("DecoratedCallable", bound=Callable[..., Any])


class _DefaultType:
    """Marks an argument the user did not pass (so "not given" differs from None)."""

    _instance: _DefaultType | None = None

    def __new__(cls) -> _DefaultType:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "Default"

    def __bool__(self) -> bool:
        return False


Default: Any = _DefaultType()

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
    methods: tuple[str, ...]
    name: str
    decl_file: str
    decl_line: int
    response_model: Any = Default
    status_code: int | None = None
    tags: tuple[str, ...] = ()
    summary: str | None = None
    description: str | None = None
    response_description: str = "Successful Response"
    deprecated: bool | None = None
    operation_id: str | None = None
    response_class: Any = Default
    include_in_schema: bool = True
    response_model_by_alias: bool = True
    response_model_exclude_unset: bool = False
    response_model_exclude_defaults: bool = False
    response_model_exclude_none: bool = False
    responses: dict[Any, Any] = field(default_factory=dict)
    openapi_extra: dict[str, Any] | None = None
    generate_unique_id_function: Any = Default  # Default: the app's (FastAPI's generate_unique_id)
    # Tags given as members of an Enum that is not a str Enum (FastAPI's documented `class Tags(Enum)`):
    # FastAPI's OpenAPI model rejects them, which changes how their operations are written.
    enum_tags: frozenset[str] = frozenset()
    # Depends()/Security() markers whose values are discarded: app, router, include and
    # path-operation `dependencies=[...]`, outermost first.
    dependencies: tuple[Any, ...] = ()

    @property
    def path_format(self) -> str:
        """The path with `{name:convertor}` shown as `{name}` (what OpenAPI and operation ids use)."""
        return _CONVERTOR.sub(r"{\1}", self.path)


_CONVERTOR = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-zA-Z_][a-zA-Z0-9_]*)?}")


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


class APIRouter:
    def __init__(
        self,
        *,
        prefix: str = "",
        tags: list[str | Enum] | None = None,
        default_response_class: Any = Default,
        include_in_schema: bool = True,
        redirect_slashes: bool = True,
        responses: dict[Any, Any] | None = None,
        deprecated: bool | None = None,
        generate_unique_id_function: Any = Default,
        dependencies: Sequence[Any] | None = None,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        lifespan: Callable[[Any], Any] | None = None,
    ) -> None:
        if prefix:
            if not prefix.startswith("/"):
                raise ValueError("A path prefix must start with '/'")
            if prefix.endswith("/"):
                raise ValueError("A path prefix must not end with '/', as the routes will start with '/'")
        self.prefix = prefix
        self.tags: list[str | Enum] = list(tags or [])
        self.default_response_class = default_response_class
        self.include_in_schema = include_in_schema
        self.redirect_slashes = redirect_slashes
        self.responses: dict[Any, Any] = dict(responses or {})
        self.deprecated = deprecated
        self.generate_unique_id_function = generate_unique_id_function
        self.routes: list[APIRoute] = []
        self.dependencies: list[Any] = list(dependencies or [])
        self.on_startup: list[Callable[[], Any]] = list(on_startup or [])
        self.on_shutdown: list[Callable[[], Any]] = list(on_shutdown or [])
        self.lifespan_context: Callable[[Any], Any] = _lifespan_context(self, lifespan)
        self.lifespan_state: dict[str, Any] | None = None  # what the lifespan yielded, per worker
        self._app: Any = None  # the application that owns this router, passed to the lifespan
        self._running: Any = None

    def add_api_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        response_model: Any = Default,
        status_code: int | None = None,
        tags: list[str | Enum] | None = None,
        summary: str | None = None,
        description: str | None = None,
        response_description: str = "Successful Response",
        responses: dict[Any, Any] | None = None,
        deprecated: bool | None = None,
        methods: Sequence[str] | None = None,
        operation_id: str | None = None,
        response_model_by_alias: bool = True,
        response_model_exclude_unset: bool = False,
        response_model_exclude_defaults: bool = False,
        response_model_exclude_none: bool = False,
        include_in_schema: bool = True,
        response_class: Any = Default,
        name: str | None = None,
        openapi_extra: dict[str, Any] | None = None,
        generate_unique_id_function: Any = Default,
        dependencies: Sequence[Any] | None = None,
        _site: tuple[str, int] | None = None,
    ) -> None:
        decl_file, decl_line = _site or declaration_site()
        if response_class is Default:
            response_class = self.default_response_class
        if isinstance(status_code, int):
            status_code = int(status_code)  # http.HTTPStatus and other IntEnums
        self.routes.append(
            APIRoute(
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
                response_model_by_alias=response_model_by_alias,
                response_model_exclude_unset=response_model_exclude_unset,
                response_model_exclude_defaults=response_model_exclude_defaults,
                response_model_exclude_none=response_model_exclude_none,
                responses={**self.responses, **(responses or {})},
                openapi_extra=openapi_extra,
                generate_unique_id_function=generate_unique_id_function
                if generate_unique_id_function is not Default
                else self.generate_unique_id_function,
                dependencies=(*self.dependencies, *(dependencies or ())),
            )
        )

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

    def include_router(
        self,
        router: APIRouter,
        *,
        prefix: str = "",
        tags: list[str | Enum] | None = None,
        include_in_schema: bool = True,
        responses: dict[Any, Any] | None = None,
        deprecated: bool | None = None,
        generate_unique_id_function: Any = Default,
        dependencies: Sequence[Any] | None = None,
    ) -> None:
        if prefix:
            if not prefix.startswith("/"):
                raise ValueError("A path prefix must start with '/'")
            if prefix.endswith("/"):
                raise ValueError("A path prefix must not end with '/', as the routes will start with '/'")
        extra_dependencies = (*self.dependencies, *(dependencies or ()))
        extra_tags = tuple(_tag_text(t) for t in [*self.tags, *(tags or [])])  # the including router's first
        for route in router.routes:
            response_class = route.response_class
            if response_class is Default:
                response_class = self.default_response_class
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
                    generate_unique_id_function=_first_given(
                        route.generate_unique_id_function, generate_unique_id_function,
                        self.generate_unique_id_function,
                    ),
                    dependencies=(*extra_dependencies, *route.dependencies),
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
        context = self.lifespan_context(self._app)
        state = await context.__aenter__()
        self._running = context
        self.lifespan_state = dict(state) if state is not None else None

    async def shutdown(self) -> None:
        """Leave the lifespan (or run the shutdown handlers); each worker calls it after serving."""
        context, self._running = self._running, None
        if context is not None:
            await context.__aexit__(None, None, None)


def _first_given(*choices: Any) -> Any:
    for choice in choices:
        if choice is not Default:
            return choice
    return Default


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
}


def __getattr__(name: str) -> Any:
    module = _REEXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def generate_unique_id(route: APIRoute) -> str:
    """FastAPI's default operation id for a route (its name, path and first method)."""
    from astraapi.compiler.openapi_schema import generate_unique_id as generate

    return generate(route)


def is_body_allowed_for_status_code(status_code: int | str | None) -> bool:
    from astraapi.openapi.utils import is_body_allowed_for_status_code as allowed

    return allowed(status_code)


def get_name(endpoint: Callable[..., Any]) -> str:
    """The endpoint's `__name__`, or its class name for an instance (a route's default name)."""
    return getattr(endpoint, "__name__", None) or endpoint.__class__.__name__


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_REEXPORTS))
