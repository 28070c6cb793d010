"""The App IR: plain frozen data describing an app's routes and models.

Introspection (`astraapi.introspection`) is the only producer. The request engine,
the trie builder, the code generator and OpenAPI generation read it; none of them looks at
the user's functions again.

The dump is canonical: keys sorted, no whitespace, tuples as lists, nothing that depends
on the process (no ids, no addresses, no set ordering). `ir_hash()` is the sha256 of that
dump, so the same app declarations give the same hash in any process.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

IR_VERSION = 1

TYPE_KINDS = frozenset(
    {
        "int", "float", "str", "bool", "none", "any", "list", "set", "tuple", "dict",
        "optional", "union", "model", "enum", "literal", "datetime", "date", "time", "timedelta",
        "uuid", "decimal", "bytes", "email", "secret_str", "secret_bytes", "ipv4", "url",
        "other",
    }
)

PARAM_LOCATIONS = frozenset(
    {"path", "query", "header", "cookie", "body", "request", "response", "background_tasks", "security_scopes"}
)
"""Where a parameter's value comes from. The last four carry no value to validate:
"request" is the `Request` object itself (a parameter annotated with `Request` or
`HTTPConnection`), "response" the temporary `Response` whose headers, cookies and status
are merged into the answer, "background_tasks" the request's `BackgroundTasks`,
"security_scopes" the `SecurityScopes` (the OAuth2 scopes required along the dependency chain)."""

DEPENDENCY_KINDS = frozenset({"function", "coroutine", "generator", "async_generator"})
"""How a dependency is called: a plain call (in the thread pool), awaited, or entered as a
context manager (sync `yield`, in the thread pool; async `yield`, on the loop)."""


@dataclass(frozen=True)
class SourceLoc:
    file: str  # relative to the working directory when inside it
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class TypeRef:
    kind: str
    args: tuple[TypeRef, ...] = ()
    model: str | None = None  # key into AppIR.models when kind == "model"
    text: str = ""  # a readable rendering of the annotation, for messages and `inspect`
    # kind == "enum": the class ("module.QualName") and its members' values as a JSON list
    # (None when a value is not JSON-able); kind == "literal": its values as a JSON list (None
    # unless every value is a str, an int, a bool or None); for generated decoders.
    enum_key: str | None = None
    enum_values_json: str | None = None
    # The annotation's own container when its kind covers several that validate into different
    # classes: "frozenset" (kind "set"), "deque" (kind "list"), "fixed" for a tuple of fixed
    # length (tuple[X], tuple[X, Y], tuple[()]: one arg per position; kind "tuple" without it is
    # tuple[X, ...]). Left out of the dump when empty, so other IRs keep their hash.
    form: str = dataclasses.field(default="", metadata={"omit_default": True})


@dataclass(frozen=True)
class FieldIR:
    name: str
    serialized_name: str  # the key dump_json(by_alias=True) writes
    type: TypeRef
    required: bool
    default_json: str | None  # JSON text of the default; None when required or not JSON-able
    validation_alias: str | None = None  # the key validation reads, when it differs from name
    exclude: bool = False  # Field(exclude=True): never serialized
    # What dump_json writes for this field when it holds its default (pydantic's own bytes);
    # None when required, or when the default comes from a factory.
    default_dump: str | None = None
    # The field's own constraints (gt, ge, lt, le, multiple_of, min_length, max_length) as
    # (name, JSON value), sorted by name; only filled when every annotation is one of these.
    constraints: tuple[tuple[str, str], ...] = ()
    has_default_factory: bool = False


@dataclass(frozen=True)
class ModelIR:
    key: str  # "module.QualName"
    name: str
    source: SourceLoc
    fields: tuple[FieldIR, ...]
    fallback_reasons: tuple[str, ...]  # why a code generator may not specialize it; () = plain
    # Why generated code may not validate plain data (a dict) for this model the way pydantic
    # does; () = it may: the compiled response path then skips building the model instance.
    validation_fallback_reasons: tuple[str, ...] = ()
    # Why a generated body decoder may not validate a JSON object into this model the way
    # pydantic does (validators, config, annotations it does not know); () = it may, for the
    # field types the decoder planner supports (astraapi/compiler/codegen/body_decoders.py).
    decode_fallback_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParamIR:
    name: str  # the endpoint's parameter name
    alias: str  # the key read from the request (and shown in error locations)
    location: str  # one of PARAM_LOCATIONS
    type: TypeRef
    required: bool
    default_json: str | None
    constraints: tuple[tuple[str, str], ...]  # (name, JSON value), sorted by name
    embed: bool = False  # body parameters: read from the body object under `alias`
    is_sequence: bool = False  # query/header: collect every occurrence, not the last/first one
    # OpenAPI (computed in introspection; JSON text keeps the document's key order)
    schema_json: str | None = None  # the parameter's JSON Schema, titled (path/query/header/cookie)
    description: str | None = None
    deprecated: bool = False
    example_json: str | None = None  # the deprecated `example=`, when given
    openapi_examples_json: str | None = None  # `openapi_examples=`, when given
    include_in_schema: bool = True
    # body parameters: Form() fields come from an application/x-www-form-urlencoded body
    is_form: bool = False
    media_type: str | None = None  # body parameters: the marker's media type
    # A parameter model (`Annotated[Model, Query()]`, Header(), Cookie()): one entry per model field,
    # `alias` the key read from the request, `name` the field's name; the model validates them together.
    # Left out of the dump when empty, so IRs without parameter models keep their hash.
    fields: tuple[ParamIR, ...] = dataclasses.field(default=(), metadata={"omit_default": True})
    # `validation_alias=AliasChoices(...)`: the request keys to try in order (`alias` is the first).
    alias_choices: tuple[str, ...] = dataclasses.field(default=(), metadata={"omit_default": True})
    # A Form() parameter read from the whole form: the model keys (one: a model or an optional one;
    # several: a union of models, each member reading the form on its own).
    form_models: tuple[str, ...] = dataclasses.field(default=(), metadata={"omit_default": True})


@dataclass(frozen=True)
class ResponseIR:
    """One entry of a route's `responses=`: the declared object and the schema of its `model`."""

    status: str  # str() of the declared key: "404", "4XX", "default", ...
    spec_json: str  # the declared object without "model", as JSON
    schema_json: str | None = None  # the model's JSON Schema (serialization mode)


