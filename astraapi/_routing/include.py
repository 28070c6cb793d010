"""Live router inclusion (FastAPI 0.165): `include_router` keeps the included router, not a copy of its
routes taken at that moment.

`parent.include_router(router, prefix=..., ...)` appends an `_IncludedRouter` to `parent.routes`: the
included router itself and an `IncludeContext` (what the include adds: prefix, tags, dependencies,
responses, ... combined with the parent's own settings). The routes the include serves are computed
from the router's routes as they are now: one *effective record* per route, a copy of the route's record
with the include's settings applied (its path prefixed, its tags and dependencies extended, ...), which
remembers the route it came from (`original_route`). They are cached per inclusion until the included
router (or a router it includes) changes: each router counts its changes (`_get_routes_version`).

Serving and OpenAPI read the flattened effective records (`flat_records`): the IR is built from them, so
a route added to an included router after the inclusion is served and documented as FastAPI serves it,
the next time the app's IR is built (the routes key of `routes_key` changes with the versions: the test
client and the ASGI entry rebuild then).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from astraapi._routing.records import (
    APIRoute,
    FrontendRoute,
    Mount,
    _enum_tags,
    _first_limit,
    _tag_text,
    generate_unique_id,
    validate_form_limits,
    validate_max_body_size,
)
from astraapi.datastructures import Default, get_value_or_default
from astraapi.responses import JSONResponse

# FastAPI's keys in `scope["fastapi"]`: the effective record of the included route being served, and the
# inclusion being matched.
FASTAPI_SCOPE_KEY = "fastapi"
EFFECTIVE_ROUTE_CONTEXT_KEY = "effective_route_context"
INCLUDED_ROUTER_KEY = "included_router"
_SCOPE_MISSING = object()


def _restore_fastapi_scope_key(scope: dict[str, Any], key: str, previous: Any) -> None:
    """Put `scope["fastapi"][key]` back as it was before a match attempt (`_SCOPE_MISSING`: absent)."""
    fastapi_scope = scope.get(FASTAPI_SCOPE_KEY)
    if not isinstance(fastapi_scope, dict):
        return
    if previous is _SCOPE_MISSING:
        fastapi_scope.pop(key, None)
    else:
        fastapi_scope[key] = previous


# The routers of the apps this process serves on the native server (serve_worker): their routes were
# routed into the server's trie when it started, so a route added to them (or to a router they include)
# afterwards cannot be served there; `check_not_served` says so where the route is added.
_natively_served: weakref.WeakSet[Any] = weakref.WeakSet()


def serving_natively(router: Any) -> None:
    """Note that `router`'s app is about to be served by the native server of this process."""
    _natively_served.add(router)


def check_not_served(router: Any) -> None:
    """Refuse a change of `router`'s routes once an app that serves them runs on the native server
    (FastAPI would serve the new route; the server's routes are fixed when it starts)."""
    for served in list(_natively_served):
        if served is router or served._contains_router(router):
            raise RuntimeError(
                "a route was added after the server started: AstraAPI's server routes what the app (and the "
                "routers it includes) declared when it started, so it would not be served. Declare routes "
                "before the server starts (at import time); the ASGI entry (`await app(scope, receive, send)`) "
                "and the TestClient serve routes added later")


def join_frontend_paths(prefix: str, path: str) -> str:
    if not prefix:
        return path
    return prefix if path == "/" else prefix + path


