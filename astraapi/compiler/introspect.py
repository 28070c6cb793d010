"""App declarations -> App IR. The only module that inspects user functions and annotations.

`analyze_app(app)` reads every recorded route once: the endpoint's signature and type hints,
parameter markers, the response model, the pydantic validators each needs. It produces
`RouteAnalysis` objects that keep the live Python objects (annotations, TypeAdapters) the
request engine needs, and `build_ir(app)` turns them into the plain IR. Problems in the
declarations are collected across all routes and raised together as one
`DeclarationError`, each naming the user's file:line and endpoint.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import decimal
import functools
import inspect
import json
import os
import re
import sys
import types
import typing
import uuid
import warnings
import weakref
from collections import deque
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, RootModel, TypeAdapter
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from astraapi import params
from astraapi.compiler.ir import (
    CorsIR,
    TrustedHostIR,
    GzipIR,
    IR_VERSION,
    AppIR,
    DependencyIR,
    FieldIR,
    ModelIR,
    ParamIR,
    RouteIR,
    SourceLoc,
    TypeRef,
)
from astraapi.compiler.module_names import module_of
from astraapi.compiler.source_lines import class_line
from astraapi.encoders import jsonable_encoder
from astraapi.exceptions import DeclarationError
from astraapi.background import BackgroundTasks
from astraapi.requests import HTTPConnection
from astraapi.responses import JSONResponse, Response
from astraapi.routing import APIRoute, Default, FrontendRoute, Mount

_PATH_PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-zA-Z_][a-zA-Z0-9_]*))?}")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_SEQUENCE_TYPES: tuple[type, ...] = (list, tuple, set, frozenset, deque, Sequence)
_UNION_ORIGINS = (Union, types.UnionType)


# --------------------------------------------------------------------------- live analysis


@dataclasses.dataclass(frozen=True)
class ParamAnalysis:
    """One endpoint parameter: the IR's view plus the live objects validation needs."""

    ir: ParamIR
    annotation: Any  # the annotation as written (Annotated kept)
    field_info: FieldInfo | None  # merged pydantic FieldInfo; None for a Request parameter
    adapter: TypeAdapter[Any] | None  # validates one value of this parameter
    reads_file_bytes: bool = False  # a File() parameter typed bytes (or a list of bytes): the upload's content
    group: ParamGroup | None = None  # a parameter model (Query/Header/Cookie typed with a pydantic model)


@dataclasses.dataclass(frozen=True)
class GroupField:
    """One field of a parameter model: where its value is read, as FastAPI reads it."""

    name: str
    aliases: tuple[tuple[str, str], ...]  # (key in the validated dict, key in the request), preferred first
    is_sequence: bool  # every occurrence (query, header), not one
    field_info: FieldInfo


@dataclasses.dataclass(frozen=True)
class ParamGroup:
    """A parameter model: its fields are read from one location into a dict (plus the request's other
    keys there, for the model's `extra` policy) that the model validates as a whole."""

    model: type[BaseModel]
    optional: bool  # declared `Model | None`: absent unless one of its keys (or, for extra allow/forbid, any) is there
    fields: tuple[GroupField, ...]
    extra_policy: bool  # model_config extra is "allow" or "forbid"
    loc_by_alias: bool


SPECIAL_LOCATIONS = ("request", "response", "background_tasks", "security_scopes")


@dataclasses.dataclass(frozen=True, eq=False)
class DependantAnalysis:
    """The endpoint or one dependency: its own parameters and its sub-dependencies, with the
    live objects the engine calls. For a dependency, `ir` is its DependencyIR node."""

    call: Any
    name: str | None  # the parameter it fills in its parent; None for the endpoint and dependencies=[...]
    params: tuple[ParamAnalysis, ...]  # request parameters and special parameters, declaration order
    dependencies: tuple[DependantAnalysis, ...]
    kind: str = "coroutine"  # ir.DEPENDENCY_KINDS
    use_cache: bool = True
    scope: str | None = None  # as declared
    computed_scope: str | None = None  # "request" for a yield dependency without a declared scope
    own_scopes: tuple[str, ...] = ()
    parent_scopes: tuple[str, ...] = ()  # the chain's scopes as FastAPI concatenates them (may repeat)
    effective_scopes: tuple[str, ...] = ()
    uses_scopes: bool = False
    concurrency: Any = None
    ir: DependencyIR | None = None

    @property
    def cache_key(self) -> tuple[Any, ...]:
        scopes = tuple(sorted(set(self.effective_scopes))) if self.uses_scopes else ()
        return (self.call, scopes, self.computed_scope or "")

    def walk(self) -> Any:
        """Every node in FastAPI's flattening order (this one, then each dependency's subtree)."""
        yield self
        for sub in self.dependencies:
            yield from sub.walk()


@dataclasses.dataclass(frozen=True)
class RouteAnalysis:
    route: APIRoute
    ir: RouteIR
    params: tuple[ParamAnalysis, ...]
    response_annotation: Any  # None when the route has no response model
    response_adapter: TypeAdapter[Any] | None
    source_file: str  # absolute path of the endpoint's source, for runtime error messages
    source_line: int
    dependant: DependantAnalysis | None = None  # the endpoint with its dependency tree
    # Generator endpoints: "jsonl" (the default response class: JSON Lines, as FastAPI 0.165
    # streams them) or "raw" (the chosen response class gets the generator); the item adapter
    # validates and dumps each item when the return annotation names an item type.
    stream: str | None = None
    stream_item_adapter: TypeAdapter[Any] | None = None
    # A JSON Lines stream's declared item type (OpenAPI `itemSchema`); for "sse"
    # (response_class=EventSourceResponse) the item type (not a ServerSentEvent) documents the events' data.
    stream_item_type: Any = None


