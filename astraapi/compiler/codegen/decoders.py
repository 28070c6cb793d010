"""Plans for generated request decoders: path and query parameters of scalar types, and a
JSON body parameter of a model type (see body_decoders.py).

A decoder reads a route's parameters straight from the raw query string and the matched
path segments, converts the canonical spellings (`42`, `-1.5e3`, `true`) and checks the
numeric and length constraints. Anything else makes it decline, and the generic path
decodes that request, so a decoder only ever has to be right about what it accepts.
One dispatch point (`_plan_param`) decides per parameter; the first parameter it cannot
handle leaves the whole route on the generic path, with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from astraapi.compiler.codegen import cpp
from astraapi.compiler.codegen.body_decoders import BodyDecoderPlanner
from astraapi.compiler.codegen.serializers import Unsupported
from astraapi.compiler.ir import ParamIR, RouteIR, TypeRef
from astraapi.compiler.trie import parse_route_path

SCALAR_KINDS = ("int", "float", "str", "bool")
NUMERIC_CONSTRAINTS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
LENGTH_CONSTRAINTS = {"min_length": ">=", "max_length": "<="}
INT64_LIMIT = 2**63 - 1


@dataclass(frozen=True)
class ParamDecode:
    name: str  # the endpoint's keyword argument
    location: str  # "path" | "query"
    kind: str  # one of SCALAR_KINDS
    required: bool
    key: str  # the query key (alias), or the path parameter's name
    path_position: int  # position among the path parameters (path only)
    checks: tuple[str, ...]  # C conditions on `value` (or `raw`) that must hold
    comment: str
    call: str = ""  # body: the model's body decoder function
    embedded: bool = False  # body: read from the body object under `key` (several body parameters, embed=True)


@dataclass(frozen=True)
class DecoderPlan:
    route: RouteIR
    function: str
    params: tuple[ParamDecode, ...]


def plan_decoder(route: RouteIR, bodies: BodyDecoderPlanner | None = None) -> DecoderPlan:
    if getattr(route, "dependencies", ()):
        raise Unsupported("dependencies are solved on the generic path")
    path_names = [segment.param_name for segment in parse_route_path(route) if segment.literal is None]
    params = []
    for param in route.params:
        if param.location == "request":
            continue  # the engine passes the Request object itself
        if param.location == "body":
            params.append(_plan_body(route, param, bodies))
            continue
        params.append(_plan_param(param, path_names))
    if not params:
        raise Unsupported("no parameters to decode")
    return DecoderPlan(route=route, function=f"decode_route_{route.index}", params=tuple(params))


def _plan_param(param: ParamIR, path_names: list[str]) -> ParamDecode:
    """The one dispatch point over parameter locations and types."""
    label = f"parameter {param.name!r}"
    if param.location not in ("path", "query"):
        raise Unsupported(f"{label}: {param.location} parameters are decoded on the generic path")
    if param.is_sequence:
        raise Unsupported(f"{label}: list parameters are decoded on the generic path")
    if param.alias_choices:
        raise Unsupported(f"{label}: AliasChoices parameters are decoded on the generic path")
    kind = _scalar_kind(param.type)
    if kind is None:
        raise Unsupported(f"{label}: type {param.type.text or param.type.kind} is decoded on the generic path")
    position = -1
    if param.location == "path":
        if param.alias not in path_names:
            raise Unsupported(f"{label}: not a segment of the path")
        position = path_names.index(param.alias)
    return ParamDecode(
        name=param.name,
        location=param.location,
        kind=kind,
        required=param.required,
        key=param.alias,
        path_position=position,
        checks=_checks(param, kind, label),
        comment=cpp.comment_text(f"{param.name}: {param.type.text or kind} from {param.location} {param.alias!r}"),
    )


def _plan_body(route: RouteIR, param: ParamIR, bodies: BodyDecoderPlanner | None) -> ParamDecode:
    label = f"body parameter {param.name!r}"
    if bodies is None:
        raise Unsupported(f"{label}: no body decoder planner")
    if route.body_is_form or param.is_form:
        raise Unsupported(f"{label}: form bodies are decoded on the generic path")
    embedded = route.body_embedded
    if not embedded and (param.embed or sum(p.location == "body" for p in route.params) != 1):
        raise Unsupported(f"{label}: several body parameters without body_embedded")
    ref = param.type
    if ref.kind == "optional" and not param.required and len(ref.args) == 1:
        ref = ref.args[0]  # an optional body: decoded when it is there (absent or null: the generic path)
    if ref.kind != "model" or ref.model is None:
        raise Unsupported(f"{label}: type {param.type.text or param.type.kind} is decoded on the generic path")
    if param.constraints:
        raise Unsupported(f"{label}: constraints on the body parameter are checked on the generic path")
    plan = bodies.model_plan(ref.model)
    return ParamDecode(
        name=param.name,
        location="body",
        kind="model",
        required=True,
        key=param.alias,
        path_position=-1,
        checks=(),
        comment=cpp.comment_text(f"{param.name}: {param.type.text or 'model'} from the JSON body"
                                 + (f" key {param.alias!r}" if embedded else "")),
        call=plan.function,
        embedded=embedded,
    )


def _scalar_kind(ref: TypeRef) -> str | None:
    if ref.kind in SCALAR_KINDS:
        return ref.kind
    if ref.kind == "optional" and len(ref.args) == 1 and ref.args[0].kind in SCALAR_KINDS:
        return ref.args[0].kind  # a value that is present is parsed as the inner type
    return None


def _checks(param: ParamIR, kind: str, label: str) -> tuple[str, ...]:
    checks = []
    for name, raw in param.constraints:
        value = json.loads(raw)
        if value is None:
            continue
        if name in NUMERIC_CONSTRAINTS and kind in ("int", "float"):
            checks.append(f"value {NUMERIC_CONSTRAINTS[name]} {_number_literal(value, kind, label)}")
        elif name in LENGTH_CONSTRAINTS and kind == "str" and isinstance(value, int):
            checks.append(f"astra_utf8_length(raw) {LENGTH_CONSTRAINTS[name]} {value}u")
        else:
            raise Unsupported(f"{label}: constraint {name}={raw} is checked on the generic path")
    return tuple(checks)


def _number_literal(value: object, kind: str, label: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Unsupported(f"{label}: constraint value {value!r} is checked on the generic path")
    if kind == "int":
        if not isinstance(value, int) or abs(value) > INT64_LIMIT:
            raise Unsupported(f"{label}: constraint value {value!r} is checked on the generic path")
        return f"INT64_C({value})"
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise Unsupported(f"{label}: constraint value {value!r} is checked on the generic path")
    if isinstance(value, int) and float(value) != value:
        raise Unsupported(f"{label}: constraint value {value!r} is not exact as a double")
    return repr(number)
