"""Plans for generated body decoders: a JSON request body -> a validated Pydantic model.

A body decoder reads the body the runtime parsed with yyjson and builds the model instance
pydantic would build from `json.loads(body)`: the same field values (same Python types),
the same `model_fields_set`, defaults filled as pydantic fills them. It accepts only what
it can decide exactly: the JSON type each field's type takes without coercion (an int for
`int`, an int or a float for `float`, a string for `str`, a member's value for an enum, a
canonical string for uuid, date and datetime, a canonical string or a number for
Decimal, ...) and the constraints it
checks natively (gt, ge, lt, le, multiple_of on ints, min_length/max_length on strings and
lists). Anything else (a wrong type, `"5"` for an int, a failed constraint, a duplicate key,
a value beyond int64) declines: the generic path validates that request with pydantic, so
every 422 body is pydantic's own, built only when validation fails.

One dispatch point (`_plan_type`) maps TypeRef kinds to decode helpers; a model that cannot
be decoded (ModelIR.decode_fallback_reasons, or a field type not listed here) keeps its
routes on the generic path, and the reason is recorded per model.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from astraapi.compiler.codegen import cpp
from astraapi.compiler.codegen.abi_registry import TEXT_FORM_CHECKS
from astraapi.compiler.codegen.common import (
    INT64_LIMIT,
    Unsupported,
    length_checks,
    numeric_checks,
    plain_pattern,
    type_text,
)
from astraapi.compiler.codegen.serializers import ModelPlanner
from astraapi.ir.nodes import FieldIR, ModelIR, TypeRef

# Types read from a JSON string in one canonical form: (constructor, gen_support.h form test).
# Python's constructor and pydantic give the same value for every string of that form.
TEXT_KINDS = {
    "uuid": ("uuid.UUID", TEXT_FORM_CHECKS["uuid"]),
    "date": ("datetime.date.fromisoformat", TEXT_FORM_CHECKS["date"]),
    "datetime": ("astraapi.engine.decode_support.iso_datetime", TEXT_FORM_CHECKS["datetime"]),
    "time": ("astraapi.engine.decode_support.iso_time", TEXT_FORM_CHECKS["time"]),
}
# Containers read from a JSON array, decoded as a list and then converted by their class (the
# class pydantic builds from an array: a set keeps the first of equal items, as pydantic's does).
COLLECTIONS = {
    ("tuple", ""): "builtins.tuple",
    ("tuple", "fixed"): "builtins.tuple",
    ("set", ""): "builtins.set",
    ("set", "frozenset"): "builtins.frozenset",
    ("list", "deque"): "collections.deque",
}
# Item types whose decoded values are hashable (set items, dict keys).
HASHABLE_KINDS = frozenset({"int", "float", "str", "bool", "none", "enum", "literal", "uuid", "date", "datetime",
                            "time", "timedelta", "decimal"})

# --- which member of a union takes a JSON value (pydantic's smart mode) ---------------------
# JSON value kinds, as the jin_kind tests that select them.
JSON_KINDS = {
    "null": "kind == ASTRA_JIN_NULL",
    "bool": "(kind == ASTRA_JIN_TRUE || kind == ASTRA_JIN_FALSE)",
    "int": "kind == ASTRA_JIN_INT",
    "float": "kind == ASTRA_JIN_REAL",
    "string": "kind == ASTRA_JIN_STR",
    "array": "kind == ASTRA_JIN_ARR",
    "object": "kind == ASTRA_JIN_OBJ",
}
SCALAR_JSON = frozenset({"bool", "int", "float", "string"})


@dataclass(frozen=True)
class UnionTraits:
    """How pydantic's smart-mode union sees one member, per JSON kind of the input (after
    json.loads): `possible`: kinds it might accept at all, coercions included (an
    over-approximation); `exact`: kinds on which it might succeed with exactness "exact" (then
    it wins at once); `decoded`: kinds the generated decoder reads for it; `decoded_exact`: kinds
    on which a value the decoder accepts is one pydantic validates exactly."""

    possible: frozenset[str]
    exact: frozenset[str]
    decoded: frozenset[str]
    decoded_exact: frozenset[str]


def _traits(possible, exact, decoded, decoded_exact) -> UnionTraits:
    return UnionTraits(frozenset(possible), frozenset(exact), frozenset(decoded), frozenset(decoded_exact))


_SIMPLE_TRAITS = {
    "int": _traits(SCALAR_JSON, {"int"}, {"int"}, {"int"}),
    "float": _traits(SCALAR_JSON, {"float"}, {"int", "float"}, {"float"}),  # an int is "strict", not exact
    "str": _traits({"string"}, {"string"}, {"string"}, {"string"}),
    "bool": _traits(SCALAR_JSON, {"bool"}, {"bool"}, {"bool"}),
    "none": _traits({"null"}, {"null"}, {"null"}, {"null"}),
    # validated from a JSON value by coercion (lax): never exact, as far as the decoder claims
    "enum": _traits(SCALAR_JSON, SCALAR_JSON, {"string", "int"}, ()),
    "decimal": _traits(SCALAR_JSON, SCALAR_JSON, {"string", "int", "float"}, ()),
    "timedelta": _traits(SCALAR_JSON, SCALAR_JSON, {"int"}, ()),
    **{kind: _traits(SCALAR_JSON, SCALAR_JSON, {"string"}, ()) for kind in TEXT_KINDS},
    "model": _traits({"object"}, {"object"}, {"object"}, ()),
    "dict": _traits({"object"}, {"object"}, {"object"}, ()),
    **{kind: _traits({"array"}, {"array"}, {"array"}, ()) for kind in ("list", "tuple", "set")},
}


@dataclass(frozen=True)
class DecodeHelper:
    """A static C function decoding one JSON value of one type; `kind` names its template
    (templates/jdec_<kind>.cpp.j2)."""

    name: str
    kind: str
    inner: str  # the decode function of the item/value type ("" for scalars)
    checks: tuple[str, ...]  # C conditions that must hold (on `value`, `s` or `n`)
    type_text: str
    target: str = ""  # enum: the class; text, collect: the constructor ("module.QualName[.attr]")
    form_check: str = ""  # text: the gen_support.h test of the canonical form
    key: str = ""  # keyed_dict: the decode function of the keys (called on the key string)
    items: tuple[str, ...] = ()  # fixed_tuple: the decode function of each position
    # literal: (C condition on `s` (a string), on `value` (an int), true, false, null) that
    # select the accepted values; union: (C condition on `kind`, decode function) in order
    cases: tuple[tuple[str, str], ...] = ()
    pattern: str = ""  # str_pattern: the regular expression (a plain one: common.plain_pattern)


@dataclass(frozen=True)
class DecodeField:
    name: str  # the attribute (key of the instance __dict__)
    key: str  # the JSON key validation reads (the validation alias, else the name)
    call: str  # decode function of its value
    required: bool
    type_text: str


@dataclass
class BodyModelPlan:
    model: ModelIR
    function: str  # astra_obj fn(const astra_services*, const astra_jin*): a new instance or NULL
    init_function: str
    ident: str
    fields: list[DecodeField] = field(default_factory=list)
    helpers: list[DecodeHelper] = field(default_factory=list)


class BodyDecoderPlanner(ModelPlanner[BodyModelPlan]):
    def _fallback_reasons(self, model: ModelIR) -> tuple[str, ...]:
        return model.decode_fallback_reasons

    def _new_plan(self, model: ModelIR) -> BodyModelPlan:
        ident = cpp.identifier("", model.key)
        return BodyModelPlan(model=model, function=f"astra_gen_dec_{ident}",
                             init_function=f"astra_gen_init_dec_{ident}", ident=ident)

    def _plan_field(self, plan: BodyModelPlan, field_ir: FieldIR) -> None:
        plan.fields.append(DecodeField(
            name=field_ir.name,
            key=field_ir.validation_alias or field_ir.name,
            call=self._field_call(field_ir, plan.helpers),
            required=field_ir.required,
            type_text=type_text(field_ir.type),
        ))

    def planned(self) -> tuple[list[BodyModelPlan], dict[str, str]]:
        """The plans made so far (models some route reached), in declaration order, and the
        failures. A plan that refers to a model whose planning failed later (a recursive
        model) is dropped too."""
        plans = {key: plan for key, plan in self._plans.items()}
        changed = True
        while changed:
            functions = {plan.function for plan in plans.values()}
            changed = False
            for key, plan in list(plans.items()):
                calls = [f.call for f in plan.fields] + [h.inner for h in plan.helpers]
                if any(call.startswith("astra_gen_dec_") and call not in functions for call in calls):
                    del plans[key]
                    self._failures.setdefault(key, f"model {plan.model.name}: refers to a model without a decoder")
                    changed = True
        return [plans[key] for key in self._models if key in plans], dict(self._failures)

    def supported_models(self) -> tuple[list[BodyModelPlan], dict[str, str]]:
        for key in self._models:
            try:
                self.model_plan(key)
            except Unsupported:
                pass
        return [self._plans[key] for key in self._models if key in self._plans], dict(self._failures)

    # --- fields and types ------------------------------------------------------------------

    def _field_call(self, field_ir: FieldIR, helpers: list[DecodeHelper]) -> str:
        constraints = {name: json.loads(raw) for name, raw in field_ir.constraints}
        return self._plan_type(field_ir.type, helpers, constraints)

    def _plan_type(self, ref: TypeRef, helpers: list[DecodeHelper], constraints: dict | None = None) -> str:
        """The one dispatch point over TypeRef kinds. `constraints` apply to this type itself."""
        constraints = constraints or {}
        kind = ref.kind
        if kind in ("int", "float"):
            return self._helper(kind, ref, "", numeric_checks(kind, constraints), helpers)
        if kind == "str":
            constraints = dict(constraints)
            pattern = constraints.pop("pattern", None)
            checks = length_checks("astra_utf8_length(s)", constraints)
            if pattern is None:
                return self._helper("str", ref, "", checks, helpers)
            if not plain_pattern(pattern):
                raise Unsupported(f"pattern {pattern!r}: only plain patterns are checked natively "
                                  f"(pydantic's Rust regex and Python's re agree on them)")
            return self._helper("str_pattern", ref, "", checks, helpers,
                                target="astraapi.engine.decode_support.pattern_search", pattern=pattern)
        if kind == "list" and not ref.form:  # a deque: below (COLLECTIONS)
            if len(ref.args) != 1:
                raise Unsupported(f"{type_text(ref)}: a list needs its item type")
            inner = self._plan_type(ref.args[0], helpers)
            return self._helper("list", ref, inner, length_checks("n", constraints), helpers)
        if constraints:
            raise Unsupported(f"{type_text(ref)}: constraints {sorted(constraints)} are checked by pydantic")
        if kind in ("bool", "none", "any"):
            return self._helper(kind, ref, "", (), helpers)
        if kind == "optional":
            (inner_ref,) = ref.args
            if inner_ref.kind == "union":  # X | Y | None: one union of the three
                return self._plan_union(ref, helpers)
            if inner_ref.kind == "optional":
                raise Unsupported(f"{type_text(ref)}: nested optional types are validated by pydantic")
            return self._helper("optional", ref, self._plan_type(inner_ref, helpers), (), helpers)
        if kind == "dict":
            if len(ref.args) != 2:
                raise Unsupported(f"{type_text(ref)}: a dict needs its key and value types")
            key_ref, value_ref = ref.args
            if key_ref.kind == "str":
                return self._helper("dict", ref, self._plan_type(value_ref, helpers), (), helpers)
            if key_ref.kind not in ("int", "enum", "uuid"):
                raise Unsupported(f"{type_text(ref)}: only str, int, enum and UUID keys are decoded natively")
            # JSON keys are strings: an int key in its canonical spelling (pydantic's lax str -> int
            # also takes "+5", " 5", "5.0", "1_000": declined), an enum's str value, a canonical UUID.
            key = self._helper("int_key", key_ref, "", (), helpers) if key_ref.kind == "int" \
                else self._plan_type(key_ref, helpers)
            return self._helper("keyed_dict", ref, self._plan_type(value_ref, helpers), (), helpers, key=key)
        if kind == "literal":
            return self._helper("literal", ref, "", (), helpers, cases=_literal_cases(ref))
        if kind == "timedelta":  # an integer number of seconds (strings and floats: pydantic's call)
            return self._helper("timedelta", ref, "", (), helpers,
                                target="astraapi.engine.decode_support.seconds_timedelta")
        if kind == "union":
            return self._plan_union(ref, helpers)
        if kind == "tuple" and ref.form == "fixed":
            items = tuple(self._plan_type(arg, helpers) for arg in ref.args)
            return self._helper("fixed_tuple", ref, "", (f"n == {len(items)}u",), helpers,
                                target="builtins.tuple", items=items)
        if (kind, ref.form) in COLLECTIONS:
            if len(ref.args) != 1:
                raise Unsupported(f"{type_text(ref)}: a {kind} needs its item type")
            item = ref.args[0]
            if kind == "set" and not _hashable(item):
                raise Unsupported(f"{type_text(ref)}: set items of this type are validated by pydantic")
            items = self._helper("list", ref, self._plan_type(item, helpers), (), helpers)
            return self._helper("collect", ref, items, (), helpers, target=COLLECTIONS[(kind, ref.form)])
        if kind == "enum":
            if not ref.enum_key or ref.enum_values_json is None or "<locals>" in ref.enum_key:
                raise Unsupported(
                    f"{type_text(ref)}: an enum whose class or values are not plain is validated by pydantic")
            return self._helper("enum", ref, "", (), helpers, target=ref.enum_key)
        if kind == "decimal":  # strings of the canonical form, integers, floats (via str, as pydantic)
            return self._helper("decimal", ref, "", (), helpers)
        if kind in TEXT_KINDS:
            target, form_check = TEXT_KINDS[kind]
            return self._helper("text", ref, "", (), helpers, target=target, form_check=form_check)
        if kind == "model":
            if ref.model is None:
                raise Unsupported(f"{type_text(ref)}: model reference without a key")
            if ref.model not in self._in_progress:
                self.model_plan(ref.model)
            return self._plans[ref.model].function
        raise Unsupported(f"{type_text(ref)}: type kind {kind!r} is validated by pydantic")

    def _plan_union(self, ref: TypeRef, helpers: list[DecodeHelper]) -> str:
        """A union (optional ones included) as pydantic's smart mode validates it: a JSON value
        goes to the one member that can accept its JSON kind at all, or to the one member that
        takes it exactly when no other member might (int | float: an integer is the int's, a
        float the float's). A JSON kind some member decodes but no member wins for certain (two
        models for an object) makes the union pydantic's."""
        members = list(_union_members(ref))
        traits = []
        for member in members:
            found = _SIMPLE_TRAITS.get(member.kind)
            if member.kind == "literal":
                found = _literal_traits(member)
            if found is None:
                raise Unsupported(f"{type_text(ref)}: a union member {type_text(member)} is validated by pydantic")
            traits.append(found)
        cases = []
        for json_kind, condition in JSON_KINDS.items():
            able = [i for i, t in enumerate(traits) if json_kind in t.possible]
            chosen = None
            if len(able) == 1 and json_kind in traits[able[0]].decoded:
                chosen = able[0]
            else:
                exact = [i for i in able if json_kind in traits[i].decoded_exact]
                if len(exact) == 1 and all(json_kind not in traits[i].exact for i in able if i != exact[0]):
                    chosen = exact[0]
            if chosen is not None:
                cases.append((condition, self._plan_type(members[chosen], helpers)))
            elif any(json_kind in traits[i].decoded for i in able):
                names = " and ".join(type_text(members[i]) for i in able)
                raise Unsupported(f"{type_text(ref)}: a JSON {json_kind} could be validated by {names} "
                                  f"(pydantic's smart mode decides)")
        return self._helper("union", ref, "", (), helpers, cases=tuple(cases))

    @staticmethod
    def _helper(kind: str, ref: TypeRef, inner: str, checks: tuple[str, ...], helpers: list[DecodeHelper],
                target: str = "", form_check: str = "", key: str = "", items: tuple[str, ...] = (),
                cases: tuple[tuple[str, str], ...] = (), pattern: str = "") -> str:
        parts = [kind, inner, checks, target, form_check]
        if key or items or cases or pattern:  # (only then: the names of the other helpers stay as they were)
            parts += [key, items, cases, pattern]
        digest = hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:10]
        name = f"dec_{kind}_{digest}"
        if all(helper.name != name for helper in helpers):
            helpers.append(DecodeHelper(name=name, kind=kind, inner=inner, checks=checks, type_text=type_text(ref),
                                        target=target, form_check=form_check, key=key, items=items, cases=cases,
                                        pattern=pattern))
        return name