@dataclass(frozen=True)
class DependencyIR:
    """One `Depends()`/`Security()` in a route's dependency tree.

    `name` is the parameter it fills in its parent (None for a `dependencies=[...]` entry,
    whose value is discarded); `params` are its own request parameters and `dependencies`
    its sub-dependencies, in declaration order. A route's own dependencies come first in
    `RouteIR.dependencies`: app, router, include and path-operation `dependencies=[...]`
    in that order, then the endpoint's `Depends` parameters."""

    name: str | None
    call: str  # "module:qualname" of the callable (for an instance: its class)
    kind: str  # one of DEPENDENCY_KINDS
    use_cache: bool
    scope: str | None  # "function" | "request" as declared; None: the default
    params: tuple[ParamIR, ...]
    dependencies: tuple[DependencyIR, ...]
    source: SourceLoc  # where the callable is defined (or the declaring route when unknown)
    is_security: bool = False  # declared with Security()
    scopes: tuple[str, ...] = ()  # Security(scopes=...) on this node
    effective_scopes: tuple[str, ...] = ()  # the parents' scopes plus these, de-duplicated in order
    max_concurrency: int | None = None
    # When the callable is a security scheme (astraapi.security): its OpenAPI name and the
    # canonical JSON of its scheme object (`securitySchemes` entry, aliases, no nulls).
    security_scheme_name: str | None = None
    security_scheme_json: str | None = None
    # FastAPI identifies a dependency (for the per-request cache, and when it flattens the tree
    # for OpenAPI, visiting each once) by (call, cache_scopes, computed scope): cache_scopes is
    # the sorted set of effective_scopes when the dependency or one below it uses scopes, else ().
    cache_scopes: tuple[str, ...] = ()
    # Which callable object this is, within its route (1, 2, ... in order of first appearance): two
    # instances of one class (two API key schemes) are different dependencies. 0: not computed.
    call_id: int = 0

    @property
    def computed_scope(self) -> str | None:
        """The declared scope, or "request" for a `yield` dependency declared without one."""
        return self.scope or ("request" if self.kind in ("generator", "async_generator") else None)


