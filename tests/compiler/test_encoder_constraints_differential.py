"""Generated encoders for models with constraints (gt/ge/lt/le/multiple_of, min/max_length)
and aliases write what pydantic writes after validating the endpoint's raw return value, or
decline: random dicts near and far from the models' rules, keyed by alias or by name."""

from __future__ import annotations

import importlib
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

pytest.importorskip("astraapi._runtime")

from astraapi.compiler.build import BuildOptions, build  # noqa: E402
from astraapi.server.build_loader import load_build  # noqa: E402
from astraapi.introspection.app import build_ir  # noqa: E402

APP = textwrap.dedent(
    """
    from typing import Optional
    from pydantic import BaseModel, ConfigDict, Field
    from astraapi import FastAPI

    class Part(BaseModel):
        code: str = Field(min_length=2, max_length=4, alias="partCode")
        qty: int = Field(default=1, gt=0, le=50, multiple_of=2)

    class Order(BaseModel):
        total: float = Field(ge=0, lt=100.5)
        parts: list[Part] = Field(default=[], max_length=3)
        note: Optional[str] = Field(default=None, serialization_alias="Note")
        ref: int = Field(default=0, validation_alias="orderRef")

    class ByName(BaseModel):
        model_config = ConfigDict(populate_by_name=True)
        value: int = Field(alias="v")

    app = FastAPI()

    @app.get("/order", response_model=Order)
    def order():
        return None

    @app.get("/part", response_model=Part)
    def part():
        return None

    @app.get("/by-name", response_model=ByName)
    def by_name():
        return None
    """
)

ANY = st.one_of(st.none(), st.booleans(), st.integers(-3, 120), st.floats(-1, 120), st.text(max_size=5),
                st.lists(st.integers(), max_size=2))
KEYS = st.sampled_from(["partCode", "code", "qty"])


@st.composite
def parts(draw):
    if draw(st.integers(0, 3)) == 3:  # anything
        return draw(st.dictionaries(KEYS, st.one_of(st.text(max_size=5), st.integers(-2, 60), ANY), max_size=3))
    return draw(st.fixed_dictionaries({"partCode": st.one_of(st.text(min_size=2, max_size=4), st.text(max_size=6))},
                                      optional={"qty": st.one_of(st.integers(1, 25).map(lambda n: n * 2),
                                                                 st.integers(-2, 60), ANY),
                                                "code": st.text(max_size=3)}))


@st.composite
def orders(draw):
    required = {"total": st.one_of(st.floats(0, 100), st.integers(0, 100), st.floats(-1, 101), ANY)}
    return draw(st.fixed_dictionaries(required if draw(st.integers(0, 9)) != 9 else {}, optional={
        "parts": st.one_of(st.lists(parts(), max_size=4), ANY),
        "note": st.one_of(st.none(), st.text(max_size=3), ANY),
        "ref": st.integers(-2, 2),
        "orderRef": st.one_of(st.integers(-2, 2), ANY),
        "extra": ANY,
    }))


@pytest.fixture(scope="module")
def encoders(tmp_path_factory):
    folder = tmp_path_factory.mktemp("constraint_encoders")
    (folder / "constraint_encoders_app.py").write_text(APP)
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module("constraint_encoders_app")
    finally:
        sys.path.remove(str(folder))
    ir = build_ir(module.app, app_ref="constraint_encoders_app:app")
    build(ir, BuildOptions(build_dir=folder / "build"))
    loaded = load_build(ir, folder / "build")
    index = {route.path: route.index for route in ir.routes}
    assert index["/by-name"] not in loaded.encoders  # validation by name and by alias: pydantic's
    return module, {path: loaded.encoders.get(index[path]) for path in ("/order", "/part")}


@pytest.mark.parametrize("path", ["/order", "/part"])
def test_constrained_encoder_equals_validate_then_dump(encoders, path):
    module, found = encoders
    encoder = found[path]
    assert encoder is not None, f"{path} has no encoder"
    adapter = TypeAdapter(module.Order if path == "/order" else module.Part)
    outcomes = {"answered": 0, "declined": 0}

    @settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(orders() if path == "/order" else parts())
    def check(data):
        try:
            expected = adapter.dump_json(adapter.validate_python(data), by_alias=True)  # as FastAPI dumps
        except ValidationError:
            expected = None
        got = encoder(data)
        if got is None:
            outcomes["declined"] += 1
            return
        outcomes["answered"] += 1
        assert expected is not None, f"the encoder accepted what pydantic rejects: {data!r}"
        assert got == expected, data

    check()
    assert outcomes["answered"] >= 20 and outcomes["declined"] >= 20, outcomes