@dataclass(frozen=True)
class IncludeContext:
    """What one inclusion adds to the routes of `included_router` (FastAPI's include context): the parent
    router's settings and the `include_router` arguments, combined once."""

    included_router: Any
    prefix: str = ""
    tags: tuple[Any, ...] = ()  # as given (str or Enum members), the outermost first
    dependencies: tuple[Any, ...] = ()
    default_response_class: Any = field(default_factory=lambda: Default(JSONResponse))
    responses: dict[Any, Any] = field(default_factory=dict)
    callbacks: tuple[Any, ...] = ()
    deprecated: bool | None = None
    include_in_schema: bool = True
    generate_unique_id_function: Any = field(default_factory=lambda: Default(generate_unique_id))
    strict_content_type: bool | None = None  # None: not given (the app's)
    dependency_overrides_provider: Any = None
    max_body_size: int | None = None
    form_limits: dict[str, int] = field(default_factory=dict)

    @classmethod
    def for_include(cls, parent: Any, router: Any, *, prefix: str = "", tags: Sequence[Any] | None = None,
                    dependencies: Sequence[Any] | None = None, default_response_class: Any = Default(JSONResponse),
                    responses: dict[Any, Any] | None = None, callbacks: Sequence[Any] | None = None,
                    deprecated: bool | None = None, include_in_schema: bool = True,
                    generate_unique_id_function: Any = Default(generate_unique_id),
                    max_body_size: int | None = None, form_limits: dict[str, int] | None = None) -> IncludeContext:
        validate_max_body_size(max_body_size)
        return cls(
            included_router=router,
            prefix=parent.prefix + prefix,
            tags=(*parent.tags, *(tags or ())),
            dependencies=(*parent.dependencies, *(dependencies or ())),
            default_response_class=get_value_or_default(default_response_class, parent.default_response_class),
            responses={**parent.responses, **(responses or {})},
            callbacks=(*parent.callbacks, *(callbacks or ())),
            deprecated=deprecated or parent.deprecated,
            include_in_schema=parent.include_in_schema and include_in_schema,
            generate_unique_id_function=get_value_or_default(generate_unique_id_function,
                                                             parent.generate_unique_id_function),
            strict_content_type=parent.strict_content_type,
            dependency_overrides_provider=parent.dependency_overrides_provider,
            # the included router's limit, else the include's, else the parent's
            max_body_size=_first_limit(router.max_body_size, max_body_size, parent.max_body_size),
            # the include's limits, overridden by the included router's own
            form_limits={**validate_form_limits(form_limits), **router.form_limits},
        )

    def combine(self, child: IncludeContext) -> IncludeContext:
        """The context of `child` (an inclusion inside the router this context includes) seen from here."""
        return IncludeContext(
            included_router=child.included_router,
            prefix=self.prefix + child.prefix,
            tags=(*self.tags, *child.tags),
            dependencies=(*self.dependencies, *child.dependencies),
            default_response_class=get_value_or_default(child.default_response_class, self.default_response_class),
            responses={**self.responses, **child.responses},
            callbacks=(*self.callbacks, *child.callbacks),
            deprecated=self.deprecated or child.deprecated,
            include_in_schema=self.include_in_schema and child.include_in_schema,
            generate_unique_id_function=get_value_or_default(child.generate_unique_id_function,
                                                             self.generate_unique_id_function),
            strict_content_type=_first_limit(child.strict_content_type, self.strict_content_type),
            dependency_overrides_provider=self.dependency_overrides_provider,
            max_body_size=_first_limit(child.max_body_size, self.max_body_size),
            form_limits={**self.form_limits, **child.form_limits},
        )

    def effective(self, route: Any) -> Any:
        """The record this inclusion serves for `route` of the included router (None: nothing to serve)."""
        if isinstance(route, Mount):
            record = replace(route, path=self.prefix + route.path,
                             max_body_size=_first_limit(route.max_body_size, self.max_body_size))
        elif isinstance(route, APIRoute):
            router = self.included_router
            record = replace(
                route,
                path=self.prefix + route.path,
                tags=tuple(_tag_text(t) for t in self.tags) + route.tags,
                enum_tags=route.enum_tags | _enum_tags(self.tags),
                # the route's own, the included router's default, the include's, the parent's
                response_class=get_value_or_default(route.response_class, router.default_response_class,
                                                    self.default_response_class),
                include_in_schema=route.include_in_schema and self.include_in_schema,
                responses={**self.responses, **route.responses},
                deprecated=route.deprecated or self.deprecated,
                generate_unique_id_function=get_value_or_default(
                    route.generate_unique_id_function, router.generate_unique_id_function,
                    self.generate_unique_id_function),
                dependencies=() if route.takes_request else (*self.dependencies, *route.dependencies),
                callbacks=(*self.callbacks, *route.callbacks),
                max_body_size=_first_limit(route.max_body_size, self.max_body_size),
                strict_content_type=_first_limit(route.strict_content_type, router.strict_content_type,
                                                 self.strict_content_type),
                form_limits={**self.form_limits, **route.form_limits},
            )
        elif isinstance(route, FrontendRoute):
            record = replace(route, path=join_frontend_paths(self.prefix, route.path),
                             dependencies=(*self.dependencies, *route.dependencies),
                             max_body_size=_first_limit(route.max_body_size, self.max_body_size))
        else:
            return None
        # Not a field (frozen dataclasses compare and describe fields): where the record came from.
        object.__setattr__(record, "_included", (route, self))
        return record


