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
from astraapi.compiler.codegen.serializers import ModelPlanner, Unsupported, type_text
from astraapi.compiler.ir import FieldIR, ModelIR, TypeRef

INT64_LIMIT = 2**63 - 1
NUMERIC = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
LENGTH = {"min_length": ">=", "max_length": "<="}
# Types read from a JSON string in one canonical form: (constructor, gen_support.h form test).
# Python's constructor and pydantic give the same value for every string of that form.
TEXT_KINDS = {
    "uuid": ("uuid.UUID", TEXT_FORM_CHECKS["uuid"]),
    "date": ("datetime.date.fromisoformat", TEXT_FORM_CHECKS["date"]),
    "datetime": ("astraapi.engine.decode_support.iso_datetime", TEXT_FORM_CHECKS["datetime"]),
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
    target: str = ""  # enum: the class; text: the constructor ("module.QualName[.attr]")
    form_check: str = ""  # text: the gen_support.h test of the canonical form


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
            return self._helper(kind, ref, "", _numeric_checks(kind, constraints), helpers)
        if kind == "str":
            return self._helper("str", ref, "", _length_checks("astra_utf8_length(s)", constraints), helpers)
        if kind == "list":
            if len(ref.args) != 1:
                raise Unsupported(f"{type_text(ref)}: a list needs its item type")
            inner = self._plan_type(ref.args[0], helpers)
            return self._helper("list", ref, inner, _length_checks("n", constraints), helpers)
        if constraints:
            raise Unsupported(f"{type_text(ref)}: constraints {sorted(constraints)} are checked by pydantic")
        if kind in ("bool", "none", "any"):
            return self._helper(kind, ref, "", (), helpers)
        if kind == "optional":
            (inner_ref,) = ref.args
            if inner_ref.kind in ("optional", "union"):
                raise Unsupported(f"{type_text(ref)}: unions are validated by pydantic")
            return self._helper("optional", ref, self._plan_type(inner_ref, helpers), (), helpers)
        if kind == "dict":
            if len(ref.args) != 2 or ref.args[0].kind != "str":
                raise Unsupported(f"{type_text(ref)}: only dict[str, X] is decoded natively")
            return self._helper("dict", ref, self._plan_type(ref.args[1], helpers), (), helpers)
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

    @staticmethod
    def _helper(kind: str, ref: TypeRef, inner: str, checks: tuple[str, ...], helpers: list[DecodeHelper],
                target: str = "", form_check: str = "") -> str:
        digest = hashlib.sha256(json.dumps([kind, inner, checks, target, form_check]).encode()).hexdigest()[:10]
        name = f"dec_{kind}_{digest}"
        if all(helper.name != name for helper in helpers):
            helpers.append(DecodeHelper(name=name, kind=kind, inner=inner, checks=checks, type_text=type_text(ref),
                                        target=target, form_check=form_check))
        return name


def _numeric_checks(kind: str, constraints: dict) -> tuple[str, ...]:
    checks = []
    for name, value in sorted(constraints.items()):
        if name in NUMERIC:
            checks.append(f"value {NUMERIC[name]} {_number_literal(value, kind)}")
        elif name == "multiple_of" and kind == "int" and type(value) is int and 0 < value <= INT64_LIMIT:
            checks.append(f"value % INT64_C({value}) == 0")
        else:
            raise Unsupported(f"constraint {name}={value!r} on {kind} is checked by pydantic")
    return tuple(checks)


def _length_checks(subject: str, constraints: dict) -> tuple[str, ...]:
    checks = []
    for name, value in sorted(constraints.items()):
        if name not in LENGTH or type(value) is not int or not 0 <= value <= INT64_LIMIT:
            raise Unsupported(f"constraint {name}={value!r} is checked by pydantic")
        checks.append(f"{subject} {LENGTH[name]} {value}u")
    return tuple(checks)


def _number_literal(value: object, kind: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Unsupported(f"constraint value {value!r} is checked by pydantic")
    if kind == "int":
        if not isinstance(value, int) or abs(value) > INT64_LIMIT:
            raise Unsupported(f"constraint value {value!r} on an int is checked by pydantic")
        return f"INT64_C({value})"
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise Unsupported(f"constraint value {value!r} is checked by pydantic")
    if isinstance(value, int) and float(value) != value:
        raise Unsupported(f"constraint value {value!r} is not exact as a double")
    return repr(number)