def _union_members(ref: TypeRef):
    """The members of a union or optional type, nested unions flattened (as pydantic does)."""
    if ref.kind in ("union", "optional"):
        if ref.kind == "optional":
            yield TypeRef(kind="none", text="None")
        for arg in ref.args:
            yield from _union_members(arg)
    else:
        yield ref


def _literal_values(ref: TypeRef) -> list:
    if ref.enum_values_json is None:
        raise Unsupported(f"{type_text(ref)}: a literal of values other than str, int, bool and None "
                          f"is validated by pydantic")
    values = json.loads(ref.enum_values_json)
    for value in values:
        if type(value) is int and abs(value) > INT64_LIMIT:
            raise Unsupported(f"{type_text(ref)}: an int literal beyond int64 is validated by pydantic")
        if type(value) is str:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise Unsupported(f"{type_text(ref)}: a literal that is not valid UTF-8") from None
    return values


def _literal_cases(ref: TypeRef) -> tuple[tuple[str, str], ...]:
    """The accepted values of a literal, exactly as given (a JSON value of another type that
    pydantic's lax mode may still take, 1 for True, 1.0 for 1, is declined)."""
    values = _literal_values(ref)
    strings = [v for v in values if type(v) is str]
    ints = [v for v in values if type(v) is int]
    string_test = " || ".join(
        f"(s.len == {cpp.byte_length(v)}u && __builtin_memcmp(s.data, {cpp.string_literal(v)}, "
        f"{cpp.byte_length(v)}) == 0)" for v in strings) or "0"
    int_test = " || ".join(f"value == INT64_C({v})" for v in ints) or "0"
    return (("string", string_test), ("int", int_test), ("true", "1" if any(v is True for v in values) else "0"), ("false", "1" if any(v is False for v in values) else "0"),
        ("null", "1" if None in values else "0"))


def _literal_traits(ref: TypeRef) -> UnionTraits:
    values = _literal_values(ref)
    kinds = {"string" if type(v) is str else "int" if type(v) is int else "bool" if type(v) is bool else "null"
             for v in values}
    possible = set(kinds)
    if kinds & {"int", "bool"}:
        possible |= SCALAR_JSON  # 1 for True, True for 1, 1.0 for 1 (lax)
    return _traits(possible, kinds, kinds, kinds)


def _hashable(ref: TypeRef) -> bool:
    if ref.kind in HASHABLE_KINDS:
        return True
    if ref.kind == "tuple":
        return all(_hashable(arg) for arg in ref.args)
    if ref.kind in ("optional", "union"):
        return all(_hashable(arg) for arg in ref.args)
    return False