def declared_route(record: Any) -> Any:
    """The AstraAPI record a route was declared as (an effective record's source; else itself)."""
    included = getattr(record, "__dict__", {}).get("_included")
    return included[0] if included is not None else record


def original_route(record: Any) -> Any:
    """The route a record was declared as: itself, or the route an effective record was made from (a
    Starlette route given in `routes=[...]` when the record adapts one)."""
    included = getattr(record, "__dict__", {}).get("_included")
    if included is not None:
        record = included[0]
    return getattr(record, "__dict__", {}).get("_foreign", record)


def scope_keys(record: Any) -> dict[str, Any]:
    """What FastAPI's router adds to the scope for an included route: `scope["fastapi"]` with its
    effective record (`effective_route_context`)."""
    if getattr(record, "__dict__", {}).get("_included") is None:
        return {}
    return {FASTAPI_SCOPE_KEY: {EFFECTIVE_ROUTE_CONTEXT_KEY: record}}


def update_scope(scope: dict[str, Any], child_scope: dict[str, Any], record: Any) -> None:
    """Merge a route's child scope into `scope` as FastAPI does: its `fastapi` entries into `scope["fastapi"]`
    (not replacing it), and the effective record of an included route."""
    given = child_scope.get(FASTAPI_SCOPE_KEY)
    extra = {**(given if isinstance(given, dict) else {}), **scope_keys(record).get(FASTAPI_SCOPE_KEY, {})}
    scope.update({key: value for key, value in child_scope.items() if key != FASTAPI_SCOPE_KEY})
    if extra:
        fastapi_scope = scope.setdefault(FASTAPI_SCOPE_KEY, {})
        if isinstance(fastapi_scope, dict):
            fastapi_scope.update(extra)


def include_context_of(record: Any) -> IncludeContext | None:
    included = getattr(record, "__dict__", {}).get("_included")
    return included[1] if included is not None else None


