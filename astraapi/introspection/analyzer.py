"""The route analyser: one route (or mount) record -> RouteAnalysis, with its parameters and its
dependency tree; problems are collected with the user's file:line and raised together."""

from __future__ import annotations

import copy
import dataclasses
import functools
import inspect
import os
import typing
import warnings
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, get_args, get_origin

from pydantic import TypeAdapter
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from astraapi import _starlette_compat as starlette_compat
from astraapi import params
from astraapi.exceptions import DeclarationError
from astraapi.ir.nodes import DependencyIR, ParamIR, RouteIR, SourceLoc, TypeRef
from astraapi.responses import JSONResponse, Response
from astraapi.datastructures import DefaultPlaceholder
from astraapi.introspection.incex import IncExError, incex_json
from astraapi.routing import APIRoute, FrontendRoute, Mount
from astraapi._routing.include import is_low_priority
from astraapi.introspection.annotations import (
    _constraints,
    _is_complex,
    _is_generator_callable,
    _is_scalar_sequence,
    is_sequence as is_sequence_annotation,
    _json_or_none,
    _lenient_issubclass,
    _qualified,
    _stream_item_type,
    is_sequence as annotation_is_sequence,
    strip_annotated,
    endpoint_is_async,
    endpoint_ref,
    path_param_names,
    source_path,
)
from astraapi.introspection.dependencies import (
    _PrefixedProblems,
    _body_is_form,
    _dependency_kind,
    _depends_marker,
    embed_body,
    _is_instance_call,
    _looks_like_foreign_marker,
    _scheme_json,
    _should_embed,
    _signature_entries,
    _special_location,
    _unwrap_call,
    form_model_type,
)
from astraapi.introspection.forms import FormField, is_json_field, union_annotation, whole_form_models
from astraapi.introspection.models import _model_ir
from astraapi.introspection.source_lines import class_line
from astraapi.introspection.params import (
    _group_field_ir,
    _is_bytes_annotation,
    _is_upload_file_annotation,
    _param_group,
    _param_model_type,
)
from astraapi.introspection.records import (
    AppAnalysis,
    DependantAnalysis,
    ParamAnalysis,
    ParamGroup,
    RouteAnalysis,
)
from astraapi.introspection.types import _TypeMapper, type_text

# --------------------------------------------------------------------------- routes


def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def _param_adapter(field_info: FieldInfo) -> TypeAdapter[Any]:
    """A TypeAdapter validating one parameter value: its type, metadata (constraints) and Field options."""
    with warnings.catch_warnings():
        # Field attributes such as alias do not apply to a bare TypeAdapter; pydantic warns.
        warnings.simplefilter("ignore")
        parts = field_info.asdict()
        attributes = {k: v for k, v in parts["attributes"].items() if k not in ("default", "default_factory")}
        return TypeAdapter(Annotated[(parts["annotation"], *parts["metadata"], FieldInfo(**attributes))])


class _RouteProblems:
    def __init__(self, route: APIRoute, sink: list[str]) -> None:
        self.prefix = (
            f"{source_path(route.decl_file)}:{route.decl_line}: "
            f"{'/'.join(route.methods)} {route.path} (endpoint {endpoint_ref(route.endpoint)}): "
        )
        self.sink = sink
        self.count = 0

    def add(self, message: str) -> None:
        self.sink.append(self.prefix + message)
        self.count += 1