@dataclass(frozen=True)
class RouteIR:
    index: int
    path: str  # full path including router prefixes
    methods: tuple[str, ...]  # upper-case, declaration order
    name: str
    endpoint: str  # "module:qualname"
    source: SourceLoc  # where the route was declared (the decorator line)
    is_async: bool
    params: tuple[ParamIR, ...]
    response_model: TypeRef | None
    status_code: int | None
    response_class: str  # class name, e.g. "JSONResponse"
    include_in_schema: bool
    tags: tuple[str, ...]
    summary: str | None = None
    # True when the user did not choose a response class: a response model is then
    # serialized straight to JSON bytes with pydantic (FastAPI's dump_json path).
    response_class_is_default: bool = True
    response_model_by_alias: bool = True
    response_model_exclude_unset: bool = False
    response_model_exclude_defaults: bool = False
    response_model_exclude_none: bool = False
    # response_model_include / _exclude (pydantic's IncEx) as canonical JSON: a list of [key, value]
    # pairs sorted by key, value `true` (the whole field) or the nested pairs (introspection/incex.py).
    response_model_include_json: str | None = dataclasses.field(default=None, metadata={"omit_default": True})
    response_model_exclude_json: str | None = dataclasses.field(default=None, metadata={"omit_default": True})
    body_embedded: bool = False  # more than one body parameter, or Body(embed=True)
    # OpenAPI (computed in introspection; *_json fields are JSON text in the document's key order)
    description: str = ""  # the declared description, else the endpoint's docstring
    response_description: str = "Successful Response"
    operation_id: str | None = None  # as declared
    unique_id: str = ""  # operation_id, else generate_unique_id_function(route)
    deprecated: bool | None = None
    openapi_extra_json: str | None = None
    responses: tuple[ResponseIR, ...] = ()
    response_media_type: str | None = "application/json"  # the response class's media_type
    response_class_is_json: bool = True  # a JSONResponse subclass: the body schema is documented
    openapi_status_code: str = "200"  # status_code, else the response class's default
    response_schema_json: str | None = None  # the response model's JSON Schema
    body_schema_json: str | None = None  # the request body's JSON Schema (Body_... when embedded)
    body_required: bool = False
    body_media_type: str = "application/json"
    body_example_json: str | None = None
    body_openapi_examples_json: str | None = None
    enum_tags: tuple[str, ...] = ()  # tags declared as members of a non-str Enum (sorted)
    dependencies: tuple[DependencyIR, ...] = ()  # the dependency tree (see DependencyIR)
    body_is_form: bool = False  # some body parameter in the tree is a Form(): the body is form-parsed
    # The route's own request body limit (max_body_size= on the route, its router or its include); None:
    # the app's. Left out of the dump when None.
    max_body_size: int | None = dataclasses.field(default=None, metadata={"omit_default": True})
    # OpenAPI `callbacks=`: the callback routes, documented under the operation, never served.
    callbacks: tuple[RouteIR, ...] = dataclasses.field(default=(), metadata={"omit_default": True})
    # strict_content_type= on the route, its router or an including router; None: the app's.
    strict_content_type: bool | None = dataclasses.field(default=None, metadata={"omit_default": True})
    # form_limits (max_fields, max_files, max_part_size) in effect: the app router's, the includes', the route's.
    form_limits: tuple[tuple[str, int], ...] = dataclasses.field(default=(), metadata={"omit_default": True})
    # A generator endpoint with the default response class streams JSON Lines: documented as
    # `application/jsonl` with the item type's schema as `itemSchema` ("{}" without an item type).
    json_stream: bool = dataclasses.field(default=False, metadata={"omit_default": True})
    stream_item_schema_json: str | None = dataclasses.field(default=None, metadata={"omit_default": True})
    # Not an endpoint: "static" (app.mount of a StaticFiles: every method, declaration order, the
    # last path parameter is the path below the mount), "app" (app.mount of an AstraAPI app: the
    # same, then its own IR and trie route the rest) or "frontend" (app.frontend: every method,
    # matched only when nothing else did, redirects included), or "frontend-guarded" (a frontend's
    # GET/HEAD route when its router has dependencies: an ordinary endpoint route, low priority).
    # None: an ordinary route.
    mount: str | None = None
    # An ordinary route of a router's low-priority list (FastAPI 0.165's `_low_priority_routes`): matched,
    # as frontends are, only when no other route, mount or redirect did.
    low_priority: bool = dataclasses.field(default=False, metadata={"omit_default": True})


