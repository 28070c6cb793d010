"""RoutePlan: everything one route does per request, prepared once from the IR and the live analysis.

The plain path (`RoutePlan.solve`) validates path, query, header, cookie and JSON body parameters,
through the compiled request decoder when the build made one for the route; the general path
(engine/dependencies.py's `NodePlan`, `root`) solves dependency trees and special parameters.
"""

from __future__ import annotations

import copy
import datetime
import uuid
from collections.abc import Callable
from typing import Any

from astraapi.engine.body import MISSING, read_body
from astraapi.engine.dependencies import NodePlan
from astraapi.engine.inline import never_suspends
from astraapi.engine.params import ParamPlan, RequestInputs, apply_json_body, path_plan, request_path_params
from astraapi.engine.route_class import overrides_handler
from astraapi.engine.serialize import ResponsePlan
from astraapi.exceptions import AstraAPIError
from astraapi.introspection.annotations import path_param_names
from astraapi.introspection.records import RouteAnalysis
from astraapi.ir.nodes import RouteIR, dependency_key, dependency_nodes
from astraapi.requests import Request

_LOCATION_ORDER = {"query": 0, "header": 1, "cookie": 2}
_SCALARS = (str, int, float, bool, type(None))  # a list of these is deep-copied by list()

# A compiled request decoder: (raw query string, path parameters[, body, headers]) -> keyword
# arguments, or None when it declines that request (see runtime_cpp/include/astraapi/abi.h).
# A route with a body parameter gets a decoder only when the generated code decodes its body.
CompiledDecoder = Callable[..., "dict[str, Any] | None"]


def _unchanged_by_deepcopy(value: Any) -> bool:
    """A default FastAPI's deep copy leaves as it is (an enum member, a Decimal), or an immutable
    value it copies into an equal one (uuid, date, datetime): the decoder's caller may share it."""
    if type(value) in (uuid.UUID, datetime.date, datetime.datetime):
        return True
    try:
        return copy.deepcopy(value) is value
    except Exception:  # noqa: BLE001 - any failure: not shareable, the decoder is not used
        return False


def _shape(node: Any) -> tuple[Any, ...]:
    """What numbers a dependency node the same way in the analysis and in the IR (the IR's copy also
    carries what OpenAPI added: schemas, call ids)."""
    return (node.call, node.name, node.kind, len(node.dependencies),
            tuple((param.name, param.location, param.alias, param.type) for param in node.params))


def _shared_defaults(plans: list[ParamPlan]) -> tuple[dict[str, Any], tuple[tuple[str, list[Any]], ...]] | None:
    """The defaults a decoder leaves to the engine for `plans` (path, query, header, cookie ones): shared
    values, and lists of scalars copied per request (as FastAPI's deep copy gives them); None when one
    needs more (a factory, validation of the default, a mutable value) or a plan reads anything else."""
    defaults = {}
    copied = []
    for plan in plans:
        if plan.loc[0] not in ("path", "query", "header", "cookie"):
            return None
        if plan.required:
            continue
        if plan.default_factory is not None or plan.validate_default:
            return None
        if plan.copy_default and not _unchanged_by_deepcopy(plan.default):
            if type(plan.default) is not list or not all(type(v) in _SCALARS for v in plan.default):
                return None
            copied.append((plan.name, plan.default))
            continue
        defaults[plan.name] = plan.default
    return defaults, tuple(copied)