class _IncludedRouter:
    """One inclusion of a router (an entry of the including router's `routes`): the router, live, and the
    inclusion's context. Its effective records are rebuilt when the router's routes changed."""

    def __init__(self, original_router: Any, include_context: IncludeContext) -> None:
        self.original_router = original_router
        self.include_context = include_context
        self._effective_routes_lock = threading.Lock()
        self._effective_candidates: list[Any] = []
        self._effective_candidates_version: int | None = None
        self._effective_low_priority_routes: list[Any] = []
        self._effective_low_priority_routes_version: int | None = None

    def __repr__(self) -> str:
        return f"_IncludedRouter(prefix={self.include_context.prefix!r}, router={self.original_router!r})"

    def _nested(self, route: _IncludedRouter) -> _IncludedRouter:
        return _IncludedRouter(route.original_router, self.include_context.combine(route.include_context))

    def effective_candidates(self) -> list[Any]:
        """The included router's routes as this inclusion serves them, in order: effective records, and
        `_IncludedRouter`s for the routers it includes (seen through this inclusion)."""
        version = self.original_router._get_routes_version()
        if version == self._effective_candidates_version:
            return self._effective_candidates
        with self._effective_routes_lock:
            version = self.original_router._get_routes_version()
            if version == self._effective_candidates_version:
                return self._effective_candidates
            candidates: list[Any] = []
            for route in self.original_router.routes:
                if isinstance(route, _IncludedRouter):
                    candidates.append(self._nested(route))
                    continue
                record = self.include_context.effective(route)
                if record is not None:
                    candidates.append(record)
            self._effective_candidates = candidates
            self._effective_candidates_version = version
            return candidates

    def effective_low_priority_routes(self) -> list[Any]:
        """The frontends this inclusion serves (low priority: after every route), its nested ones included."""
        version = self.original_router._get_routes_version()
        if version == self._effective_low_priority_routes_version:
            return self._effective_low_priority_routes
        with self._effective_routes_lock:
            version = self.original_router._get_routes_version()
            if version == self._effective_low_priority_routes_version:
                return self._effective_low_priority_routes
            routes = []
            for record in own_low_priority_routes(self.original_router):
                effective = self.include_context.effective(record)
                if effective is not None:
                    object.__setattr__(effective, "_low_priority", True)
                    routes.append(effective)
            routes += [self.include_context.effective(frontend) for frontend in self.original_router.frontends]
            for route in self.original_router.routes:
                if isinstance(route, _IncludedRouter):
                    routes.extend(self._nested(route).effective_low_priority_routes())
            self._effective_low_priority_routes = routes
            self._effective_low_priority_routes_version = version
            return routes

    def effective_route_contexts(self) -> Iterator[Any]:
        """Every effective record this inclusion serves, nested inclusions flattened, in order."""
        for candidate in self.effective_candidates():
            if isinstance(candidate, _IncludedRouter):
                yield from candidate.effective_route_contexts()
            else:
                yield candidate

    def url_path_for(self, name: str, /, **path_params: Any) -> str:
        from astraapi._routing.paths import url_path_for

        return url_path_for(list(self.effective_route_contexts()), name, path_params)

    def matches(self, scope: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """Starlette's answer for the inclusion: the best of its routes' (a full match first, else the
        first partial one); the child scope is left to the route (FastAPI's)."""
        match, _, _ = self._match(scope)
        return match, {}

    def _match(self, scope: dict[str, Any]) -> tuple[Any, dict[str, Any], Any]:
        from astraapi.asgi.matching import match_enum

        enum = match_enum()
        partial = None
        for candidate in self.effective_candidates():
            if isinstance(candidate, _IncludedRouter):
                match, child_scope, route = candidate._match(scope)
            else:
                match, child_scope = candidate.matches(scope)
                route = candidate
            if match == enum.FULL:
                return match, child_scope, route
            if match == enum.PARTIAL and partial is None:
                partial = (child_scope, route)
        if partial is not None:
            return enum.PARTIAL, partial[0], partial[1]
        return enum.NONE, {}, None

    async def _handle_selected(self, scope: dict[str, Any], receive: Callable[..., Any],
                               send: Callable[..., Any]) -> None:
        """Serve a request this inclusion was selected for, outside an app: the route it matches
        answers 405 for a method it does not take; no route: Starlette's router's 404."""
        from astraapi.responses import PlainTextResponse

        match, child_scope, route = self._match(scope)
        if route is None:
            await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
            return
        update_scope(scope, child_scope, route)
        await route.handle(scope, receive, send)


async def handle_route(route: Any, scope: dict[str, Any], receive: Callable[..., Any],
                       send: Callable[..., Any]) -> None:
    """`route.handle(scope, receive, send)` called outside the app's router (FastAPI's route API): with the
    effective record of an inclusion of `route` in `scope["fastapi"]`, that record is served. A method it
    does not take is answered 405 (raised as HTTPException inside an app, as FastAPI's); otherwise the
    route is served through an app of its own (`serving_app`)."""
    from astraapi.responses import PlainTextResponse

    fastapi_scope = scope.get(FASTAPI_SCOPE_KEY)
    effective = fastapi_scope.get(EFFECTIVE_ROUTE_CONTEXT_KEY) if isinstance(fastapi_scope, dict) else None
    record = route
    if effective is not None and getattr(effective, "__dict__", {}).get("_included", (None,))[0] is route:
        record = effective
    methods = getattr(record, "methods", None)
    if scope.get("type") == "http" and methods and scope["method"] not in methods:
        headers = {"Allow": ", ".join(methods)}
        if "app" in scope:
            from astraapi.exceptions import HTTPException

            raise HTTPException(status_code=405, headers=headers)
        await PlainTextResponse("Method Not Allowed", status_code=405, headers=headers)(scope, receive, send)
        return
    await serving_app(record, [record])(scope, receive, send)


def serving_app(owner: Any, routes: list[Any], *, frontends: Sequence[Any] = (), **settings: Any) -> Any:
    """An app serving `routes` alone, for a route or router driven through ASGI outside an app (kept on
    `owner` while its routes stay the same)."""
    from astraapi.applications import AstraAPI

    key = [id(route) for route in (*routes, *frontends)]
    cached = getattr(owner, "__dict__", {}).get("_serving_app")
    if cached is not None and cached[0] == key:
        return cached[1]
    app = AstraAPI(openapi_url=None, docs_url=None, redoc_url=None, routes=routes, **settings)
    app.router.frontends.extend(frontends)
    object.__setattr__(owner, "_serving_app", (key, app))
    return app


def flat_records(routes: Sequence[Any]) -> list[Any]:
    """The records `routes` serves, inclusions replaced by their effective records (RouteContexts by theirs)."""
    flat: list[Any] = []
    for route in routes:
        if isinstance(route, _IncludedRouter):
            flat.extend(route.effective_route_contexts())
        elif isinstance(route, RouteContext):
            flat.append(route._effective_route)
        else:
            flat.append(route)
    return flat


@dataclass(frozen=True)
class FrontendRouteGroup:
    """A router's frontends as FastAPI 0.165 groups them (`router._frontend_routes`)."""

    routes: tuple[Any, ...]
    dependencies: tuple[Any, ...] = ()

    def matches(self, scope: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        return self.matches_with_prefix(scope, "")

    def matches_with_prefix(self, scope: dict[str, Any], prefix: str) -> tuple[Any, dict[str, Any]]:
        """The most specific of its frontends that matches (FULL), else Match.NONE."""
        from astraapi.asgi.matching import match_enum

        for route in sorted(self.routes, key=lambda route: -route.specificity):
            match, child_scope = route.matches_with_prefix(scope, prefix)
            if match.value == 2:
                return match, child_scope
        return match_enum().NONE, {}

    async def handle(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        """Serve a request with these frontends outside an app (an app of their own); a path none of
        them covers raises FastAPI's 404 HTTPException."""
        if self.matches(scope)[0].value != 2:
            from astraapi._starlette_compat import raised_class
            from astraapi.exceptions import HTTPException

            raise raised_class(HTTPException, "starlette.exceptions", "HTTPException")(404)
        given: list[bool] = []

        async def no_body() -> dict[str, Any]:
            # The files answer without reading a body (FastAPI's frontend never reads one): the app gets an
            # empty one at once, then the connection's own messages.
            if not given:
                given.append(True)
                return {"type": "http.request", "body": b"", "more_body": False}
            return await receive()

        await serving_app(self, [], frontends=self.routes)(scope, no_body, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> str:
        from astraapi._routing.paths import no_match

        raise no_match(name, path_params)


def is_low_priority(record: Any) -> bool:
    """Whether a route record is served at low priority (from a router's `_low_priority_routes`)."""
    return bool(getattr(record, "__dict__", {}).get("_low_priority", False))


def own_low_priority_routes(router: Any) -> list[Any]:
    """The records of `router._low_priority_routes` (FastAPI 0.165's list of routes matched only when no
    other route did): AstraAPI's records as they are, Starlette's routes adapted (once per route)."""
    given = getattr(router, "_low_priority_routes", None)
    if not given:
        return []
    from astraapi import _starlette_compat as starlette_compat

    adapted: dict[int, tuple[Any, Any]] = router.__dict__.setdefault("_low_priority_adapted", {})
    records = []
    for route in given:
        if isinstance(route, FrontendRoute):
            continue  # router.frontends serves them
        known = adapted.get(id(route))
        if known is None or known[0] is not route:
            if isinstance(route, APIRoute):
                record = replace(route, include_in_schema=False)  # FastAPI documents app.routes only
            elif starlette_compat.is_foreign_route(route):
                from astraapi.routing import APIRouter

                scratch = APIRouter()
                starlette_compat.add_route(scratch, route)
                record = scratch.routes[-1]
            else:
                raise TypeError(f"_low_priority_routes: {route!r} is not a route (an APIRoute, or Starlette's Route)")
            object.__setattr__(record, "_low_priority", True)
            known = adapted[id(route)] = (route, record)
        records.append(known[1])
    return records


def low_priority_records(router: Any) -> list[Any]:
    """What a router serves at low priority, in order: its `_low_priority_routes`, its frontends, then
    those of the routers it includes (effective records)."""
    records = [*own_low_priority_routes(router), *(getattr(router, "frontends", None) or ())]
    for route in getattr(router, "routes", ()):
        if isinstance(route, _IncludedRouter):
            records.extend(route.effective_low_priority_routes())
    return records


def _iter_included_route_candidates(routes: Sequence[Any]) -> Iterator[Any]:
    """FastAPI's: every route of `routes` as served: an included APIRoute as declared, other included
    routes (Starlette's, mounts) as the inclusion serves them."""
    for record in flat_records(routes):
        included = getattr(record, "__dict__", {}).get("_included")
        declared = included[0] if included is not None else record
        foreign = "_foreign" in getattr(declared, "__dict__", {})
        yield declared if isinstance(declared, APIRoute) and not foreign else record


@dataclass(frozen=True)
class RouteContext:
    """FastAPI 0.165's view of a route as served (`iter_route_contexts(app.routes)`): `route` (and
    `original_route`) the route as declared, its effective path, name, methods and endpoint (an included
    route's, with the inclusion's prefix), any other attribute read from the effective record."""

    route: Any
    _route_context: Any = field(default=None, repr=False)

    @property
    def original_route(self) -> Any:
        return self.route

    @property
    def _effective_route(self) -> Any:
        return self._route_context if self._route_context is not None else self.route

    @property
    def path(self) -> str | None:
        return getattr(self._effective_route, "path", None)

    @property
    def path_format(self) -> str | None:
        return getattr(self._effective_route, "path_format", None)

    @property
    def name(self) -> str | None:
        return getattr(self._effective_route, "name", None)

    @property
    def methods(self) -> set[str] | None:
        from astraapi._routing.records import APIWebSocketRoute

        route = self._effective_route
        if isinstance(route, APIWebSocketRoute) or not isinstance(route, APIRoute):
            return getattr(route, "methods", None) if not isinstance(route, (APIRoute, Mount)) else None
        return set(route.methods)

    @property
    def endpoint(self) -> Callable[..., Any] | None:
        if not isinstance(self.route, (APIRoute, Mount, FrontendRoute)):  # a Starlette route given as such
            return getattr(self.route, "endpoint", None)
        return getattr(self._effective_route, "endpoint", None)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._effective_route, name)


def iter_route_contexts(routes: Sequence[Any]) -> Iterator[RouteContext]:
    """FastAPI 0.165's `iter_route_contexts`: a RouteContext for each route served (an inclusion's routes
    each with their effective record; contexts given as they are); `get_openapi(routes=...)` takes them."""
    for route in routes:
        if isinstance(route, RouteContext):
            yield route
        elif isinstance(route, _IncludedRouter):
            for record in route.effective_route_contexts():
                yield RouteContext(original_route(record), record)
        else:
            original = original_route(route)
            yield RouteContext(route) if original is route else RouteContext(original, route)