@dataclass(frozen=True)
class GzipIR:
    """GZipMiddleware's settings (Starlette's names)."""

    minimum_size: int
    compresslevel: int
    exclude_content_types: tuple[str, ...]


@dataclass(frozen=True)
class CorsIR:
    """CORSMiddleware's settings, as given (Starlette's names); astraapi/server/cors.py derives
    Starlette's preflight and simple-response headers from them."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ("GET",)
    allow_headers: tuple[str, ...] = ()
    allow_credentials: bool = False
    allow_origin_regex: str | None = None
    allow_private_network: bool = False
    expose_headers: tuple[str, ...] = ()
    max_age: str = "600"  # as Starlette writes it: str(max_age)


@dataclass(frozen=True)
class TrustedHostIR:
    """TrustedHostMiddleware's settings, as given (Starlette's names)."""

    allowed_hosts: tuple[str, ...] = ("*",)
    www_redirect: bool = True


@dataclass(frozen=True)
class AppIR:
    ir_version: int
    app_ref: str | None
    title: str
    version: str
    redirect_slashes: bool
    routes: tuple[RouteIR, ...]
    models: tuple[ModelIR, ...]
    # OpenAPI: the app's document settings (info, servers, tags, ...) and the shared component
    # schemas of every model the routes reach, as JSON text.
    openapi_settings_json: str | None = None
    schemas_json: str | None = None
    # Why the OpenAPI pieces could not be computed (e.g. a type pydantic has no JSON Schema for):
    # the app still serves, and asking for the document raises this (FastAPI fails there too).
    openapi_error: str | None = None
    webhooks: tuple[RouteIR, ...] = ()  # `app.webhooks`: documented, never served
    # "threadpool" (FastAPI's semantics) or "inline": where `def` endpoints run
    sync_endpoints: str = "threadpool"
    # GZipMiddleware, when added: its settings (None: no compression)
    gzip: GzipIR | None = None
    # CORSMiddleware, when added: its settings (None: no CORS headers, no preflight answers)
    cors: CorsIR | None = None
    # TrustedHostMiddleware, when added; HTTPSRedirectMiddleware, when added
    trusted_host: TrustedHostIR | None = None
    https_redirect: bool = False
    # The native middlewares present, outermost first ("cors", "gzip", "trusted_host",
    # "https_redirect"): Starlette's stack order
    # (the last added is the outermost)
    middleware_order: tuple[str, ...] = ()
    # FastAPI(strict_content_type=...): only a JSON content-type makes a body JSON
    strict_content_type: bool = True
    # FastAPI(max_body_size=...): the app's request body limit in bytes (None: none)
    max_body_size: int | None = None

    def to_json(self) -> str:
        return json.dumps(
            _to_plain(self), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )

    @classmethod
    def from_json(cls, text: str) -> AppIR:
        data = json.loads(text)
        if data.get("ir_version") != IR_VERSION:
            raise ValueError(
                f"IR version {data.get('ir_version')!r} is not supported (this AstraAPI reads {IR_VERSION})"
            )
        return _from_plain(cls, data)

    def to_serving_text(self) -> str:
        """The IR as compiled start-up reads it (a build's `serving_ir.jsonl`): the first line is the
        app's fields as compact JSON without the routes and the models, then one line of compact
        JSON per route, so that start-up parses only the app line and each route is parsed when
        first used (`serving_from_text`). The models, which only code generation reads, are
        left out. JSON escapes every line feed inside a string, so lines split on "\\n" only."""
        plain = _to_plain(self)
        routes = plain.pop("routes")
        plain["models"] = []
        dump = partial(json.dumps, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return "\n".join([dump(plain), *map(dump, routes)]) + "\n"

    @classmethod
    def serving_from_text(cls, text: str, ir_hash: str) -> AppIR:
        """The IR of `to_serving_text`, with the hash the build's manifest gives: the app's fields
        now, each route when first used (see `_LazyRoutes`)."""
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        data = json.loads(lines[0]) if lines else {}
        if data.get("ir_version") != IR_VERSION:
            raise ValueError(
                f"IR version {data.get('ir_version')!r} is not supported (this AstraAPI reads {IR_VERSION})"
            )
        data["routes"] = []
        ir = _from_plain(cls, data)
        object.__setattr__(ir, "routes", _LazyRoutes(lines[1:]))
        object.__setattr__(ir, "_ir_hash", ir_hash)
        return ir

    @classmethod
    def serving_from_json(cls, text: str, ir_hash: str) -> AppIR:
        """The IR as compiled mode serves it, loaded from a build's `ir.json` whose hash the
        manifest gives: each route is rebuilt on first access (see `_LazyRoutes`) and the models,
        which only code generation reads, are left out."""
        data = json.loads(text)
        if data.get("ir_version") != IR_VERSION:
            raise ValueError(
                f"IR version {data.get('ir_version')!r} is not supported (this AstraAPI reads {IR_VERSION})"
            )
        data["models"] = []
        routes = _LazyRoutes(data["routes"])
        data["routes"] = []
        ir = _from_plain(cls, data)
        object.__setattr__(ir, "routes", routes)
        object.__setattr__(ir, "_ir_hash", ir_hash)
        return ir

    def ir_hash(self) -> str:
        """Identifies the declarations, not the name they were loaded under: the same app
        imported as `pkg.main:app` or run with `app.run()` has one hash."""
        cached = self.__dict__.get("_ir_hash")
        if cached is None:  # the IR is frozen: compute once (a large app's dump takes a while)
            unnamed = dataclasses.replace(self, app_ref=None)
            cached = hashlib.sha256(unnamed.to_json().encode("utf-8")).hexdigest()
            object.__setattr__(self, "_ir_hash", cached)
        return cached

    def model(self, key: str) -> ModelIR:
        for model in self.models:
            if model.key == key:
                return model
        raise KeyError(key)


def dependency_nodes(route: RouteIR) -> list[DependencyIR]:
    """The route's dependency nodes depth-first, each before its own dependencies: node 1, 2, ... (the
    endpoint is node 0). A compiled request decoder returns dependency parameters under
    `dependency_key(node, name)`; the engine numbers its plans the same way."""
    nodes: list[DependencyIR] = []

    def visit(node: DependencyIR) -> None:
        nodes.append(node)
        for sub in node.dependencies:
            visit(sub)

    for top in route.dependencies:
        visit(top)
    return nodes


def dependency_key(node: int, name: str) -> str:
    """The key of parameter `name` of dependency node `node` (>= 1) among a route's decoded values."""
    return f"{node}.{name}"


