"""Plans for generated request decoders: path, query, header and cookie parameters of scalar
types and lists of them, and a JSON body parameter of a model type (see body_decoders.py).

A decoder reads a route's parameters straight from the raw query string, the matched path
segments, the request's headers and its cookie header, converts the canonical spellings (`42`,
`-1.5e3`, `true`, an enum member's value, `2024-01-31`, a uuid's 8-4-4-4-12 form) and checks the
numeric and length constraints. Anything else makes it decline, and the generic path decodes
that request, so a decoder only ever has to be right about what it accepts.
One dispatch point (`_plan_param`) decides per parameter, and one (`_converter`) per value
type; the first parameter they cannot handle leaves the whole route on the generic path, with
the reason.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from astraapi.compiler.codegen import cpp
from astraapi.compiler.codegen.abi_registry import PARAM_LOCATIONS, TEXT_FORM_CHECKS
from astraapi.compiler.codegen.body_decoders import BodyDecoderPlanner
from astraapi.compiler.codegen.common import INT64_LIMIT, LENGTH, NUMERIC, Unsupported, number_literal, plain_pattern
from astraapi.ir.nodes import ParamIR, RouteIR, TypeRef, dependency_key, dependency_nodes
from astraapi.ir.trie import PARAM_KINDS, parse_route_path

SCALAR_KINDS = ("int", "float", "str", "bool")
# More occurrences of a list parameter than this: the decoder declines (the generic path reads them).
MAX_LIST_ITEMS = 64
# Types converted from their text into a Python object by a constructor that agrees with pydantic
# on the canonical form gen_support.h checks: (constructor, form check).
TEXT_KINDS = {
    "uuid": ("uuid.UUID", TEXT_FORM_CHECKS["uuid"]),
    "date": ("datetime.date.fromisoformat", TEXT_FORM_CHECKS["date"]),
    "datetime": ("astraapi.engine.decode_support.iso_datetime", TEXT_FORM_CHECKS["datetime"]),
    "decimal": ("decimal.Decimal", TEXT_FORM_CHECKS["decimal"]),
}
# Path convertors whose value pydantic then validates as the text itself would be (the router
# only lets digits through `:int`, a decimal through `:float`, a uuid through `:uuid`).
PATH_CONVERTOR_KINDS = {"str": None, "path": None, "int": ("int", "float"), "float": ("int", "float"),
                        "uuid": ("uuid",)}


@dataclass(frozen=True)
class TextConverter:
    """A static C function turning one raw text value into a new Python object (or NULL:
    decline); `kind` names its template (templates/qconv_<kind>.cpp.j2)."""

    name: str
    kind: str  # int, float, str, bool, enum, text
    checks: tuple[str, ...]
    type_text: str
    target: str = ""  # enum: the class; text: the constructor ("module.QualName[.attr]")
    form_check: str = ""  # text: the gen_support.h test of the canonical form
    pattern: str = ""  # str_pattern: the regular expression (a plain one, see common.plain_pattern)


@dataclass(frozen=True)
class ParamDecode:
    name: str  # the endpoint's keyword argument
    location: str  # "path" | "query" | "header" | "cookie" | "body"
    kind: str  # one of SCALAR_KINDS (converted inline), "object" (by `converter`), "model" (body)
    required: bool
    key: str  # the query key (alias), the header name (lower case), the cookie name, or the path parameter's name
    path_position: int  # position among the path parameters (path only)
    checks: tuple[str, ...]  # C conditions on `value` (or `raw`) that must hold; for a list, on `n`
    comment: str
    call: str = ""  # body: the model's body decoder function
    embedded: bool = False  # body: read from the body object under `key` (several body parameters, embed=True)
    converter: str = ""  # kind "object" and list items: the TextConverter function
    sequence: bool = False  # every occurrence, as a list (query and header)


@dataclass(frozen=True)
class DecoderPlan:
    route: RouteIR
    function: str
    params: tuple[ParamDecode, ...]
    converters: tuple[TextConverter, ...] = ()


# Parameters the engine fills itself (the request, the temporary response, background tasks, scopes).
SPECIAL_LOCATIONS = ("request", "response", "background_tasks", "security_scopes")


def plan_decoder(route: RouteIR, bodies: BodyDecoderPlanner | None = None) -> DecoderPlan:
    segments = [segment for segment in parse_route_path(route) if segment.literal is None]
    path_names = [segment.param_name for segment in segments]
    convertor_names = {number: name for name, number in PARAM_KINDS.items()}
    convertors = [convertor_names[segment.param_kind] for segment in segments]
    params = []
    converters: list[TextConverter] = []
    for param in route.params:
        if param.location in SPECIAL_LOCATIONS:
            continue  # the engine passes the Request object (and the rest) itself
        if param.location == "body":
            params.append(_plan_body(route, param, bodies))
            continue
        params.append(_plan_param(param, path_names, convertors, converters))
    # Each dependency's own path, query, header and cookie parameters, under dependency_key names.
    for number, node in enumerate(dependency_nodes(route), start=1):
        for param in node.params:
            if param.location in SPECIAL_LOCATIONS:
                continue
            if param.location == "body":
                raise Unsupported("a dependency's body parameters are validated on the generic path")
            decoded = _plan_param(param, path_names, convertors, converters)
            params.append(dataclasses.replace(decoded, name=dependency_key(number, param.name)))
    if not params:
        raise Unsupported("no parameters to decode")
    return DecoderPlan(route=route, function=f"decode_route_{route.index}", params=tuple(params),
                       converters=tuple(converters))


def _plan_param(param: ParamIR, path_names: list[str], convertors: list[str],
                converters: list[TextConverter]) -> ParamDecode:
    """The one dispatch point over parameter locations."""
    label = f"parameter {param.name!r}"
    if param.location not in ("path", *PARAM_LOCATIONS):
        raise Unsupported(f"{label}: {param.location} parameters are decoded on the generic path")
    if param.alias_choices:
        raise Unsupported(f"{label}: AliasChoices parameters are decoded on the generic path")
    if param.fields:
        raise Unsupported(f"{label}: parameter models are validated on the generic path")
    key = param.alias
    if param.location == "header":
        key = param.alias.lower()
        if not key.isascii():
            raise Unsupported(f"{label}: a header name that is not ASCII is read on the generic path")
    ref = param.type
    if ref.kind == "optional" and len(ref.args) == 1:
        ref = ref.args[0]  # a value that is present is parsed as the inner type
    comment = cpp.comment_text(f"{param.name}: {param.type.text or param.type.kind} from {param.location} {key!r}")
    if param.is_sequence:
        if param.location not in ("query", "header") or ref.kind != "list" or len(ref.args) != 1:
            raise Unsupported(f"{label}: type {param.type.text or param.type.kind} is decoded on the generic path")
        item = _converter(ref.args[0], (), label, converters)
        return ParamDecode(name=param.name, location=param.location, kind="list", required=param.required,
                           key=key, path_position=-1, checks=_list_checks(param, label), comment=comment,
                           converter=item, sequence=True)
    position = -1
    if param.location == "path":
        if param.alias not in path_names:
            raise Unsupported(f"{label}: not a segment of the path")
        position = path_names.index(param.alias)
        allowed = PATH_CONVERTOR_KINDS.get(convertors[position], ())
        if allowed is not None and ref.kind not in allowed:
            raise Unsupported(f"{label}: a {ref.kind} read through the :{convertors[position]} path convertor "
                              "is validated on the generic path")
    kind = _scalar_kind(param.type)
    converter = ""
    if kind == "str" and any(name == "pattern" for name, _ in param.constraints):
        kind = None  # a str with a pattern: converted (and searched) by a str_pattern converter
    if kind is not None:
        checks = _checks(param, kind, label)
    else:
        kind = "object"
        converter = _converter(ref, param.constraints, label, converters)
        checks = ()
    return ParamDecode(
        name=param.name,
        location=param.location,
        kind=kind,
        required=param.required,
        key=key,
        path_position=position,
        checks=checks,
        comment=comment,
        converter=converter,
    )


def _converter(ref: TypeRef, constraints: tuple[tuple[str, str], ...], label: str,
               converters: list[TextConverter]) -> str:
    """The one dispatch point over value types read from text: the converter's function name."""
    kind = ref.kind
    text = ref.text or kind
    if kind == "str" and any(name == "pattern" for name, _ in constraints):
        pattern = json.loads(dict(constraints)["pattern"])
        if type(pattern) is not str or not plain_pattern(pattern):
            raise Unsupported(f"{label}: constraint pattern ({json.dumps(pattern)}) is checked on the generic path "
                              "(only plain patterns, on which pydantic's Rust regex and Python's re agree, are "
                              "checked natively)")
        checks = _constraint_checks(tuple(item for item in constraints if item[0] != "pattern"), kind, label)
        return _add(converters, TextConverter(name="", kind="str_pattern", checks=checks, type_text=text,
                                              target="astraapi.engine.decode_support.pattern_search",
                                              pattern=pattern))
    if kind in SCALAR_KINDS:
        checks = _constraint_checks(constraints, kind, label)
        return _add(converters, TextConverter(name="", kind=kind, checks=checks, type_text=text))
    if constraints:
        raise Unsupported(f"{label}: constraints on {text} are checked on the generic path")
    if kind == "enum":
        values = json.loads(ref.enum_values_json) if ref.enum_values_json is not None else None
        if not ref.enum_key or "<locals>" in ref.enum_key or not values:
            raise Unsupported(f"{label}: an enum whose class or values are not plain is validated on the generic path")
        if not all(isinstance(value, str) for value in values):
            # pydantic converts a query string for an int enum only when the class is an int subclass
            raise Unsupported(f"{label}: an enum with values that are not strings is validated on the generic path")
        return _add(converters, TextConverter(name="", kind="enum", checks=(), type_text=text, target=ref.enum_key))
    if kind in TEXT_KINDS:
        target, form_check = TEXT_KINDS[kind]
        return _add(converters, TextConverter(name="", kind="text", checks=(), type_text=text, target=target,
                                              form_check=form_check))
    raise Unsupported(f"{label}: type {text} is decoded on the generic path")