class RoutePlan:
    """Everything one route does per request, prepared once."""

    __slots__ = ("ir", "endpoint", "is_async", "path_plans", "input_plans", "body_plans", "body_aliases",
                 "body_embedded", "request_param", "path_names", "response", "label", "root", "simple",
                 "has_body", "body_is_form", "endpoint_ctx", "app", "decoder", "decoder_defaults",
                 "decoder_reads_body", "decoder_reads_headers", "decoder_copied_defaults", "stream",
                 "stream_item_adapter", "response_class", "strict_content_type", "max_body_size",
                 "form_limits", "inline_async", "websocket", "route_class", "drive_inline")

    def __init__(self, route: RouteIR, live: RouteAnalysis, response: ResponsePlan, app: Any = None) -> None:
        self.ir = route
        self.app = app
        self.websocket = route.methods == ("WEBSOCKET",)  # engine/websocket.py runs it
        self.endpoint = live.route.endpoint
        self.is_async = route.is_async
        # Its first step is its whole run: no task needed (engine/inline.py).
        self.inline_async = self.is_async and never_suspends(self.endpoint)
        self.response = response
        self.label = f"{live.ir.endpoint} ({'/'.join(route.methods)} {route.path})"
        # A route class overriding get_route_handler (engine/route_class.py): its handler runs on the general path.
        self.route_class = live.route if overrides_handler(live.route) else None
        self.endpoint_ctx = response.endpoint_ctx
        dependant = live.dependant
        assert dependant is not None
        self.root = NodePlan(dependant, route.path, route.body_embedded)
        self.simple = not dependant.dependencies and not route.body_is_form and all(
            p.location in ("path", "query", "header", "cookie", "body", "request") for p in route.params)
        self.has_body = any(p.ir.location == "body" for n in dependant.walk() for p in n.params)
        self.stream = live.stream  # a generator endpoint: "jsonl" or "raw" (engine/streaming.py)
        self.stream_item_adapter = live.stream_item_adapter
        self.response_class = live.route.response_class
        if self.stream is not None or self.route_class is not None:
            self.simple = False
        self.body_is_form = route.body_is_form
        # The general path may start without a task (Executor._drive_inline): not for a custom route
        # class's handler, a form (its files close after the answer) or a generator endpoint.
        self.drive_inline = self.route_class is None and not self.body_is_form and self.stream is None
        live_params = {p.ir.name: p for p in live.params}
        self.path_names = tuple(name for name, _ in path_param_names(route.path))
        convertors = dict(path_param_names(route.path))

        path_plans: list[tuple[int, Callable[[str], Any], ParamPlan]] = []
        input_plans: list[tuple[int, ParamPlan]] = []
        body_plans: list[ParamPlan] = []
        body_aliases: list[str] = []
        self.request_param: str | None = None
        for param in route.params:
            if param.location == "request":
                self.request_param = param.name
                continue
            if param.location in ("response", "background_tasks", "security_scopes"):
                continue  # only the general path (NodePlan) fills these
            current = live_params.get(param.name)
            if current is None or current.adapter is None or current.field_info is None:
                raise AstraAPIError(f"{self.label}: the IR's parameter {param.name!r} is not in the app's endpoint")
            if param.location == "path":
                plan = ParamPlan(param, current.adapter, current.field_info, ("path", param.alias))
                path_plans.append(path_plan(self.path_names, convertors, plan, param.alias))
            elif param.location == "body":
                loc = ("body", param.alias) if param.embed else ("body",)
                body_plans.append(ParamPlan(param, current.adapter, current.field_info, loc))
                body_aliases.append(param.alias)
            else:
                plan = ParamPlan(param, current.adapter, current.field_info, (param.location, param.alias),
                                 current.group)
                input_plans.append((_LOCATION_ORDER[param.location], plan))
        self.path_plans = tuple(path_plans)
        # FastAPI validates path, then query, header, cookie, then body parameters.
        self.input_plans = tuple(plan for _, plan in sorted(input_plans, key=lambda item: item[0]))
        self.body_plans = tuple(body_plans)
        self.body_aliases = tuple(body_aliases)
        self.body_embedded = route.body_embedded
        self.decoder: CompiledDecoder | None = None
        self.decoder_defaults: dict[str, Any] = {}
        self.decoder_reads_body = False
        self.decoder_reads_headers = False
        self.decoder_copied_defaults: tuple[tuple[str, list[Any]], ...] = ()
        self.strict_content_type = True  # the app's setting, from the AppIR (Executor sets it)

    def bind_decoder(self, decoder: CompiledDecoder | None) -> None:
        """Use a compiled decoder for this route's path, query, header and cookie parameters,
        when the defaults it leaves to the engine are plain values (no factories or validation;
        a list of immutable values is copied per request, as FastAPI's deep copy gives it)."""
        if decoder is None or self.body_is_form:
            return
        if not self.simple:
            self._bind_tree_decoder(decoder)
            return
        plans = [plan for _, _, plan in self.path_plans] + list(self.input_plans)
        shared = _shared_defaults(plans)
        if shared is None:
            return
        self.decoder = decoder
        self.decoder_defaults, self.decoder_copied_defaults = shared
        # the same values for the general path (an app with exception handlers of its own)
        root = self.root
        root.decoded_keys = tuple((plan.name, plan.name) for plan in [*plans, *root.body_plans])
        root.decoded_defaults, root.decoded_copies = shared
        root.decoded_body = bool(self.body_plans)
        self.decoder_reads_body = bool(self.body_plans)  # the build decodes this route's JSON body
        self.decoder_reads_headers = self.decoder_reads_body or any(
            plan.loc[0] in ("header", "cookie") for plan in plans)

    def _bind_tree_decoder(self, decoder: CompiledDecoder) -> None:
        """A route with dependencies (or Response/BackgroundTasks parameters): the build's decoder gives
        every node's path, query, header and cookie parameters (a dependency's under
        `ir.nodes.dependency_key`), and the endpoint's JSON body; the general path hands each node its
        own (NodePlan.solve_own) when the decoder accepts the request (`decode_tree`)."""
        if self.stream is not None or self.route_class is not None:
            return
        nodes = list(self.root.walk())
        declared = dependency_nodes(self.ir)
        if len(nodes) != len(declared) + 1 or any(_shape(node.node.ir) != _shape(ir)
                                                   for node, ir in zip(nodes[1:], declared)):
            return  # the analysis is not the IR's tree: solved as it is, without the decoder
        bound = []
        reads_headers = False
        for number, node in enumerate(nodes):
            if number and node.body_plans:
                return
            plans = [plan for _, _, plan in node.path_plans] + list(node.input_plans)
            shared = _shared_defaults(plans)
            if shared is None:
                return
            keys = tuple((plan.name if number == 0 else dependency_key(number, plan.name), plan.name)
                         for plan in [*plans, *node.body_plans])  # (body plans: the endpoint's only)
            reads_headers = reads_headers or any(plan.loc[0] in ("header", "cookie") for plan in plans)
            bound.append((node, keys, shared))
        for node, keys, (defaults, copied) in bound:
            node.decoded_keys = keys
            node.decoded_defaults = defaults
            node.decoded_copies = copied
        self.root.decoded_body = bool(self.root.body_plans)
        self.decoder = decoder
        self.decoder_reads_body = bool(self.root.body_plans)
        self.decoder_reads_headers = self.decoder_reads_body or reads_headers

    def decode_tree(self, request: Any, path_params: tuple[str, ...]) -> dict[str, Any] | None:
        """The bound decoder's values for a route with dependencies, or None (declined, or none bound)."""
        decoder = self.decoder
        if decoder is None:
            return None
        if self.decoder_reads_headers:
            return decoder(request.query_string, path_params,
                           request.body if self.decoder_reads_body else None, request.headers)
        return decoder(request.query_string, path_params)

    def root_path_names(self) -> tuple[str, ...]:
        return self.path_names

    def solve(self, request: Any, path_params: tuple[str, ...]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Validated endpoint arguments and the errors, all of them. Raises BodyError."""
        if self.decoder is not None:
            if self.decoder_reads_headers:
                decoded = self.decoder(request.query_string, path_params,
                                       request.body if self.decoder_reads_body else None, request.headers)
            else:
                decoded = self.decoder(request.query_string, path_params)
            if decoded is not None:  # None: declined, the generic path below decides
                values = {**self.decoder_defaults, **decoded}
                for name, default in self.decoder_copied_defaults:
                    if name not in decoded:
                        values[name] = list(default)
                if self.request_param is not None:
                    values[self.request_param] = self._request_object(request, path_params)
                return values, []
        body = MISSING
        if self.body_plans:
            # a JSON error stops everything, as in FastAPI
            body = read_body(request.body, request.headers, self.strict_content_type)
        values: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        for position, convert, plan in self.path_plans:
            plan.apply(convert(path_params[position]) if position >= 0 else MISSING, values, errors)
        if self.input_plans:
            inputs = RequestInputs(request)
            for plan in self.input_plans:
                plan.apply(plan.read(inputs), values, errors)
        if self.body_plans:
            apply_json_body(body, self.body_plans, self.body_embedded, values, errors)
        if self.request_param is not None:
            values[self.request_param] = self._request_object(request, path_params)
        return values, errors

    def _request_object(self, request: Any, path_params: tuple[str, ...]) -> Request:
        router = getattr(self.app, "router", None)
        return Request(request, request_path_params(self.ir.path, self.path_names, path_params), app=self.app,
                       state=getattr(router, "lifespan_state", None))
