"""The app's analysis and IR: `analyze_app`, `analyze_route`, `build_ir` and the native middlewares' IR."""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

from astraapi.exceptions import DeclarationError
from astraapi.ir.nodes import AppIR, CorsIR, GzipIR, IR_VERSION, TrustedHostIR
from astraapi.routing import FrontendRoute, Mount
from astraapi.introspection.analyzer import _Analyzer
from astraapi.introspection.records import AppAnalysis, RouteAnalysis

_cache: weakref.WeakKeyDictionary[Any, tuple[tuple[int, ...], AppAnalysis]] = weakref.WeakKeyDictionary()


def analyze_app(app: Any) -> AppAnalysis:
    """Analyse every route of `app` (cached until the app's route list changes)."""
    records = served_records(app)
    key = tuple(id(route) for route in records)
    cached = _cache.get(app)
    if cached is not None and cached[0] == key:
        return cached[1]
    analysis = _Analyzer(getattr(getattr(app, "router", None), "form_limits", None)).run(records)
    _cache[app] = (key, analysis)
    return analysis


def analyze_records(records: Iterable[Any]) -> AppAnalysis:
    """Analyse route records that an app does not serve (webhooks, callbacks, a router's routes
    documented by `get_openapi`), uncached; inclusions as their routes are served."""
    from astraapi._routing.include import flat_records

    return _Analyzer().run(flat_records(list(records)))


def served_records(app: Any) -> list[Any]:
    """What the app serves, in router precedence: routes and mounts in declaration order, then
    the frontends (low priority), the most specific prefix first."""
    from astraapi._routing.include import flat_records, low_priority_records

    low = low_priority_records(getattr(app, "router", None))
    frontends = [record for record in low if isinstance(record, FrontendRoute)]
    return [*flat_records(app.routes), *(record for record in low if not isinstance(record, FrontendRoute)),
            *sorted(frontends, key=lambda frontend: -frontend.specificity)]


def analyze_route(app: Any, index: int) -> RouteAnalysis:
    """Analyse one route of `app` (compiled mode, on the route's first request)."""
    analyzer = _Analyzer(getattr(getattr(app, "router", None), "form_limits", None))
    result = None
    first = 0  # the IR index of the record's first route: a mount or frontend may make several
    for record in served_records(app):
        if isinstance(record, (Mount, FrontendRoute)):
            count = _mount_route_count(record)
            if first <= index < first + count:
                result = analyzer._mount(first, record)[index - first]
                break
            first += count
        elif first == index:
            result = analyzer._route(index, record)
            break
        else:
            first += 1
    if analyzer.problems or result is None:
        raise DeclarationError(analyzer.problems or [f"the app has no route {index}"])
    return result


def _mount_route_count(record: Any) -> int:
    """How many IR routes `_Analyzer._mount` makes of a mount or frontend record."""
    if isinstance(record, FrontendRoute):
        return len(record.route_paths()) * (2 if record.dependencies else 1)
    return 1


def build_ir(app: Any, app_ref: str | None = None, *, openapi: bool = True) -> AppIR:
    """The app's IR. `openapi=False` leaves out what only the OpenAPI document needs (JSON
    schemas, descriptions): the serving IR, which builds, compiled modules and start-up use;
    the document itself is made on first request, as FastAPI does."""
    from astraapi.introspection.openapi_schema import app_openapi_parts

    analysis = analyze_app(app)
    if openapi:
        routes, openapi_fields = app_openapi_parts(app, analysis)  # the routes with their OpenAPI fields
    else:
        routes, openapi_fields = tuple(route.ir for route in analysis.routes), {}
    return AppIR(
        ir_version=IR_VERSION,
        app_ref=app_ref,
        title=app.title,
        version=app.version,
        redirect_slashes=app.redirect_slashes,
        routes=routes,
        models=analysis.models,
        **openapi_fields,
        sync_endpoints=getattr(app, "sync_endpoints", "threadpool"),
        gzip=_gzip_ir(app),
        cors=_cors_ir(app),
        middleware_order=_middleware_order(app),
        trusted_host=_trusted_host_ir(app),
        https_redirect="https_redirect" in _middleware_order(app),
        strict_content_type=bool(getattr(app, "strict_content_type", True)),
        max_body_size=getattr(app, "max_body_size", None),
    )


def _gzip_ir(app: Any) -> GzipIR | None:
    from astraapi.middleware.gzip import GZipMiddleware

    for entry in getattr(app, "user_middleware", ()):
        if entry.cls is GZipMiddleware:
            settings = GZipMiddleware(None, *entry.args, **entry.kwargs)
            return GzipIR(settings.minimum_size, settings.compresslevel, settings.exclude_content_types)
    return None


def _cors_ir(app: Any) -> CorsIR | None:
    from astraapi.middleware.cors import CORSMiddleware

    for entry in getattr(app, "user_middleware", ()):
        if entry.cls is CORSMiddleware:
            s = CORSMiddleware(None, *entry.args, **entry.kwargs)
            return CorsIR(s.allow_origins, s.allow_methods, s.allow_headers, s.allow_credentials,
                          s.allow_origin_regex, s.allow_private_network, s.expose_headers, s.max_age)
    return None


def _trusted_host_ir(app: Any) -> TrustedHostIR | None:
    from astraapi.middleware.trustedhost import TrustedHostMiddleware

    for entry in getattr(app, "user_middleware", ()):
        if entry.cls is TrustedHostMiddleware:
            s = TrustedHostMiddleware(None, *entry.args, **entry.kwargs)
            return TrustedHostIR(s.allowed_hosts, s.www_redirect)
    return None


def _middleware_order(app: Any) -> tuple[str, ...]:
    """The native middlewares, outermost first (`user_middleware` is kept in that order)."""
    from astraapi.middleware.cors import CORSMiddleware
    from astraapi.middleware.gzip import GZipMiddleware
    from astraapi.middleware.httpsredirect import HTTPSRedirectMiddleware
    from astraapi.middleware.trustedhost import TrustedHostMiddleware

    names = {GZipMiddleware: "gzip", CORSMiddleware: "cors", TrustedHostMiddleware: "trusted_host",
             HTTPSRedirectMiddleware: "https_redirect"}
    return tuple(names[entry.cls] for entry in getattr(app, "user_middleware", ()) if entry.cls in names)
