"""Route records: what a decorator or `add_api_route` recorded (`APIRoute`, `APIWebSocketRoute`), a
mount (`Mount`), a frontend (`FrontendRoute`), and the helpers that build and check them. Public under
`astraapi.routing` (re-exported there)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from astraapi.datastructures import Default
from astraapi._path_template import path_format
from astraapi.responses import JSONResponse


def generate_unique_id(route: APIRoute) -> str:
    """FastAPI's default operation id for a route (its name, path and first method)."""
    from astraapi.introspection.openapi_schema import generate_unique_id as generate

    return generate(route)



_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # astraapi/


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

        from astraapi import routing

        # Looked up in the module on each call, so that an integration replacing it wraps every route.
        return routing.get_request_handler(
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

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        """Starlette's `route.handle(scope, receive, send)`, for code that drives a route outside an app
        (astraapi/_routing/include.py, `handle_route`)."""
        from astraapi._routing.include import handle_route

        await handle_route(self, scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> str:
        """Starlette's `route.url_path_for`: this route's path with these parameters (NoMatchFound if
        the name or the parameters differ)."""
        from astraapi._routing.paths import url_path_for

        return url_path_for([self], name, path_params)

    @property
    def param_convertors(self) -> dict[str, Any]:
        """Starlette's convertors of the path parameters, by name."""
        from astraapi._routing.paths import param_convertors

        return param_convertors(self.path)

    @property
    def original_route(self) -> Any:
        """The route as declared (an included route's effective record gives the route it was made from)."""
        from astraapi._routing.include import original_route

        return original_route(self)

    @property
    def dependency_overrides_provider(self) -> Any:
        """Where dependency overrides are read (FastAPI's): an included route's, its inclusion's parent's."""
        from astraapi._routing.include import include_context_of

        context = include_context_of(self)
        return context.dependency_overrides_provider if context is not None else None


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

    def matches(self, scope: Any) -> tuple[Any, dict[str, Any]]:
        """Starlette's `route.matches(scope)`: FULL for a request path at or below the frontend's prefix
        (any method: the files answer), the path below it as `scope["fastapi"]["frontend_path"]`."""
        return self.matches_with_prefix(scope, "")

    def matches_with_prefix(self, scope: Any, prefix: str) -> tuple[Any, dict[str, Any]]:
        """`matches`, the frontend seen under an inclusion's `prefix`."""
        from astraapi.asgi.matching import match_enum
        from astraapi.asgi.scope import route_path

        enum = match_enum()
        if scope.get("type") != "http":
            return enum.NONE, {}
        base = prefix + ("" if self.path == "/" else self.path)
        path = route_path(scope)
        if path == base:
            rest = ""
        elif path.startswith(base + "/"):
            rest = path[len(base) + 1:]
        else:
            return enum.NONE, {}
        return enum.FULL, {"fastapi": {"frontend_path": rest, "frontend_specificity": len(base)}}

    def url_path_for(self, name: str, /, **path_params: Any) -> str:
        """A frontend has no name to build a path from (FastAPI's): always NoMatchFound."""
        from astraapi._routing.paths import no_match

        raise no_match(name, path_params)

    def route_paths(self) -> tuple[str, ...]:
        """The paths the router matches: the prefix itself (unless "/") and what is below it."""
        if self.path == "/":
            return ("/{path:path}",)
        return (self.path, self.path + "/{path:path}")


@dataclass(frozen=True)
class APIWebSocketRoute(APIRoute):
    """A WebSocket route (FastAPI's `APIWebSocketRoute`): its one method is the pseudo-method
    "WEBSOCKET", which only WebSocket upgrade requests match; never in OpenAPI."""

    def __post_init__(self) -> None:
        if self.methods is None:  # built as FastAPI's APIWebSocketRoute(path, endpoint, name=...)
            object.__setattr__(self, "methods", (WEBSOCKET_METHOD,))
        super().__post_init__()


WEBSOCKET_METHOD = "WEBSOCKET"




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