class _Analyzer:
    def __init__(self, app_form_limits: Mapping[str, int] | None = None) -> None:
        self.problems: list[str] = []
        self.mapper = _TypeMapper()
        self.app_form_limits = dict(app_form_limits or {})

    def form_limits(self, route: APIRoute) -> tuple[tuple[str, int], ...]:
        """The form limits in effect for `route` (the app's, then its includes', then its own), sorted."""
        merged = {**self.app_form_limits, **getattr(route, "form_limits", {})}
        return tuple(sorted(merged.items()))

    def run(self, routes: Sequence[APIRoute]) -> AppAnalysis:
        analyses = []
        for route in routes:
            if isinstance(route, (Mount, FrontendRoute)):
                analyses.extend(self._mount(len(analyses), route))
                continue
            result = self._route(len(analyses), route)
            if result is not None:
                analyses.append(result)
        if self.problems:
            raise DeclarationError(self.problems)
        models = []
        done: set[str] = set()
        while len(done) < len(self.mapper.models):  # _model_ir may reach further models
            for key in sorted(self.mapper.models):
                if key not in done:
                    done.add(key)
                    models.append(_model_ir(self.mapper.models[key], self.mapper))
        return AppAnalysis(routes=tuple(analyses), models=tuple(sorted(models, key=lambda m: m.key)))

    def _mount(self, index: int, record: Mount | FrontendRoute) -> list[RouteAnalysis]:
        """A mount or frontend: IR routes that take every method, no endpoint to analyse."""
        from astraapi.staticfiles import StaticFiles

        if isinstance(record, FrontendRoute):
            kind = "frontend"
        else:
            from astraapi.applications import AstraAPI

            kind = ("static" if isinstance(record.app, StaticFiles)
                    else "app" if isinstance(record.app, AstraAPI) else "asgi")
        paths = record.route_paths() if isinstance(record, FrontendRoute) else (record.route_path,)
        app = record.app
        out: list[RouteAnalysis] = []
        for path in paths:
            if kind == "frontend" and record.dependencies:
                # FastAPI runs the router's dependencies before a frontend's GET/HEAD answer: an
                # ordinary route (low priority) whose endpoint asks the files; other methods
                # fall through to the mount route below.
                from astraapi.frontend import guarded_endpoint

                guarded = APIRoute(path=path, endpoint=guarded_endpoint(app, path.endswith("{path:path}")),
                                   methods=("GET", "HEAD"),
                                   name=record.name or "", decl_file=record.decl_file, decl_line=record.decl_line,
                                   include_in_schema=False, dependencies=record.dependencies,
                                   max_body_size=record.max_body_size)
                analysis = self._route(index + len(out), guarded)
                if analysis is not None:
                    out.append(dataclasses.replace(analysis, ir=dataclasses.replace(analysis.ir,
                                                                                    mount="frontend-guarded")))
            ir = RouteIR(
                index=index + len(out),
                path=path,
                methods=("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"),
                name=record.name or "",
                endpoint=f"{type(app).__module__}:{type(app).__qualname__}",
                source=SourceLoc(source_path(record.decl_file), record.decl_line),
                is_async=True,
                params=(),
                response_model=None,
                status_code=None,
                response_class=type(app).__name__,
                include_in_schema=False,
                tags=(),
                mount=kind,
                max_body_size=record.max_body_size,
                form_limits=self.form_limits(record),  # what a mounted app inherits
            )
            out.append(RouteAnalysis(route=record, ir=ir, params=(), response_annotation=None, response_adapter=None,
                                     source_file=os.path.abspath(record.decl_file), source_line=record.decl_line))
        return out

    def _route(self, index: int, route: APIRoute) -> RouteAnalysis | None:
        problems = _RouteProblems(route, self.problems)
        endpoint = route.endpoint
        if not callable(endpoint):
            problems.add("the endpoint is not callable")
            return None
        is_generator = _is_generator_callable(endpoint)
        try:
            signature = inspect.signature(endpoint)
            hints = typing.get_type_hints(_annotated_function(endpoint), include_extras=True)
        except (NameError, TypeError, ValueError) as error:
            problems.add(f"cannot read the endpoint's signature or annotations: {error}")
            return None

        path_params = path_param_names(route.path)
        path_names = [name for name, _ in path_params]
        seen_names: set[str] = set()
        entries: list[tuple[str, Any, Any]] = []
        for name, parameter in signature.parameters.items():
            seen_names.add(name)
            annotation = hints.get(name, parameter.annotation)
            if hasattr(annotation, "__value__") and type(annotation).__name__ == "TypeAliasType":
                annotation = annotation.__value__  # a PEP 695 alias (`type X = Annotated[...]`) declares what it names
            entries.append((name, annotation, parameter.default))
        route_deps: list[DependantAnalysis] = []
        for depends in getattr(route, "dependencies", ()):
            if not isinstance(depends, params.Depends) or not callable(depends.dependency):
                problems.add(f"dependencies=[...] entry {depends!r} is not a Depends()/Security() with a callable")
                continue
            sub = self._dependency(depends, None, set(path_names), problems, (), 0)
            if sub is not None:
                route_deps.append(sub)
        param_analyses, own_deps = self._dependant_params(entries, set(path_names), problems, (), 0)
        dependant = DependantAnalysis(call=endpoint, name=None, params=tuple(param_analyses),
                                      dependencies=tuple(route_deps + own_deps),
                                      kind="coroutine" if endpoint_is_async(endpoint) else "function")
        body_params = [p for node in dependant.walk() for p in node.params if p.ir.location == "body"]
        body_embedded = _should_embed(body_params)
        body_is_form = _body_is_form(body_params, body_embedded)
        if body_embedded:
            dependant = embed_body(dependant)
            param_analyses = list(dependant.params)
        for node in dependant.walk():
            for p in node.params:
                if p.ir.location == "body":
                    self.mapper.ref(p.annotation)

        response_annotation, response_class, response_class_is_default = self._response(route, hints, problems)
        stream = None
        stream_item_adapter = None
        stream_item_type = None
        if is_generator:
            from astraapi.sse import EventSourceResponse, ServerSentEvent

            stream = "jsonl" if response_class_is_default else "raw"
            if _lenient_issubclass(response_class, EventSourceResponse):
                stream = "sse"
            if isinstance(route.response_model, DefaultPlaceholder):
                item_type = _stream_item_type(hints.get("return"))
                if item_type is not None:
                    response_annotation = None
                    if stream == "jsonl" or (stream == "sse" and not _lenient_issubclass(item_type, ServerSentEvent)):
                        stream_item_type = item_type
                    if stream in ("jsonl", "sse") and item_type is not Any \
                            and not _lenient_issubclass(item_type, ServerSentEvent):
                        try:
                            stream_item_adapter = _adapter(item_type)
                        except Exception as error:
                            problems.add(f"stream item type {type_text(item_type)} is not supported by pydantic: "
                                         f"{error}")
        response_adapter = None
        response_ref = None
        if response_annotation is not None:
            try:
                response_adapter = _adapter(response_annotation)
            except Exception as error:  # pydantic reports unsupported types with several classes
                problems.add(f"response model {type_text(response_annotation)} is not supported by pydantic: {error}")
            response_ref = self.mapper.ref(response_annotation)
            if route.status_code is not None and (route.status_code < 200 or route.status_code in (204, 205, 304)):
                problems.add(f"status code {route.status_code} must not have a response body, but a response model is set")

        try:
            source_file = inspect.getsourcefile(endpoint) or route.decl_file
            code = getattr(inspect.unwrap(endpoint), "__code__", None)
            # co_firstlineno is what getsourcelines reports, without re-reading the file
            source_line = code.co_firstlineno if code is not None else inspect.getsourcelines(endpoint)[1]
        except (OSError, TypeError):
            source_file, source_line = route.decl_file, route.decl_line

        include_json = exclude_json = None
        try:
            include_json = incex_json(route.response_model_include, "response_model_include")
            exclude_json = incex_json(route.response_model_exclude, "response_model_exclude")
        except IncExError as exc:
            problems.add(str(exc))
        if problems.count:
            return None
        ir = RouteIR(
            index=index,
            path=route.path,
            methods=route.methods,
            name=route.name,
            endpoint=endpoint_ref(endpoint),
            source=SourceLoc(source_path(route.decl_file), route.decl_line),
            is_async=endpoint_is_async(endpoint),
            params=tuple(p.ir for p in param_analyses),
            response_model=response_ref,
            status_code=route.status_code,
            response_class=response_class.__name__,
            include_in_schema=route.include_in_schema,
            tags=route.tags,
            summary=route.summary,
            response_class_is_default=response_class_is_default,
            response_model_by_alias=route.response_model_by_alias,
            response_model_exclude_unset=route.response_model_exclude_unset,
            response_model_exclude_defaults=route.response_model_exclude_defaults,
            response_model_exclude_none=route.response_model_exclude_none,
            response_model_include_json=include_json,
            response_model_exclude_json=exclude_json,
            body_embedded=body_embedded,
            dependencies=tuple(d.ir for d in dependant.dependencies if d.ir is not None),
            body_is_form=body_is_form,
            max_body_size=route.max_body_size,
            strict_content_type=route.strict_content_type,
            form_limits=self.form_limits(route),
            low_priority=is_low_priority(route),
        )
        return RouteAnalysis(
            route=route,
            ir=ir,
            params=tuple(param_analyses),
            response_annotation=response_annotation,
            response_adapter=response_adapter,
            source_file=source_file,
            source_line=source_line,
            dependant=dependant,
            stream=stream,
            stream_item_adapter=stream_item_adapter,
            stream_item_type=stream_item_type,
        )

    # ------------------------------------------------------------------ dependencies

    def _dependant_params(
        self, entries: list[tuple[str, Any, Any]], path_names: set[str], problems: _RouteProblems,
        parent_scopes: tuple[str, ...], depth: int, owner: Any = None,
    ) -> tuple[list[ParamAnalysis], list[DependantAnalysis]]:
        """Analyse one callable's parameters: request parameters, special ones, `Depends`."""
        found: list[ParamAnalysis] = []
        deps: list[DependantAnalysis] = []
        for name, annotation, default in entries:
            depends = _depends_marker(annotation, default)
            if depends is not None:
                if depends.dependency is None:
                    depends = depends._with_dependency(strip_annotated(annotation))
                if owner is not None and owner.computed_scope == "request" and depends.scope == "function" \
                        and owner.kind in ("generator", "async_generator"):
                    problems.add(
                        f'the dependency "{getattr(owner.call, "__name__", "<unnamed_callable>")}" has a scope of '
                        f'"request", it cannot depend on dependencies with scope "function"'
                    )
                    continue
                sub = self._dependency(depends, name, path_names, problems, parent_scopes, depth + 1)
                if sub is not None:
                    deps.append(sub)
                continue
            result = self._param(name, annotation, default, path_names, problems)
            if result is not None:
                found.append(result)
        return found, deps

    def _dependency(
        self, depends: params.Depends, name: str | None, path_names: set[str], problems: _RouteProblems,
        parent_scopes: tuple[str, ...], depth: int,
    ) -> DependantAnalysis | None:
        call = depends.dependency
        label = endpoint_ref(call) if not _is_instance_call(call) else f"{_qualified(type(call))} instance"
        if depth > 64:
            problems.add(f"dependency {label}: the dependency chain is deeper than 64 (a cycle?)")
            return None
        if not callable(call):
            problems.add(f"parameter {name!r}: Depends() needs a callable, got {call!r}")
            return None
        own_scopes = tuple(depends.scopes or ()) if isinstance(depends, params.Security) else ()
        return self.dependant_for(call, name=name, path_names=path_names, problems=problems,
                                  own_scopes=own_scopes, parent_scopes=parent_scopes, use_cache=depends.use_cache,
                                  scope=depends.scope, concurrency=depends._concurrency,
                                  is_security=isinstance(depends, params.Security), depth=depth)

    def dependant_for(
        self, call: Any, *, name: str | None, path_names: set[str], problems: _RouteProblems,
        own_scopes: tuple[str, ...] = (), parent_scopes: tuple[str, ...] = (), use_cache: bool = True,
        scope: str | None = None, concurrency: Any = None, is_security: bool = False, depth: int = 0,
    ) -> DependantAnalysis | None:
        label = endpoint_ref(call) if not _is_instance_call(call) else f"{_qualified(type(call))} instance"
        before = problems.count
        try:
            entries = _signature_entries(call)
        except (NameError, TypeError, ValueError) as error:
            problems.add(f"dependency {label}: cannot read its signature or annotations: {error}")
            return None
        kind = _dependency_kind(call)
        computed_scope = scope or ("request" if kind in ("generator", "async_generator") else None)
        current_scopes = parent_scopes + own_scopes
        effective = list(parent_scopes)
        for item in own_scopes:
            if item not in effective:
                effective.append(item)
        shell = DependantAnalysis(call=call, name=name, params=(), dependencies=(), kind=kind,
                                  computed_scope=computed_scope)
        sub_problems = _PrefixedProblems(problems, f"dependency {label}: ")
        found, deps = self._dependant_params(entries, path_names, sub_problems, current_scopes, depth, owner=shell)
        if problems.count != before:
            return None
        from astraapi.security.base import SecurityBase

        scheme = _unwrap_call(call)
        is_scheme = isinstance(scheme, SecurityBase)
        uses_scopes = bool(own_scopes) or is_scheme or any(p.ir.location == "security_scopes" for p in found) or any(
            d.uses_scopes for d in deps)
        source_file, source_line = "<unknown>", 0
        try:
            target = type(call) if _is_instance_call(call) else _unwrap_call(call)
            source_file = source_path(inspect.getsourcefile(target) or "<unknown>")
            # a class's line without inspect's AST parse (gh-106905: not on a server thread, on 3.11)
            source_line = class_line(target) if isinstance(target, type) else inspect.getsourcelines(target)[1]
        except (OSError, TypeError):
            pass
        ir = DependencyIR(
            name=name,
            call=endpoint_ref(type(call)) if _is_instance_call(call) else endpoint_ref(call),
            kind=kind,
            use_cache=use_cache,
            scope=scope,
            params=tuple(p.ir for p in found),
            dependencies=tuple(d.ir for d in deps if d.ir is not None),
            source=SourceLoc(source_file, source_line),
            is_security=is_security,
            scopes=own_scopes,
            effective_scopes=tuple(effective),
            max_concurrency=concurrency.max_concurrency if concurrency is not None else None,
            security_scheme_name=scheme.scheme_name if is_scheme else None,
            security_scheme_json=_scheme_json(scheme) if is_scheme else None,
            cache_scopes=tuple(sorted(set(effective))) if uses_scopes else (),
        )
        return DependantAnalysis(
            call=call, name=name, params=tuple(found), dependencies=tuple(deps), kind=kind, use_cache=use_cache,
            scope=scope, computed_scope=computed_scope, own_scopes=own_scopes, parent_scopes=parent_scopes,
            effective_scopes=tuple(effective), uses_scopes=uses_scopes, concurrency=concurrency, ir=ir,
        )

    def _response(
        self, route: APIRoute, hints: dict[str, Any], problems: _RouteProblems
    ) -> tuple[Any, type[Response], bool]:
        response_class = route.response_class
        is_default = isinstance(response_class, DefaultPlaceholder)
        if is_default:
            response_class = JSONResponse
        elif not _lenient_issubclass(response_class, Response) and not starlette_compat.is_response_class(response_class):
            problems.add(f"response_class {response_class!r} is not an astraapi.responses.Response subclass")
            response_class = JSONResponse
        annotation = route.response_model
        if isinstance(annotation, DefaultPlaceholder):
            annotation = hints.get("return")
            returned = strip_annotated(annotation)
            if _lenient_issubclass(returned, Response) or starlette_compat.is_response_class(returned):
                annotation = None
        if annotation is type(None):
            annotation = None
        return annotation, response_class, is_default

    def _param(
        self, name: str, annotation: Any, default: Any, path_names: set[str], problems: _RouteProblems
    ) -> ParamAnalysis | None:
        is_path = name in path_names
        empty = inspect.Parameter.empty
        if annotation is empty:
            annotation = Any
        type_annotation = strip_annotated(annotation)

        marker: FieldInfo | None = None
        if get_origin(annotation) is Annotated:
            markers = [m for m in get_args(annotation)[1:] if isinstance(m, (params.Param, params.Body))]
            if markers:
                marker = markers[-1]
                if marker.default is not PydanticUndefined and marker.default is not ...:
                    problems.add(
                        f"parameter {name!r}: `{type(marker).__name__}` default value cannot be set in "
                        f"`Annotated`; set the default with `=` instead"
                    )
                    return None
                if default is not empty and is_path:
                    problems.add(f"path parameter {name!r} cannot have a default value")
                    return None
        if isinstance(default, FieldInfo):
            if marker is not None:
                problems.add(f"parameter {name!r}: a marker in `Annotated` and another as the default value")
                return None
            if not isinstance(default, (params.Param, params.Body)):
                problems.add(f"parameter {name!r}: use Query(), Path(), Header(), Cookie() or Body(), not Field()")
                return None
            marker = default
            if get_origin(annotation) is Annotated and not any(
                    isinstance(m, FieldInfo) for m in get_args(annotation)[1:]):
                # As FastAPI reads `x: Annotated[T, ...] = Body()`: the marker's field on T, without the other
                # metadata of the Annotated (a Discriminator there is not applied, nor documented).
                annotation = get_args(annotation)[0]
        elif default is not empty and _looks_like_foreign_marker(default):
            problems.add(
                f"parameter {name!r}: {type(default).__module__}.{type(default).__qualname__} is not supported "
                "(markers must come from astraapi, not fastapi)"
            )
            return None

        special = _special_location(type_annotation)
        if special is not None:
            if marker is not None:
                problems.add(f"parameter {name!r}: a {type_text(type_annotation)} parameter cannot have a marker")
                return None
            return ParamAnalysis(
                ir=ParamIR(name=name, alias=name, location=special,
                           type=TypeRef(kind="other", text=getattr(type_annotation, "__name__", special)),
                           required=False, default_json=None, constraints=()),
                annotation=annotation, field_info=None, adapter=None,
            )

        # The merged pydantic FieldInfo: annotation, metadata (constraints), alias, default.
        if default is not empty:
            field_info = FieldInfo.from_annotated_attribute(annotation, default)
        else:
            field_info = FieldInfo.from_annotation(annotation)

        if marker is None and not is_path and _is_upload_file_annotation(type_annotation):
            marker = params.File()  # FastAPI reads an UploadFile parameter from the form without a marker
        if marker is None:
            if is_path:
                location = "path"
            elif _is_complex(type_annotation):
                location = "body"
            else:
                location = "query"
        elif isinstance(marker, params.Body):
            location = "body"
        else:
            declared_in = getattr(marker, "in_", None)  # a bare Param() is a query parameter, as in FastAPI
            location = declared_in.value if declared_in is not None else "query"

        if is_path and location != "path":
            problems.add(f"Cannot use `{type(marker).__name__}` for path param {name!r}")
            return None
        if is_path:
            field_info = copy.copy(field_info)
            field_info.default = PydanticUndefined  # path parameters are always required
            field_info.default_factory = None

        alias, alias_choices = _request_key(name, location, field_info, marker, path_names)
        # A pydantic Json[...] value is one text, whatever its type (FastAPI reads it as a single value).
        is_json = is_json_field(field_info)
        group: ParamGroup | None = None
        if isinstance(marker, (params.Query, params.Header, params.Cookie)) and not is_json:
            model = _param_model_type(type_annotation)
            if model is not None:
                group = _param_group(name, model, model is not type_annotation, location, marker, problems)
                if group is None:
                    return None

        is_sequence = False
        is_form = isinstance(marker, params.Form)
        form_models = whole_form_models(marker, field_info) if is_form else ()
        if len(form_models) > 1:  # a union of models: each member reads the form on its own
            field_info = copy.copy(field_info)
            field_info.annotation = union_annotation(field_info.annotation, form_models)
        if is_form and not form_models and not is_json:
            if _is_complex(type_annotation) and not _is_scalar_sequence(type_annotation) \
                    and form_model_type(type_annotation) is None:
                problems.add(f"form parameter {name!r}: only scalar values, lists of scalars and a pydantic model "
                             f"(or an optional one) are supported, not {type_text(type_annotation)}")
                return None
            is_sequence = _is_scalar_sequence(type_annotation)
        if location == "path" and _is_complex(type_annotation):
            problems.add(f"path parameter {name!r} must be a scalar type, not {type_text(type_annotation)}")
            return None
        if location in ("query", "header", "cookie") and group is None and not is_json \
                and _is_complex(type_annotation):
            # As FastAPI: a query parameter must be a scalar or a list of scalars (refused at declaration);
            # a header of a sequence type collects every occurrence; other types read one value (and a
            # value that is not valid for the type is a 422, as in FastAPI).
            if location == "query":
                if not _is_scalar_sequence(type_annotation):
                    problems.add(f"Query parameter {name!r} must be one of the supported types "
                                 f"(a scalar type or a list of scalars, not {type_text(type_annotation)})")
                    return None
                is_sequence = True
            elif location == "header":
                is_sequence = is_sequence_annotation(type_annotation)

        try:
            adapter = _param_adapter(field_info)
        except Exception as error:  # pydantic raises several error classes for unsupported types
            problems.add(f"parameter {name!r}: type {type_text(type_annotation)} is not supported by pydantic: {error}")
            return None

        required = field_info.is_required()
        ir = ParamIR(
            name=name,
            alias=alias,
            location=location,
            type=self.mapper.ref(type_annotation) if location == "body" else _TypeMapper().ref(type_annotation),
            required=required,
            default_json=None if required or field_info.default_factory is not None else _json_or_none(field_info.default),
            constraints=_constraints(field_info),
            embed=bool(getattr(marker, "embed", False)),
            is_sequence=is_sequence,
            is_form=is_form,
            media_type=marker.media_type if isinstance(marker, params.Body) else None,
            alias_choices=alias_choices,
            fields=() if group is None else tuple(_group_field_ir(f, location, group.optional and not required)
                                                  for f in group.fields),
            form_models=tuple(self.mapper.ref(m.model).model or "" for m in form_models),
        )
        return ParamAnalysis(ir=ir, annotation=annotation, field_info=field_info, adapter=adapter,
                             reads_file_bytes=isinstance(marker, params.File) and _is_bytes_annotation(type_annotation),
                             group=group, form_models=form_models,
                             form_field=FormField(name, alias_choices or (alias,), annotation_is_sequence(
                                 field_info.annotation) and not is_json)
                             if is_form and not form_models else None)