def _add(converters: list[TextConverter], converter: TextConverter) -> str:
    parts = [converter.kind, converter.checks, converter.target, converter.form_check]
    if converter.pattern:
        parts.append(converter.pattern)
    digest = hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:10]
    name = f"qconv_{converter.kind}_{digest}"
    if all(known.name != name for known in converters):
        converters.append(dataclasses.replace(converter, name=name))
    return name


def _list_checks(param: ParamIR, label: str) -> tuple[str, ...]:
    checks = []
    for name, raw in param.constraints:
        value = json.loads(raw)
        if value is None:
            continue
        if name not in LENGTH or type(value) is not int or not 0 <= value <= INT64_LIMIT:
            raise Unsupported(f"{label}: constraint {name} ({raw}) is checked on the generic path")
        checks.append(f"(size_t)n {LENGTH[name]} {value}u")
    return tuple(checks)


def _plan_body(route: RouteIR, param: ParamIR, bodies: BodyDecoderPlanner | None) -> ParamDecode:
    label = f"body parameter {param.name!r}"
    if bodies is None:
        raise Unsupported(f"{label}: no body decoder planner")
    if route.body_is_form or param.is_form:
        raise Unsupported(f"{label}: form bodies are decoded on the generic path")
    if param.alias_choices and route.body_embedded:
        raise Unsupported(f"{label}: AliasChoices body keys are read on the generic path")
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
    return _constraint_checks(param.constraints, kind, label)


def _constraint_checks(constraints: tuple[tuple[str, str], ...], kind: str, label: str) -> tuple[str, ...]:
    checks = []
    for name, raw in constraints:
        value = json.loads(raw)
        if value is None:
            continue
        if name in NUMERIC and kind in ("int", "float"):
            literal = number_literal(value, kind, where=f"{label}: ", fallback="checked on the generic path", int_note="")
            checks.append(f"value {NUMERIC[name]} {literal}")
        elif name == "multiple_of" and kind == "int" and type(value) is int and 0 < value <= INT64_LIMIT:
            checks.append(f"value % INT64_C({value}) == 0")
        elif name in LENGTH and kind == "str" and type(value) is int and 0 <= value <= INT64_LIMIT:
            checks.append(f"astra_utf8_length(raw) {LENGTH[name]} {value}u")
        else:
            raise Unsupported(f"{label}: constraint {name} ({raw}) is checked on the generic path")
    return tuple(checks)
