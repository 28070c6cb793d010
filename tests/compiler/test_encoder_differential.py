"""Generated encoders (compiled mode's one-pass "validate and serialize" for an endpoint's raw
return value) write exactly what pydantic writes after validating that value, or decline.

Random model shapes come from test_serializer_differential; values are random plain data,
valid and invalid (wrong types, missing and extra keys, instances): an encoder may decline
anything, must never answer where pydantic's validation fails, and must answer for the
plain valid values it was made for.
"""

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

from test_serializer_differential import SHAPE_COUNT, app_source, strategy_for  # noqa: E402

ANYTHING = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=3),
                     st.sampled_from(["1", "1.5", "true", 1.0, 2.5, True, False, (1,), ["x"], {"a": 1}]),
                     st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))


@st.composite
def raw_values(draw, model):
    """Valid data for `model`, then sometimes broken: a field of another type, a key gone,
    an extra key, or the validated instance itself."""
    data = draw(strategy_for(model, None))
    action = draw(st.sampled_from(["valid", "wrong", "wrong", "missing", "extra", "instance"]))
    if action == "wrong" and data:
        data[draw(st.sampled_from(sorted(data)))] = draw(ANYTHING)
    elif action == "missing" and data:
        data.pop(draw(st.sampled_from(sorted(data))))
    elif action == "extra":
        data["unexpected"] = draw(ANYTHING)
    elif action == "instance":
        try:
            return model.model_validate(data)
        except ValidationError:
            return data
    return data


@pytest.fixture(scope="module")
def encoders(tmp_path_factory):
    folder = tmp_path_factory.mktemp("encoders")
    source, models = app_source(seed=20261125, plain=True)
    (folder / "encoder_shapes.py").write_text(source)
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module("encoder_shapes")
    finally:
        sys.path.remove(str(folder))
    ir = build_ir(module.app, app_ref="encoder_shapes:app")
    build(ir, BuildOptions(build_dir=folder / "build"))
    loaded = load_build(ir, folder / "build")
    found = {}
    for route in ir.routes:
        if route.index in loaded.encoders:
            name = route.path.strip("/").replace("shape", "Shape")
            found[name] = (getattr(module, name), loaded.encoders[route.index])
    return found


def test_some_shapes_are_encoded(encoders):
    assert len(encoders) == SHAPE_COUNT, sorted(encoders)


@pytest.mark.parametrize("number", range(SHAPE_COUNT))
def test_encoder_equals_validate_then_dump_json(encoders, number):
    name = f"Shape{number}"
    if name not in encoders:
        pytest.skip(f"{name} has no encoder (its fields are validated by pydantic)")
    model, encoder = encoders[name]
    adapter = TypeAdapter(model)
    answered = []

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(raw_values(model))
    def check(raw):
        got = encoder(raw)
        try:
            expected = adapter.dump_json(adapter.validate_python(raw, from_attributes=True), by_alias=True)
        except ValidationError:
            assert got is None, f"encoded what pydantic rejects: {textwrap.shorten(repr(raw), 200)}"
            return
        if got is not None:
            assert got == expected, textwrap.shorten(repr(raw), 300)
        answered.append(got is not None)

    check()
    assert sum(answered) >= len(answered) // 4, f"answered {sum(answered)} of {len(answered)}"


def _copy_str(text: str) -> str:
    """An equal str that is a different object (not the interned key)."""
    return "".join([text[:1], text[1:]]) if len(text) > 1 else (text + "x")[:-1]


@st.composite
def rebuilt_dicts(draw, model):
    """Valid data for `model` as dicts the encoder cannot read in insertion order by key identity:
    keys in another order, equal keys that are other str objects, deleted entries in the table.
    Whatever the dict's layout, the answer must be pydantic's."""
    data = draw(strategy_for(model, None))
    items = list(data.items())
    layout = draw(st.sampled_from(["reversed", "shuffled", "copied_keys", "deleted_first", "reinserted"]))
    if layout == "reversed":
        return dict(reversed(items))
    if layout == "shuffled":
        return dict(draw(st.permutations(items)))
    if layout == "copied_keys":
        return {_copy_str(key): value for key, value in items}
    if layout == "deleted_first":
        rebuilt = {"gone": 0, **data}
        del rebuilt["gone"]
        return rebuilt
    rebuilt = dict(data)  # "reinserted": the first key deleted and added again (now last)
    if items:
        key, value = items[0]
        del rebuilt[key]
        rebuilt[key] = value
    return rebuilt


@pytest.mark.parametrize("number", range(SHAPE_COUNT))
def test_encoder_reads_any_dict_layout(encoders, number):
    name = f"Shape{number}"
    if name not in encoders:
        pytest.skip(f"{name} has no encoder (its fields are validated by pydantic)")
    model, encoder = encoders[name]
    adapter = TypeAdapter(model)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(rebuilt_dicts(model))
    def check(raw):
        try:
            expected = adapter.dump_json(adapter.validate_python(raw), by_alias=True)
        except ValidationError:
            assert encoder(raw) is None
            return
        got = encoder(raw)
        assert got is None or got == expected, textwrap.shorten(repr(raw), 300)
        # Plain valid data with every key present is answered, whatever the dict's layout.
        if got is None:
            assert encoder(dict(raw)) is None, "answered the same data laid out another way"

    check()
