"""The analysis records: what introspection keeps of each route, parameter and dependency (the live
Python objects the engine needs, beside each one's IR)."""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo

from astraapi import params
from astraapi.ir.nodes import DependencyIR, ModelIR, ParamIR, RouteIR
from astraapi.routing import APIRoute

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
    # Form(): the models read from the whole form (a model, an optional one, a union of models), or
    # else where the value is read (`form_field`); astraapi/introspection/forms.py
    form_models: tuple[Any, ...] = ()
    form_field: Any = None


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
