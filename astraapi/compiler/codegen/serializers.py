"""Plans for generated response serializers: which C++ function serializes which type.

One dispatch point (`_plan_type`) maps every TypeRef kind to a plan or to an Unsupported
reason; a route whose response type is unsupported stays on the generic (pydantic) path
and the build summary says why.

The same planner, with `encode=True`, plans encoders: functions that take the endpoint's
raw return value (plain dicts and lists, or validated instances) and write what pydantic
writes after validating it, without building model instances. They need models whose
plain-data validation generated code reproduces (ModelIR.validation_fallback_reasons).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from astraapi.compiler.codegen import cpp
from astraapi.compiler.codegen.abi_registry import JSON_NATIVE_KINDS, SCALAR_SERIALIZERS
from astraapi.compiler.codegen.common import Unsupported, length_checks, numeric_checks, type_text
from astraapi.ir.nodes import AppIR, FieldIR, ModelIR, RouteIR, TypeRef

PlanT = TypeVar("PlanT")


@dataclass(frozen=True)
class HelperFn:
    """A generated static function for a composite type; `kind` names its template."""

    name: str
    kind: str  # "list" | "optional" | "check_int" | "check_float" | "check_str" | "check_list"
    inner_call: str
    type_text: str
    checks: tuple[str, ...] = ()  # check_*: C conditions on `value` (int64/double) or `n` (length)
    target: str = ""  # enum: the class ("module.QualName"), resolved on first use


@dataclass(frozen=True)
class DumpOptions:
    """The route's `response_model_*` options, as pydantic's dump_json takes them."""

    by_alias: bool = True
    exclude_unset: bool = False
    exclude_defaults: bool = False
    exclude_none: bool = False

    @classmethod
    def of(cls, route: RouteIR) -> DumpOptions:
        return cls(route.response_model_by_alias, route.response_model_exclude_unset,
                   route.response_model_exclude_defaults, route.response_model_exclude_none)

    @property
    def suffix(self) -> str:
        """"" for the defaults, else a short tag naming the options (part of function names)."""
        if self == DumpOptions():
            return ""
        return "_" + "".join(flag for flag, on in (("n", not self.by_alias), ("u", self.exclude_unset),
                                                   ("d", self.exclude_defaults), ("x", self.exclude_none)) if on)


@dataclass(frozen=True)
class FieldPlan:
    attribute: str  # key in the model instance's __dict__
    json_key: str  # key written (the serialization alias, unless by_alias=False)
    call: str  # function serializing the value
    type_text: str
    default_dump: str | None = None  # encoders: pydantic's JSON of the default, for an absent key
    # C expressions on (v, value, the field's interned name) giving 1 (leave the field out),
    # 0 (write it) or -1 (cannot tell: decline); the route's exclude_* options.
    skips: tuple[str, ...] = ()
    input_key: str = ""  # encoders: the key validation reads from a dict (the validation alias)
    check: str = ""  # encoders: the helper checking the field's constraints on the raw value


@dataclass
class ModelPlan:
    model: ModelIR
    function: str
    init_function: str
    keys_array: str
    fields: list[FieldPlan] = field(default_factory=list)
    helpers: list[HelperFn] = field(default_factory=list)
    serializer_function: str = ""  # encoders: the serializer used for a validated instance


@dataclass(frozen=True)
class RoutePlan:
    route: RouteIR
    function: str  # serializer of the whole response value
    helpers: tuple[HelperFn, ...]


class ModelPlanner(Generic[PlanT]):
    """Plans made once per model key, for the serializer and body-decoder planners: a model that
    cannot be planned is remembered with its reason, and a plan is registered before its fields
    are planned, so that a recursive model refers to itself (`_in_progress` tells the field
    planners which plans are still being built)."""

    def __init__(self, ir: AppIR) -> None:
        self._models = {model.key: model for model in ir.models}
        self._plans: dict[str, PlanT] = {}
        self._failures: dict[str, str] = {}
        self._in_progress: set[str] = set()

    def _fallback_reasons(self, model: ModelIR) -> tuple[str, ...]:
        raise NotImplementedError

    def _new_plan(self, model: ModelIR) -> PlanT:
        raise NotImplementedError

    def _plan_field(self, plan: PlanT, field_ir: FieldIR) -> None:
        """Add `field_ir` to `plan`, or raise Unsupported."""
        raise NotImplementedError

    def model_plan(self, key: str) -> PlanT:
        if key in self._failures:
            raise Unsupported(self._failures[key])
        if key in self._plans:
            return self._plans[key]
        model = self._models.get(key)
        if model is None:
            raise Unsupported(f"model {key} is not in the IR")
        reasons = self._fallback_reasons(model)
        if reasons:
            reason = f"model {model.name}: " + "; ".join(reasons)
            self._failures[key] = reason
            raise Unsupported(reason)
        plan = self._new_plan(model)
        self._plans[key] = plan  # registered first so that recursive models refer to themselves
        self._in_progress.add(key)
        try:
            for field_ir in model.fields:
                try:
                    self._plan_field(plan, field_ir)
                except Unsupported as exc:
                    raise Unsupported(f"model {model.name}, field {field_ir.name!r}: {exc}") from None
        except Unsupported as exc:
            del self._plans[key]
            self._failures[key] = str(exc)
            raise
        finally:
            self._in_progress.discard(key)
        return plan


class SerializerPlanner(ModelPlanner[ModelPlan]):
    def __init__(self, ir: AppIR, *, encode: bool = False, options: DumpOptions = DumpOptions()):
        super().__init__(ir)
        self._encode = encode
        self._options = options

    # --- models -------------------------------------------------------------------------

    def _fallback_reasons(self, model: ModelIR) -> tuple[str, ...]:
        return model.validation_fallback_reasons if self._encode else model.fallback_reasons

    def _new_plan(self, model: ModelIR) -> ModelPlan:
        ident = cpp.identifier("", model.key) + self._options.suffix
        return ModelPlan(
            model=model,
            function=f"astra_gen_{'enc' if self._encode else 'ser'}_{ident}",
            init_function=f"astra_gen_init_{ident}",
            keys_array=f"keys_{ident}",
            serializer_function=f"astra_gen_ser_{ident}",
        )

    def _plan_field(self, plan: ModelPlan, field_ir: FieldIR) -> None:
        if field_ir.exclude:
            return  # Field(exclude=True): pydantic never writes it
        plan.fields.append(
            FieldPlan(
                attribute=field_ir.name,
                json_key=field_ir.serialized_name if self._options.by_alias else field_ir.name,
                call=self._plan_type(field_ir.type, plan.helpers),
                type_text=type_text(field_ir.type),
                default_dump=field_ir.default_dump,
                skips=self._skips(field_ir),
                input_key=field_ir.validation_alias or field_ir.name,
                check=self._constraint_check(field_ir, plan.helpers) if self._encode else "",
            )
        )

    def _constraint_check(self, field_ir, helpers: list[HelperFn]) -> str:
        """Encoders: a helper that checks the field's constraints on the raw value ("" when none)."""
        if not field_ir.constraints:
            return ""
        constraints = {name: json.loads(raw) for name, raw in field_ir.constraints}
        kind = field_ir.type.kind
        if kind in ("int", "float"):
            checks = numeric_checks(kind, constraints)
        elif kind in ("str", "list"):
            checks = length_checks("n", constraints)
        else:
            raise Unsupported(f"constraints on {type_text(field_ir.type)} are checked by pydantic")
        digest = hashlib.sha256(json.dumps([kind, checks]).encode()).hexdigest()[:10]
        name = f"check_{kind}_{digest}"
        if all(helper.name != name for helper in helpers):
            helpers.append(HelperFn(name=name, kind=f"check_{kind}", inner_call="",
                                    type_text=type_text(field_ir.type), checks=checks))
        return name

    def _skips(self, field_ir) -> tuple[str, ...]:
        """When pydantic's dump_json leaves this field out under the route's options."""
        skips = []
        if self._options.exclude_unset:
            skips.append("S->model_field_unset(v, name)")
        if self._options.exclude_defaults and not field_ir.required:
            if field_ir.has_default_factory:
                # pydantic calls the factory to compare: left to pydantic
                raise Unsupported("exclude_defaults with a default factory is serialized by pydantic")
            skips.append("S->model_field_is_default(v, name, value)")
        if self._options.exclude_none:
            skips.append("S->kind_of(value) == ASTRA_KIND_NONE")
        return tuple(skips)

    def planned(self) -> list[ModelPlan]:
        """The plans made so far, in declaration order (for planners used per route only)."""
        return [self._plans[key] for key in self._models if key in self._plans]

    def supported_models(self) -> tuple[list[ModelPlan], dict[str, str]]:
        """Plans for every model that can be specialized, and the reason for each that cannot."""
        for key in self._models:
            try:
                self.model_plan(key)
            except Unsupported:
                pass
        plans = [self._plans[key] for key in self._models if key in self._plans]
        return plans, dict(self._failures)

    # --- routes -------------------------------------------------------------------------

    def route_plan(self, route: RouteIR) -> RoutePlan:
        if route.response_model is None:
            raise Unsupported("no response model (the response is encoded generically)")
        if not route.response_class_is_default:
            raise Unsupported(f"response_class {route.response_class} renders the response itself")
        if route.response_model_include_json is not None or route.response_model_exclude_json is not None:
            raise Unsupported("response_model_include/response_model_exclude: pydantic chooses the fields")
        if DumpOptions.of(route) != self._options:
            raise Unsupported("the route's response_model_* options need another planner")
        helpers: list[HelperFn] = []
        function = self._plan_type(route.response_model, helpers)
        return RoutePlan(route=route, function=function, helpers=tuple(helpers))

    # --- the one dispatch point over TypeRef kinds -----------------------------------------

    def _plan_type(self, ref: TypeRef, helpers: list[HelperFn]) -> str:
        kind = ref.kind
        if kind in SCALAR_SERIALIZERS:
            return SCALAR_SERIALIZERS[kind]
        if kind == "email":
            if self._encode:  # a raw str is not validated as an e-mail address here
                raise Unsupported(f"{type_text(ref)}: e-mail addresses are validated by pydantic")
            return SCALAR_SERIALIZERS["str"]  # a validated EmailStr is a plain str
        if kind == "enum":
            if not ref.enum_key or "<locals>" in ref.enum_key:
                raise Unsupported(f"{type_text(ref)}: an enum class defined inside a function is written by pydantic")
            return self._helper("enum", ref, "", helpers, target=ref.enum_key)
        if kind == "model":
            if ref.model is None:
                raise Unsupported(f"{type_text(ref)}: model reference without a key")
            if ref.model not in self._in_progress:
                self.model_plan(ref.model)
            return self._plans[ref.model].function
        if kind == "optional":
            (inner,) = ref.args
            return self._helper("optional", ref, self._plan_type(inner, helpers), helpers)
        if kind == "list":
            if len(ref.args) != 1:
                raise Unsupported(f"{type_text(ref)}: a list needs its item type")
            return self._helper("list", ref, self._plan_type(ref.args[0], helpers), helpers)
        if kind == "dict":
            if len(ref.args) == 2 and ref.args[0].kind == "str" and _json_native(ref.args[1]):
                return SCALAR_SERIALIZERS["any"]
            raise Unsupported(f"{type_text(ref)}: only dict[str, <JSON scalar>] is specialized")
        raise Unsupported(f"{type_text(ref)}: type kind {kind!r} has no specialized serializer yet")

    @staticmethod
    def _helper(kind: str, ref: TypeRef, inner_call: str, helpers: list[HelperFn], *, target: str = "") -> str:
        parts = [kind, inner_call] + ([target] if target else [])  # (the other helpers keep their names)
        digest = hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:10]
        name = f"ser_{kind}_{digest}"
        if all(helper.name != name for helper in helpers):
            helpers.append(HelperFn(name=name, kind=kind, inner_call=inner_call, type_text=type_text(ref),
                                    target=target))
        return name


def _json_native(ref: TypeRef) -> bool:
    if ref.kind == "optional":
        return all(_json_native(arg) for arg in ref.args)
    return ref.kind in JSON_NATIVE_KINDS