@dataclasses.dataclass(frozen=True)
class AppAnalysis:
    routes: tuple[RouteAnalysis, ...]
    models: tuple[ModelIR, ...]


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


def served_records(app: Any) -> list[Any]:
    """What the app serves, in router precedence: routes and mounts in declaration order, then
    the frontends (low priority), the most specific prefix first."""
    frontends = getattr(getattr(app, "router", None), "frontends", None) or []
    return [*app.routes, *sorted(frontends, key=lambda frontend: -frontend.specificity)]


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
    from astraapi.compiler.openapi_schema import app_openapi_parts

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


# --------------------------------------------------------------------------- helpers


def source_path(filename: str) -> str:
    """`filename` relative to the working directory when it lies inside it."""
    absolute = os.path.abspath(filename)
    cwd = os.getcwd()
    if absolute.startswith(cwd + os.sep):
        return os.path.relpath(absolute, cwd).replace(os.sep, "/")
    return absolute


def path_param_names(path: str) -> list[tuple[str, str]]:
    """(name, convertor) for each `{name}` / `{name:convertor}` in `path`, in order."""
    return [(m.group(1), m.group(2) or "str") for m in _PATH_PARAM.finditer(path)]


def _qualified(obj: Any) -> str:
    return f"{module_of(obj)}.{getattr(obj, '__qualname__', type(obj).__name__)}"


def endpoint_ref(endpoint: Any) -> str:
    target = endpoint.func if isinstance(endpoint, functools.partial) else endpoint
    module = module_of(target)
    qualname = getattr(target, "__qualname__", None) or type(target).__qualname__
    return f"{module}:{qualname}"


def _is_async_callable(call: Any) -> bool:
    while isinstance(call, functools.partial):
        call = call.func
    return inspect.iscoroutinefunction(call) or (
        not inspect.isroutine(call) and inspect.iscoroutinefunction(getattr(call, "__call__", None))
    )


def _is_generator_callable(call: Any) -> bool:
    while isinstance(call, functools.partial):
        call = call.func
    return inspect.isgeneratorfunction(call) or inspect.isasyncgenfunction(call)


def _stream_item_type(annotation: Any) -> Any:
    """The item type of an (async) iterable/iterator/generator annotation, as FastAPI reads it."""
    import collections.abc as abc

    origin = get_origin(annotation)
    if origin in (abc.AsyncIterable, abc.AsyncIterator, abc.AsyncGenerator, abc.Iterable, abc.Iterator,
                  abc.Generator):
        args = get_args(annotation)
        return args[0] if args else Any
    return None