def _request_key(name: str, location: str, field_info: FieldInfo, marker: Any,
                 path_names: set[str]) -> tuple[str, tuple[str, ...]]:
    """The key a parameter is read under, and its AliasChoices keys (tried in order), as FastAPI reads
    them: the merged field's string `validation_alias`, else its `alias` (a Field() beside the marker
    in `Annotated` counts; a header's name converts underscores when neither is given), else the name.
    AliasChoices of plain names are tried in order (a path parameter takes the first one the route's
    path has); an AliasPath, or choices holding one, is not a request key: the alias is read."""
    if not field_info.alias and location == "header" and getattr(marker, "convert_underscores", True):
        alias = name.replace("_", "-")
    else:
        alias = field_info.alias or name
    validation_alias = field_info.validation_alias
    if isinstance(validation_alias, str) and validation_alias:
        return validation_alias, ()
    choices = getattr(validation_alias, "choices", None)
    if choices is None or not all(isinstance(choice, str) for choice in choices):
        return alias, ()
    if location == "path":
        chosen = next((choice for choice in choices if choice in path_names), None)
        return (chosen, ()) if chosen is not None else (alias, ())
    return choices[0], tuple(choices)


def analyze_dependency(call: Any, **options: Any) -> DependantAnalysis | None:
    """One dependency's analysis outside a route's (a dependency override, analysed when first
    used); `options` as `_Analyzer.dependant_for` takes them. None: problems were reported."""
    return _Analyzer().dependant_for(call, **options)


def _annotated_function(endpoint: Any) -> Any:
    """Where an endpoint's annotations are: a functools.partial's (nested) function, as FastAPI reads them."""
    while isinstance(endpoint, functools.partial):
        endpoint = endpoint.func
    return endpoint