def _to_plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if not (f.metadata.get("omit_default") and getattr(value, f.name) == f.default)}
    if isinstance(value, (tuple, list)):
        return [_to_plain(item) for item in value]
    return value


class _LazyRoutes(Sequence):
    """A read-only sequence of RouteIR rebuilt from their JSON data (parsed, or its text) on first access."""

    __slots__ = ("_raw", "_built")

    def __init__(self, raw: list[dict[str, Any]] | list[str]) -> None:
        self._raw = raw
        self._built: list[RouteIR | None] = [None] * len(raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        route = self._built[index]
        if route is None:
            raw = self._raw[index]
            route = self._built[index] = _from_plain(RouteIR, json.loads(raw) if isinstance(raw, str) else raw)
        return route


# Field name -> how to rebuild it from plain JSON data, per IR class.
_NESTED: dict[type, dict[str, Any]] = {}


def _from_plain(cls: type, data: dict[str, Any]) -> Any:
    kwargs = {}
    for name, rebuild in _field_rebuilders(cls):
        if name not in data:
            continue  # a field added later with a default
        raw = data[name]
        kwargs[name] = rebuild(raw) if rebuild is not None and raw is not None else raw
    return cls(**kwargs)


_REBUILDERS: dict[type, tuple[tuple[str, Any], ...]] = {}


def _field_rebuilders(cls: type) -> tuple[tuple[str, Any], ...]:
    """(field name, how to rebuild it) per field of `cls`, computed once (loading a large
    build's IR at start-up calls this thousands of times)."""
    found = _REBUILDERS.get(cls)
    if found is None:
        nested = _NESTED[cls]
        found = _REBUILDERS[cls] = tuple((f.name, nested.get(f.name)) for f in dataclasses.fields(cls))
    return found


def _many(cls: type) -> Any:
    return lambda items: tuple(_from_plain(cls, item) for item in items)


def _one(cls: type) -> Any:
    return lambda item: _from_plain(cls, item)


def _pairs(items: list[list[str]]) -> tuple[tuple[str, str], ...]:
    return tuple((k, v) for k, v in items)


def _strings(items: list[str]) -> tuple[str, ...]:
    return tuple(items)


_NESTED.update(
    {
        SourceLoc: {},
        TypeRef: {"args": _many(TypeRef)},
        FieldIR: {"type": _one(TypeRef), "constraints": _pairs},
        ModelIR: {"source": _one(SourceLoc), "fields": _many(FieldIR), "fallback_reasons": _strings,
                  "validation_fallback_reasons": _strings, "decode_fallback_reasons": _strings},
        ParamIR: {"type": _one(TypeRef), "constraints": _pairs, "alias_choices": _strings, "form_models": _strings,
                  "fields": lambda items: tuple(_from_plain(ParamIR, item) for item in items)},
        ResponseIR: {},
        DependencyIR: {
            "params": _many(ParamIR),
            "dependencies": lambda items: tuple(_from_plain(DependencyIR, item) for item in items),
            "source": _one(SourceLoc),
            "scopes": _strings,
            "effective_scopes": _strings,
            "cache_scopes": _strings,
        },
        RouteIR: {
            "methods": _strings,
            "source": _one(SourceLoc),
            "params": _many(ParamIR),
            "response_model": _one(TypeRef),
            "tags": _strings,
            "responses": _many(ResponseIR),
            "enum_tags": _strings,
            "dependencies": _many(DependencyIR),
            "callbacks": lambda items: tuple(_from_plain(RouteIR, item) for item in items),
            "form_limits": lambda items: tuple((k, v) for k, v in items),
        },
        GzipIR: {"exclude_content_types": _strings},
        CorsIR: {"allow_origins": _strings, "allow_methods": _strings, "allow_headers": _strings,
                 "expose_headers": _strings},
        AppIR: {"routes": _many(RouteIR), "models": _many(ModelIR), "webhooks": _many(RouteIR),
                "gzip": _one(GzipIR), "cors": _one(CorsIR), "middleware_order": _strings,
                "trusted_host": _one(TrustedHostIR)},
        TrustedHostIR: {"allowed_hosts": _strings},
    }
)