def _json_or_none(value: Any) -> str | None:
    """Canonical JSON for a default or constraint value (sets sorted), None when not JSON-able."""
    try:
        return json.dumps(jsonable_encoder(_sorted_sets(value)), sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return None


def _sorted_sets(value: Any) -> Any:
    """Sets as lists in a process-independent order (set iteration order depends on hashing)."""
    if isinstance(value, (set, frozenset)):
        items = [_sorted_sets(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(jsonable_encoder(item), sort_keys=True))
    if isinstance(value, (list, tuple)):
        return [_sorted_sets(item) for item in value]
    if isinstance(value, dict):
        return {key: _sorted_sets(item) for key, item in value.items()}
    return value


def _lenient_issubclass(obj: Any, classes: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, classes)


def _strip_annotated(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if hasattr(annotation, "__value__") and type(annotation).__name__ == "TypeAliasType":
        return _strip_annotated(annotation.__value__)
    return annotation


def _is_complex(annotation: Any) -> bool:
    """FastAPI's notion of a non-scalar annotation (models, mappings, sequences, dataclasses)."""
    annotation = _strip_annotated(annotation)
    origin = get_origin(annotation)
    if origin in _UNION_ORIGINS:
        return any(_is_complex(arg) for arg in get_args(annotation))
    for candidate in (annotation, origin):
        if _lenient_issubclass(candidate, (str, bytes)):
            continue
        if _lenient_issubclass(candidate, (BaseModel, Mapping, *_SEQUENCE_TYPES)):
            return True
        if candidate is not None and dataclasses.is_dataclass(candidate):
            return True
    return hasattr(origin, "__pydantic_core_schema__") or hasattr(origin, "__get_pydantic_core_schema__")


def _is_sequence(annotation: Any) -> bool:
    annotation = _strip_annotated(annotation)
    origin = get_origin(annotation)
    if origin in _UNION_ORIGINS:
        return any(_is_sequence(arg) for arg in get_args(annotation))
    for candidate in (annotation, origin):
        if _lenient_issubclass(candidate, (str, bytes)):
            continue
        if _lenient_issubclass(candidate, _SEQUENCE_TYPES):
            return True
    return False


def _is_scalar_sequence(annotation: Any) -> bool:
    annotation = _strip_annotated(annotation)
    origin = get_origin(annotation)
    if origin in _UNION_ORIGINS:
        args = [a for a in get_args(annotation) if a is not type(None)]
        return any(_is_scalar_sequence(a) for a in args) and all(
            _is_scalar_sequence(a) or not _is_complex(a) for a in args
        )
    return _is_sequence(annotation) and all(
        arg is Ellipsis or not _is_complex(arg) for arg in get_args(annotation)
    )


def _constraints(field_info: FieldInfo) -> tuple[tuple[str, str], ...]:
    """The parameter's metadata as (name, JSON value). A value that is not JSON-able (a validator
    function, a compiled pattern) is named by its type, and a metadata object with a schema hook
    but no attributes by its class, so a generated decoder sees it and leaves the parameter to
    pydantic instead of skipping it."""
    found: dict[str, str] = {}
    for item in field_info.metadata:
        values = dataclasses.asdict(item) if dataclasses.is_dataclass(item) else getattr(item, "__dict__", {})
        if not values and callable(getattr(item, "__get_pydantic_core_schema__", None)):
            found[f"annotation {_type_name(type(item))}"] = "true"
        for name, value in values.items():
            if value is None or name.startswith("_"):
                continue
            text = _json_or_none(value)
            found[name] = text if text is not None else json.dumps(f"<{_type_name(type(value))}>")
    return tuple(sorted(found.items()))


def _type_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


# --------------------------------------------------------------------------- type references


class _TypeMapper:
    """Annotations -> TypeRef, collecting the pydantic models they reach."""

    _SIMPLE: dict[Any, str] = {
        int: "int", float: "float", str: "str", bool: "bool", type(None): "none", None: "none",
        Any: "any", datetime.datetime: "datetime", datetime.date: "date", datetime.time: "time",
        datetime.timedelta: "timedelta", uuid.UUID: "uuid", decimal.Decimal: "decimal", bytes: "bytes",
    }
    # Containers validated into another class than their kind's own (TypeRef.form).
    _FORMS: dict[Any, str] = {frozenset: "frozenset", deque: "deque"}
    _CONTAINERS: dict[Any, str] = {
        list: "list", Sequence: "list", deque: "list", set: "set", frozenset: "set", tuple: "tuple",
        dict: "dict", Mapping: "dict",
    }

    def __init__(self) -> None:
        self.models: dict[str, type[BaseModel]] = {}

    def ref(self, annotation: Any) -> TypeRef:
        annotation = _strip_annotated(annotation)
        text = type_text(annotation)
        simple = self._SIMPLE.get(annotation) if _hashable(annotation) else None
        if simple is not None:
            return TypeRef(kind=simple, text=text)
        origin = get_origin(annotation)
        args = get_args(annotation)
        if origin in _UNION_ORIGINS:
            rest = [a for a in args if a not in (type(None), None)]
            if len(rest) < len(args):
                inner = self.ref(rest[0]) if len(rest) == 1 else TypeRef(
                    kind="union", args=tuple(self.ref(a) for a in rest), text=" | ".join(type_text(a) for a in rest)
                )
                return TypeRef(kind="optional", args=(inner,), text=text)
            return TypeRef(kind="union", args=tuple(self.ref(a) for a in args), text=text)
        if origin is Literal:
            values = list(args)
            values_json = _json_or_none(values) if all(
                value is None or type(value) in (str, int, bool) for value in values) else None
            return TypeRef(kind="literal", text=text, enum_values_json=values_json)
        container = self._CONTAINERS.get(origin if origin is not None else annotation)
        if container is not None:
            form = self._FORMS.get(origin if origin is not None else annotation, "")
            if container == "tuple":
                if len(args) == 2 and args[1] is Ellipsis:
                    args = args[:1]
                elif origin is not None:  # tuple[X], tuple[X, Y], tuple[()]: a fixed length
                    form = "fixed"
            return TypeRef(kind=container, args=tuple(self.ref(a) for a in args), text=text, form=form)
        if _lenient_issubclass(annotation, BaseModel):
            key = _qualified(annotation)
            if key not in self.models:
                self.models[key] = annotation
                for field in annotation.model_fields.values():
                    self.ref(field.annotation)
            return TypeRef(kind="model", model=key, text=text)
        if _lenient_issubclass(annotation, Enum):
            values = [member.value for member in annotation]
            values_json = _json_or_none(values) if all(
                type(value) in (str, int) for value in values) else None
            return TypeRef(kind="enum", text=text, enum_key=_qualified(annotation), enum_values_json=values_json)
        return TypeRef(kind="other", text=text)


def _hashable(obj: Any) -> bool:
    try:
        hash(obj)
    except TypeError:
        return False
    return True


def type_text(annotation: Any) -> str:
    """A readable, process-independent rendering of an annotation."""
    if annotation is None or annotation is type(None):
        return "None"
    if annotation is Ellipsis:
        return "..."
    if annotation is Any:
        return "Any"
    origin = get_origin(annotation)
    if origin is Annotated:
        return type_text(get_args(annotation)[0])
    if origin is Literal:
        return "Literal[" + ", ".join(repr(a) for a in get_args(annotation)) + "]"
    if origin in _UNION_ORIGINS:
        return " | ".join(type_text(a) for a in get_args(annotation))
    if origin is not None:
        name = getattr(origin, "__qualname__", None) or _ADDRESS.sub("", repr(origin))
        args = get_args(annotation)
        return f"{name}[{', '.join(type_text(a) for a in args)}]" if args else name
    if isinstance(annotation, type):
        return annotation.__qualname__
    return _ADDRESS.sub("", repr(annotation)).replace("typing.", "")


# --------------------------------------------------------------------------- models


def _model_ir(cls: type[BaseModel], mapper: _TypeMapper) -> ModelIR:
    reasons: list[str] = []
    decorators = cls.__pydantic_decorators__
    for kind, label in (
        ("validators", "field validators"),
        ("field_validators", "field validators"),
        ("root_validators", "model validators"),
        ("model_validators", "model validators"),
        ("field_serializers", "field serializers"),
        ("model_serializers", "a model serializer"),
    ):
        if getattr(decorators, kind, None):
            reason = f"has {label}"
            if reason not in reasons:
                reasons.append(reason)
    if cls.model_computed_fields:
        reasons.append("has computed fields")
    config = cls.model_config
    if config.get("extra") == "allow":
        reasons.append('extra="allow"')
    for name in sorted(config):
        if name.startswith("ser_json_") or name in ("use_enum_values", "serialize_by_alias", "json_encoders"):
            reasons.append(f"model_config sets {name}")
    if issubclass(cls, RootModel):
        reasons.append("is a RootModel")
    generic = getattr(cls, "__pydantic_generic_metadata__", None) or {}
    if generic.get("parameters") or generic.get("origin") is not None:
        reasons.append("is a generic model")
    if "__get_pydantic_core_schema__" in vars(cls):
        reasons.append("defines __get_pydantic_core_schema__")

    fields: list[FieldIR] = []
    validation_reasons = _validation_config_reasons(config)
    decode_reasons = _decode_model_reasons(cls, config)
    for name, info in cls.model_fields.items():
        ref = mapper.ref(info.annotation)
        field_constraints, field_decode_reasons = _decode_field(name, info, config)
        decode_reasons += field_decode_reasons
        validation_reasons += _validation_field_reasons(name, info, ref, config)
        if any(_contains_kind(ref, kind) for kind in ("other", "literal", "timedelta")):
            reasons.append(f"field {name!r} has type {ref.text} the serializer does not specialize")
        if any(type(m).__name__.endswith("Serializer") for m in info.metadata):
            reasons.append(f"field {name!r} has a serializer annotation")
        if getattr(info, "exclude_if", None) is not None:
            reasons.append(f"field {name!r} uses exclude_if")
        validation_alias = info.validation_alias if isinstance(info.validation_alias, str) else None
        fields.append(
            FieldIR(
                name=name,
                serialized_name=info.serialization_alias or info.alias or name,
                type=ref,
                required=info.is_required(),
                default_json=None
                if info.is_required() or info.default_factory is not None
                else _json_or_none(info.default),
                validation_alias=validation_alias if validation_alias != name else None,
                exclude=bool(info.exclude),
                default_dump=_default_dump(info),
                constraints=field_constraints,
                has_default_factory=info.default_factory is not None,
            )
        )
    source_file, source_line = "<unknown>", 0
    try:
        source_file = source_path(inspect.getsourcefile(cls) or "<unknown>")
        source_line = class_line(cls)
    except (OSError, TypeError):
        pass  # a class built at run time has no source; "<unknown>:0" says so
    return ModelIR(
        key=_qualified(cls),
        name=cls.__name__,
        source=SourceLoc(source_file, source_line),
        fields=tuple(fields),
        fallback_reasons=tuple(reasons),
        validation_fallback_reasons=tuple(reasons) + tuple(validation_reasons),
        decode_fallback_reasons=tuple(decode_reasons),
    )


# annotated_types constraints a generated body decoder checks (their one attribute each).
_DECODE_CONSTRAINTS = frozenset({"Gt", "Ge", "Lt", "Le", "MultipleOf", "MinLen", "MaxLen"})


def _decode_model_reasons(cls: type[BaseModel], config: Mapping[str, Any]) -> list[str]:
    """Model-level reasons why pydantic's validation of a JSON object into `cls` does more than
    check its fields' types and constraints and fill their defaults."""
    reasons: list[str] = []
    decorators = cls.__pydantic_decorators__
    if any(getattr(decorators, kind, None) for kind in
           ("validators", "field_validators", "root_validators", "model_validators")):
        reasons.append("has validators")
    if issubclass(cls, RootModel):
        reasons.append("is a RootModel")
    generic = getattr(cls, "__pydantic_generic_metadata__", None) or {}
    if generic.get("parameters") or generic.get("origin") is not None:
        reasons.append("is a generic model")
    if "__get_pydantic_core_schema__" in vars(cls):
        reasons.append("defines __get_pydantic_core_schema__")
    if getattr(cls, "__pydantic_custom_init__", False):
        reasons.append("defines __init__")
    if getattr(cls, "__pydantic_post_init__", None) is not None:
        reasons.append("defines model_post_init")
    if getattr(cls, "__private_attributes__", None):
        reasons.append("has private attributes")
    if "__new__" in vars(cls):
        reasons.append("defines __new__")
    reasons += _validation_config_reasons(config)
    if config.get("extra") == "allow":
        reasons.append('extra="allow"')
    if config.get("use_enum_values"):
        reasons.append("model_config sets use_enum_values")
    if config.get("validate_by_alias") is False:
        reasons.append("model_config sets validate_by_alias=False")
    return reasons


def _decode_field(name: str, info: FieldInfo,
                  config: Mapping[str, Any]) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    """The field's constraints a body decoder can check, and why it cannot decode the field."""
    reasons: list[str] = []
    found: dict[str, str] = {}
    for item in info.metadata:
        kind = type(item)
        if kind.__module__ == "annotated_types" and kind.__name__ in _DECODE_CONSTRAINTS:
            ((key, value),) = dataclasses.asdict(item).items()
            text = _json_or_none(value)
            if text is None or key in found:
                reasons.append(f"field {name!r} has constraint {item!r}")
            else:
                found[key] = text
        elif kind.__name__ == "_PydanticGeneralMetadata" and list(vars(item)) == ["pattern"] \
                and type(item.pattern) is str and "pattern" not in found \
                and config.get("regex_engine", "rust-regex") == "rust-regex":
            found["pattern"] = json.dumps(item.pattern)  # Field(pattern=...): pydantic's Rust regex
        else:
            reasons.append(f"field {name!r} has annotation {type(item).__name__}")
    if _has_nested_annotated(info.annotation):
        reasons.append(f"field {name!r} has annotations inside its type")
    if info.validation_alias is not None and not isinstance(info.validation_alias, str):
        reasons.append(f"field {name!r} has an AliasPath/AliasChoices validation alias")
    if info.validation_alias is not None and info.validation_alias != name and (
            config.get("populate_by_name") or config.get("validate_by_name")):
        reasons.append(f"field {name!r} has an alias and the model validates by name too")
    if info.default_factory is not None and getattr(info, "default_factory_takes_data", False):
        reasons.append(f"field {name!r} has a default factory taking the data")
    if info.validate_default:
        reasons.append(f"field {name!r} validates its default")
    if info.discriminator is not None:
        reasons.append(f"field {name!r} is a discriminated union")
    return tuple(sorted(found.items())), reasons


def _has_nested_annotated(annotation: Any) -> bool:
    if get_origin(annotation) is Annotated:
        return True
    return any(_has_nested_annotated(arg) for arg in get_args(annotation) if arg is not Ellipsis)


# Model config keys that do not change how plain JSON-like data validates.
_CONFIG_KEYS_PLAIN_VALIDATION = frozenset({
    "title", "json_schema_extra", "json_schema_mode_override", "protected_namespaces", "frozen",
    "validate_assignment", "arbitrary_types_allowed", "from_attributes", "populate_by_name",
    "use_enum_values", "hide_input_in_errors", "defer_build", "plugin_settings", "regex_engine",
    "use_attribute_docstrings", "cache_strings", "validate_by_name", "validate_by_alias",
    "serialize_by_alias", "ser_json_timedelta", "ser_json_bytes", "ser_json_inf_nan", "json_encoders",
    "loc_by_alias", "alias_generator", "title_generator", "field_title_generator", "allow_inf_nan",
    "validation_error_cause", "coerce_numbers_to_str", "revalidate_instances", "extra",
})
# Field kinds whose plain-data validation generated code reproduces exactly.
_PLAIN_VALIDATION_KINDS = frozenset({"int", "float", "str", "bool", "none", "any", "optional", "list", "model"})


def _validation_config_reasons(config: Mapping[str, Any]) -> list[str]:
    reasons = [f"model_config sets {key}" for key in sorted(config) if key not in _CONFIG_KEYS_PLAIN_VALIDATION]
    if config.get("extra") == "forbid":
        reasons.append('extra="forbid"')
    if config.get("revalidate_instances", "never") != "never":
        reasons.append("model_config sets revalidate_instances")
    if config.get("coerce_numbers_to_str"):
        reasons.append("model_config sets coerce_numbers_to_str")
    if config.get("alias_generator") is not None:
        reasons.append("model_config sets alias_generator")
    return reasons


def _validation_field_reasons(name: str, info: FieldInfo, ref: TypeRef, config: Mapping[str, Any]) -> list[str]:
    """Why generated encoders may not validate this field of plain data as pydantic does.
    Constraints (FieldIR.constraints) and a plain validation alias are left to the planner."""
    reasons = []
    _, decode_reasons = _decode_field(name, info, config)
    if decode_reasons:
        reasons.append(f"field {name!r} has constraints or annotations generated code does not check")
    if info.default_factory is not None or info.validate_default:
        reasons.append(f"field {name!r} has a default factory or a validated default")
    if info.exclude:
        reasons.append(f"field {name!r} is excluded from serialization")
    if not info.is_required() and _default_dump(info) is None:
        reasons.append(f"field {name!r} has a default pydantic cannot write")
    if not _plain_kinds(ref):
        reasons.append(f"field {name!r} has type {ref.text}, not validated by generated code")
    return reasons


def _stable_plain(value: Any) -> bool:
    if value is None or type(value) in (bool, int, float, str):
        return True
    if type(value) in (list, tuple):
        return all(_stable_plain(item) for item in value)
    if type(value) is dict:
        return all(type(key) is str and _stable_plain(item) for key, item in value.items())
    return False


def _plain_kinds(ref: TypeRef) -> bool:
    return ref.kind in _PLAIN_VALIDATION_KINDS and all(_plain_kinds(arg) for arg in ref.args)


def _default_dump(info: FieldInfo) -> str | None:
    """pydantic's own JSON for the field's default value, as dump_json writes it; None for
    defaults whose JSON could differ between processes (sets, objects) or runs."""
    if info.is_required() or info.default_factory is not None or not _stable_plain(info.default):
        return None
    try:
        return TypeAdapter(info.annotation).dump_json(info.default).decode()
    except Exception:  # a default pydantic cannot write: left to pydantic at run time
        return None


def _contains_kind(ref: TypeRef, kind: str) -> bool:
    return ref.kind == kind or any(_contains_kind(a, kind) for a in ref.args)


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
            kind = "static" if isinstance(record.app, StaticFiles) else "app"
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
                                   include_in_schema=False, dependencies=record.dependencies)
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
            hints = typing.get_type_hints(endpoint, include_extras=True)
        except (NameError, TypeError, ValueError) as error:
            problems.add(f"cannot read the endpoint's signature or annotations: {error}")
            return None

        path_params = path_param_names(route.path)
        path_names = [name for name, _ in path_params]
        seen_names: set[str] = set()
        entries: list[tuple[str, Any, Any]] = []
        for name, parameter in signature.parameters.items():
            if parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
                problems.add(f"parameter {name!r}: *args and **kwargs parameters are not supported")
                continue
            if parameter.kind is inspect.Parameter.POSITIONAL_ONLY:
                problems.add(f"parameter {name!r}: positional-only parameters are not supported")
                continue
            seen_names.add(name)
            entries.append((name, hints.get(name, parameter.annotation), parameter.default))
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
                                      kind="coroutine" if _is_async_callable(endpoint) else "function")
        read_anywhere = {p.ir.name for node in dependant.walk() for p in node.params if p.ir.location == "path"}
        for name in path_names:
            if name not in seen_names and name not in read_anywhere:
                problems.add(
                    f"path parameter {{{name}}} has no matching endpoint or dependency parameter "
                    f"(the endpoint's parameters are: {', '.join(signature.parameters) or 'none'})"
                )

        body_params = [p for node in dependant.walk() for p in node.params if p.ir.location == "body"]
        body_embedded = _should_embed(body_params)
        body_is_form = _body_is_form(body_params, body_embedded)
        if body_embedded:
            dependant = _embed_body(dependant)
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
            if route.response_model is Default:
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

        if problems.count:
            return None
        ir = RouteIR(
            index=index,
            path=route.path,
            methods=route.methods,
            name=route.name,
            endpoint=endpoint_ref(endpoint),
            source=SourceLoc(source_path(route.decl_file), route.decl_line),
            is_async=_is_async_callable(endpoint),
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
            body_embedded=body_embedded,
            dependencies=tuple(d.ir for d in dependant.dependencies if d.ir is not None),
            body_is_form=body_is_form,
            max_body_size=route.max_body_size,
            strict_content_type=route.strict_content_type,
            form_limits=self.form_limits(route),
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
                    depends = depends._with_dependency(_strip_annotated(annotation))
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
        for entry_name, _, entry_default in entries:
            if entry_default is _VAR_PARAM:
                sub_problems.add(f"parameter {entry_name!r}: *args and **kwargs parameters are not supported")
        entries = [e for e in entries if e[2] is not _VAR_PARAM]
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
        is_default = response_class is Default
        if is_default:
            response_class = JSONResponse
        elif not _lenient_issubclass(response_class, Response):
            problems.add(f"response_class {response_class!r} is not an astraapi.responses.Response subclass")
            response_class = JSONResponse
        annotation = route.response_model
        if annotation is Default:
            annotation = hints.get("return")
            if _lenient_issubclass(_strip_annotated(annotation), Response):
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
        type_annotation = _strip_annotated(annotation)

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
            location = marker.in_.value

        if is_path and location != "path":
            problems.add(f"parameter {name!r} is in the path, it cannot be a {type(marker).__name__} parameter")
            return None
        if location == "path" and not is_path:
            problems.add(f"parameter {name!r} is declared with Path() but the path has no {{{name}}}")
            return None
        if is_path:
            field_info = copy.copy(field_info)
            field_info.default = PydanticUndefined  # path parameters are always required
            field_info.default_factory = None

        if marker is not None and marker.alias:
            alias = marker.alias
        elif location == "header" and getattr(marker, "convert_underscores", True):
            alias = name.replace("_", "-")
        else:
            alias = name
        validation_alias = marker.validation_alias if marker is not None else None
        alias_choices: tuple[str, ...] = ()
        if validation_alias is not None:
            choices = getattr(validation_alias, "choices", None)
            if choices is not None and all(isinstance(c, str) for c in choices) and location != "body":
                alias_choices = tuple(choices)  # AliasChoices: literal names, the first present wins
                alias = alias_choices[0]
            elif not isinstance(validation_alias, str):
                problems.add(f"parameter {name!r}: AliasPath (and AliasChoices on body parameters) are not "
                             "supported yet")
                return None
            else:
                alias = validation_alias

        group: ParamGroup | None = None
        if isinstance(marker, (params.Query, params.Header, params.Cookie)):
            model = _param_model_type(type_annotation)
            if model is not None:
                group = _param_group(name, model, model is not type_annotation, location, marker, problems)
                if group is None:
                    return None

        is_sequence = False
        is_form = isinstance(marker, params.Form)
        if is_form:
            if _is_complex(type_annotation) and not _is_scalar_sequence(type_annotation) \
                    and form_model_type(type_annotation) is None:
                problems.add(f"form parameter {name!r}: only scalar values, lists of scalars and a pydantic model "
                             f"(or an optional one) are supported, not {type_text(type_annotation)}")
                return None
            is_sequence = _is_scalar_sequence(type_annotation)
        if location == "path" and _is_complex(type_annotation):
            problems.add(f"path parameter {name!r} must be a scalar type, not {type_text(type_annotation)}")
            return None
        if location in ("query", "header", "cookie") and group is None and _is_complex(type_annotation):
            if location != "cookie" and _is_scalar_sequence(type_annotation):
                is_sequence = True
            else:
                problems.add(
                    f"{location} parameter {name!r} must be a scalar type or a list of scalars, "
                    f"not {type_text(type_annotation)}"
                )
                return None

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
        )
        return ParamAnalysis(ir=ir, annotation=annotation, field_info=field_info, adapter=adapter,
                             reads_file_bytes=isinstance(marker, params.File) and _is_bytes_annotation(type_annotation),
                             group=group)


_VAR_PARAM: Any = object()


def _param_model_type(annotation: Any) -> type[BaseModel] | None:
    """The model of a parameter model declaration: `Model` or `Model | None` (FastAPI's rule)."""
    if get_origin(annotation) in _UNION_ORIGINS:
        args = get_args(annotation)
        if len(args) == 2 and type(None) in args:
            annotation = next(arg for arg in args if arg is not type(None))
    return annotation if _lenient_issubclass(annotation, BaseModel) else None


def _param_group(name: str, model: type[BaseModel], optional: bool, location: str, marker: Any,
                 problems: Any) -> ParamGroup | None:
    config = model.model_config
    default_convert = getattr(marker, "convert_underscores", True)
    by_name = config.get("validate_by_name", config.get("populate_by_name", False))
    fields = []
    for field_name, info in model.model_fields.items():
        validation_alias = info.validation_alias
        choices = getattr(validation_alias, "choices", None)
        if validation_alias is not None and not isinstance(validation_alias, str) and not (
                choices is not None and all(isinstance(choice, str) for choice in choices)):
            problems.add(f"parameter {name!r}: field {field_name!r} of {model.__name__} uses AliasPath, "
                         "not supported in parameter models yet")
            return None
        convert = location == "header" and getattr(info, "convert_underscores", default_convert)
        if choices is not None:  # AliasChoices: literal names (headers too), the first present wins
            aliases = [(choice, choice) for choice in choices]
        else:
            alias = validation_alias or info.alias or field_name
            request_key = alias.replace("_", "-") if convert and alias == field_name else alias
            aliases = [(alias, request_key)]
        if config.get("validate_by_alias") is False or by_name:
            request_name = field_name.replace("_", "-") if convert else field_name
            if config.get("validate_by_alias") is False:
                aliases = [(field_name, request_name)]
            elif field_name not in [a for a, _ in aliases]:
                aliases.append((field_name, request_name))
        fields.append(GroupField(field_name, tuple(aliases), _is_sequence(info.annotation), info))
    return ParamGroup(model=model, optional=optional, fields=tuple(fields),
                      extra_policy=config.get("extra") in ("allow", "forbid"),
                      loc_by_alias=config.get("loc_by_alias", True))


def _group_field_ir(group_field: GroupField, location: str, optional: bool) -> ParamIR:
    info = group_field.field_info
    required = info.is_required()
    return ParamIR(
        name=group_field.name,
        alias=group_field.aliases[0][1],
        location=location,
        type=_TypeMapper().ref(info.annotation),
        required=required and not optional,
        default_json=None if required or info.default_factory is not None else _json_or_none(info.default),
        constraints=_constraints(info),
        is_sequence=group_field.is_sequence,
    )


def _non_none_args(annotation: Any) -> list[Any]:
    annotation = _strip_annotated(annotation)
    if get_origin(annotation) in _UNION_ORIGINS:
        return [_strip_annotated(a) for a in get_args(annotation) if a is not type(None)]
    return [annotation]


def _is_upload_file_annotation(annotation: Any) -> bool:
    """UploadFile, an optional one, or a sequence of them (FastAPI makes these File() parameters)."""
    from astraapi.datastructures import UploadFile

    for arg in _non_none_args(annotation):
        if _lenient_issubclass(arg, UploadFile):
            return True
        if _is_sequence(arg) and any(_lenient_issubclass(_strip_annotated(a), UploadFile) for a in get_args(arg)):
            return True
    return False


def _is_bytes_annotation(annotation: Any) -> bool:
    """bytes, optional bytes, or a sequence of bytes."""
    for arg in _non_none_args(annotation):
        if arg is bytes:
            return True
        if _is_sequence(arg) and any(_strip_annotated(a) is bytes for a in get_args(arg)):
            return True
    return False


class _PrefixedProblems:
    """Problems found inside a dependency, reported under the route with the dependency named."""

    def __init__(self, parent: Any, prefix: str) -> None:
        self.parent = parent
        self.prefix = prefix

    @property
    def count(self) -> int:
        return self.parent.count

    def add(self, message: str) -> None:
        self.parent.add(self.prefix + message)


def _special_location(annotation: Any) -> str | None:
    # An app that never imported the module defining SecurityScopes cannot annotate with it (and
    # importing it here would build the OpenAPI models for every app).
    scopes_module = sys.modules.get("astraapi.security.oauth2")
    if _lenient_issubclass(annotation, HTTPConnection):
        return "request"
    if _lenient_issubclass(annotation, Response):
        return "response"
    if _lenient_issubclass(annotation, BackgroundTasks):
        return "background_tasks"
    if scopes_module is not None and _lenient_issubclass(annotation, scopes_module.SecurityScopes):
        return "security_scopes"
    return None


def _depends_marker(annotation: Any, default: Any) -> params.Depends | None:
    found = None
    if get_origin(annotation) is Annotated:
        markers = [m for m in get_args(annotation)[1:] if isinstance(m, (params.Param, params.Body, params.Depends))]
        if markers and isinstance(markers[-1], params.Depends):
            found = markers[-1]
    if isinstance(default, params.Depends):
        found = default
    return found


def _unwrap_call(call: Any) -> Any:
    while isinstance(call, functools.partial):
        call = call.func
    return inspect.unwrap(call)


def _is_instance_call(call: Any) -> bool:
    target = _unwrap_call(call)
    return not inspect.isroutine(target) and not inspect.isclass(target) and callable(target)


def _impartial(call: Any) -> Any:
    while isinstance(call, functools.partial):
        call = call.func
    return call


def _forms(call: Any) -> list[Any]:
    """`call` as FastAPI classifies it: through partials, then through `__wrapped__` as well."""
    return [_impartial(call), inspect.unwrap(_impartial(call))]


def _dependency_kind(call: Any) -> str:
    """How FastAPI calls `call`: generator and coroutine functions found through partials,
    `functools.wraps` wrappers and an instance's `__call__`; a class is a plain call."""
    import asyncio

    def dunders() -> list[Any]:
        if inspect.isclass(inspect.unwrap(_impartial(call))):
            return []
        found = []
        for form in _forms(call):
            dunder = getattr(form, "__call__", None)
            if dunder is not None:
                found.extend(_forms(dunder))
        return found

    candidates = _forms(call) + dunders()
    if any(inspect.isasyncgenfunction(c) for c in candidates):
        return "async_generator"
    if any(inspect.isgeneratorfunction(c) for c in candidates):
        return "generator"
    if any(inspect.isroutine(c) and asyncio.iscoroutinefunction(c) for c in _forms(call)):
        return "coroutine"
    if any(asyncio.iscoroutinefunction(c) for c in dunders()):
        return "coroutine"
    return "function"


def _signature_entries(call: Any) -> list[tuple[str, Any, Any]]:
    """(name, annotation, default) for each parameter, string annotations evaluated."""
    try:
        signature = inspect.signature(call, eval_str=True)
    except NameError:
        signature = inspect.signature(call)
    entries = []
    for name, parameter in signature.parameters.items():
        if parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            entries.append((name, None, _VAR_PARAM))
            continue
        annotation = parameter.annotation
        if hasattr(annotation, "__value__") and type(annotation).__name__ == "TypeAliasType":
            annotation = annotation.__value__
        entries.append((name, annotation, parameter.default))
    return entries


def _scheme_json(scheme: Any) -> str | None:
    try:
        plain = jsonable_encoder(scheme.model, by_alias=True, exclude_none=True)
    except Exception:  # a user subclass with a model jsonable_encoder cannot encode: no schema entry
        return None
    # key order kept: it is the document's (an OAuth2 flow's scopes are listed as declared)
    return json.dumps(plain, separators=(",", ":"), ensure_ascii=False)


def form_model_type(annotation: Any) -> type[BaseModel] | None:
    """The model of a `Form()` parameter annotated with a model or an optional model."""
    annotation = _strip_annotated(annotation)
    if get_origin(annotation) in _UNION_ORIGINS:
        args = get_args(annotation)
        if len(args) == 2 and type(None) in args:
            annotation = next(arg for arg in args if arg is not type(None))
    return annotation if _lenient_issubclass(annotation, BaseModel) else None


def _should_embed(body_params: list[ParamAnalysis]) -> bool:
    """FastAPI's rule over the flattened body parameters of the whole tree (counted by name)."""
    if not body_params:
        return False
    if len({p.ir.name for p in body_params}) > 1:
        return True
    first = body_params[0]
    if any(p.ir.embed for p in body_params):
        return True
    return first.ir.is_form and form_model_type(first.annotation) is None


def _body_is_form(body_params: list[ParamAnalysis], embedded: bool) -> bool:
    if not body_params:
        return False
    if not embedded:
        return body_params[0].ir.is_form
    return any(p.ir.is_form for p in body_params)


def _embed_body(node: DependantAnalysis) -> DependantAnalysis:
    """The same tree with every body parameter marked embedded (IR included)."""
    new_params = tuple(
        dataclasses.replace(p, ir=dataclasses.replace(p.ir, embed=True)) if p.ir.location == "body" else p
        for p in node.params
    )
    new_deps = tuple(_embed_body(d) for d in node.dependencies)
    ir = node.ir
    if ir is not None:
        ir = dataclasses.replace(ir, params=tuple(p.ir for p in new_params),
                                 dependencies=tuple(d.ir for d in new_deps if d.ir is not None))
    return dataclasses.replace(node, params=new_params, dependencies=new_deps, ir=ir)


def _looks_like_foreign_marker(value: Any) -> bool:
    """A FastAPI marker object (Depends, Security, ...) passed to an AstraAPI app."""
    module = type(value).__module__ or ""
    return module.startswith(("fastapi", "starlette"))


__all__ = [
    "AppAnalysis",
    "DependantAnalysis",
    "ParamAnalysis",
    "RouteAnalysis",
    "analyze_app",
    "build_ir",
    "endpoint_ref",
    "path_param_names",
    "source_path",
    "type_text",
]
