"""Body decoders for random model shapes (the serializer tests' seeded shapes, received as
JSON bodies) build what json.loads + pydantic build, or decline."""

from __future__ import annotations

import datetime
import enum
import importlib
import json
import random
import sys
import types
import typing

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

pytest.importorskip("astraapi._runtime")

from astraapi.compiler.build import BuildOptions, build  # noqa: E402
from astraapi.server.build_loader import load_build  # noqa: E402
from astraapi.introspection.app import build_ir  # noqa: E402
from astraapi.engine.executor import Executor  # noqa: E402

from test_body_decoder_differential import FakeRequest, shape, solve  # noqa: E402
from test_serializer_differential import SHAPE_COUNT, app_source, strategy_for  # noqa: E402

NOISE = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=3), st.lists(st.integers()),
                  st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("body_shapes")
    source, models = app_source(seed=20261126)
    source += "\n" + "\n".join(
        f"@app.post('/in/{name.lower()}')\ndef post_{name.lower()}(body: {name}):\n    return None\n" for name in models)
    (folder / "body_shapes_app.py").write_text(source)
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module("body_shapes_app")
    finally:
        sys.path.remove(str(folder))
    ir = build_ir(module.app, app_ref="body_shapes_app:app")
    build(ir, BuildOptions(build_dir=folder / "build"))
    loaded = load_build(ir, folder / "build")
    compiled = Executor(module.app, ir, compiled_decoders=loaded.decoders)
    generic = Executor(module.app, ir)
    found = {}
    for route in ir.routes:
        if route.path.startswith("/in/"):
            name = route.path.removeprefix("/in/").replace("shape", "Shape")
            found[name] = (getattr(module, name), generic._plans[route.index], compiled._plans[route.index])
    return found


def test_every_shape_got_a_body_decoder(shapes):
    missing = [name for name, (_, _, plan) in shapes.items() if plan.decoder is None]
    assert not missing, f"shapes left on the generic path: {missing}"


@st.composite
def bodies(draw, model):
    data = draw(strategy_for(model, None))
    action = draw(st.sampled_from(["valid"] * 4 + ["wrong", "missing", "extra"]))
    if action == "wrong" and data:
        data[draw(st.sampled_from(sorted(data)))] = draw(NOISE)
    elif action == "missing" and data:
        data.pop(draw(st.sampled_from(sorted(data))))
    elif action == "extra":
        data["unexpected"] = draw(NOISE)
    return json.dumps(data).encode()


@pytest.mark.parametrize("number", range(SHAPE_COUNT))
def test_body_decoder_equals_pydantic(shapes, number):
    model, generic, compiled = shapes[f"Shape{number}"]
    answered = []
    headers = [(b"content-type", b"application/json")]

    @settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(bodies(model))
    def check(body):
        expected, errors = solve(generic, FakeRequest(body, b"application/json"), ())
        decoded = compiled.decoder(b"", (), body, headers)
        answered.append(decoded is not None)
        if decoded is None:
            return
        assert not errors, f"the decoder accepted what pydantic rejects: {body!r} {errors}"
        assert shape(decoded["body"]) == shape(expected["body"]), body

    check()
    # Non-finite floats and integers beyond int64 (frequent in these values) are declined on purpose.
    assert sum(answered) >= len(answered) // 8, f"answered {sum(answered)} of {len(answered)}"


# --- random shapes of the wider field types: literals, tuples, sets, keyed dicts, time, timedelta
# and unions whose members pydantic's smart mode tells apart by JSON kind -------------------------

WIDE_COUNT = 10
WIDE_HEADER = ["import datetime, enum", "from typing import Literal, Optional, Union",
               "from pydantic import BaseModel", "from astraapi import FastAPI", "",
               "class Hue(str, enum.Enum):", "    red = 'red'", "    blue = 'blue'", "", "app = FastAPI()", ""]
HASHABLE = ["int", "str", "bool", "float", "Hue", "datetime.time", "Literal['a', 'b']", "tuple[int, str]"]
UNIONS = ["Union[int, str]", "Union[int, float]", "Union[bool, list[int]]", "Union[str, None, list[str]]",
          "Union[Literal['x', 'y'], int]", "Union[float, str]"]


def wide_type(rng, models: list[str], depth: int) -> str:
    roll = rng.random()
    if depth < 2 and roll < 0.12 and models:
        model = rng.choice(models)
        return rng.choice([model, f"Union[{model}, list[{model}]]", f"Optional[{model}]"])
    if depth < 2 and roll < 0.24:
        return f"tuple[{wide_type(rng, models, depth + 1)}, ...]"
    if depth < 2 and roll < 0.32:
        return f"tuple[{wide_type(rng, models, depth + 1)}, {wide_type(rng, models, depth + 1)}]"
    if roll < 0.42:
        return f"{rng.choice(['set', 'frozenset'])}[{rng.choice(HASHABLE)}]"
    if depth < 2 and roll < 0.52:
        return f"dict[{rng.choice(['int', 'Hue', 'str'])}, {wide_type(rng, models, depth + 1)}]"
    if roll < 0.64:
        return rng.choice(UNIONS)
    if roll < 0.72:
        return rng.choice(["Literal['a', 1, True]", "Literal[None, 'z']", "Literal[0, False]"])
    if depth < 2 and roll < 0.8:
        return f"Optional[{wide_type(rng, models, depth + 1)}]"
    return rng.choice(["int", "float", "str", "bool", "datetime.time", "datetime.timedelta", "Hue"])


def wide_source(seed: int) -> tuple[str, list[str]]:
    rng = random.Random(seed)
    lines = list(WIDE_HEADER)
    models: list[str] = []
    for number in range(WIDE_COUNT):
        name = f"Wide{number}"
        lines.append(f"class {name}(BaseModel):")
        for field_number in range(rng.randint(1, 5)):
            lines.append(f"    f{field_number}: {wide_type(rng, models, 0)}")
        lines += ["", f"@app.post('/in/{name.lower()}')", f"def post_{name.lower()}(body: {name}):", "    return None",
                  ""]
        models.append(name)
    return "\n".join(lines), models


SCALAR_NOISE = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(-3, 3), st.text(max_size=2),
                         st.sampled_from(["1", "a", "x", "red", "10:00:00", 1.0, -0.0]))


def wide_values(annotation):
    """JSON data for `annotation`: mostly valid, sometimes a near miss of another JSON type."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is int:
        valid = st.integers(-5, 5) | st.integers(-(2**64), 2**64)
    elif annotation is float:
        valid = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-5, 5)
    elif annotation is str:
        valid = st.text(max_size=3)
    elif annotation is bool:
        valid = st.booleans()
    elif annotation is type(None):
        valid = st.none()
    elif annotation is datetime.time:
        valid = st.times().map(lambda t: t.isoformat()) | st.sampled_from(["10:00", "10:00:00Z", "10:00:00+02:00", 60])
    elif annotation is datetime.timedelta:
        valid = st.integers(-10**6, 10**6) | st.sampled_from([1.5, "PT1S", 86399999913600])
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        valid = st.sampled_from([member.value for member in annotation] + ["green"])
    elif origin is typing.Literal:
        valid = st.sampled_from(list(args))
    elif origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        valid = st.lists(wide_values(args[0]), max_size=3)
    elif origin is tuple:
        valid = st.tuples(*(wide_values(arg) for arg in args)).map(list) | st.lists(wide_values(args[0]), max_size=3)
    elif origin in (list, set, frozenset):
        valid = st.lists(wide_values(args[0]), max_size=4)
    elif origin is dict:
        if args[0] is int:
            keys = st.integers(-5, 5).map(str) | st.sampled_from(["05", "+1", "x", "-0"])
        elif args[0] is str:
            keys = st.text(max_size=2)
        else:
            keys = st.sampled_from(["red", "blue", "green"])
        valid = st.dictionaries(keys, wide_values(args[1]), max_size=3)
    elif origin in (typing.Union, types.UnionType):
        valid = st.one_of(*(wide_values(arg) for arg in args))
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        valid = st.fixed_dictionaries({name: wide_values(field.annotation)
                                       for name, field in annotation.model_fields.items()})
    else:
        raise AssertionError(f"no strategy for {annotation!r}")
    return st.integers(0, 9).flatmap(lambda roll: SCALAR_NOISE if roll == 9 else valid)


@pytest.fixture(scope="module")
def wide_shapes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wide_shapes")
    source, models = wide_source(seed=20261124)
    (folder / "wide_shapes_app.py").write_text(source)
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module("wide_shapes_app")
    finally:
        sys.path.remove(str(folder))
    ir = build_ir(module.app, app_ref="wide_shapes_app:app")
    build(ir, BuildOptions(build_dir=folder / "build"))
    loaded = load_build(ir, folder / "build")
    compiled = Executor(module.app, ir, compiled_decoders=loaded.decoders)
    generic = Executor(module.app, ir)
    return {route.path.removeprefix("/in/").replace("wide", "Wide"): (
        getattr(module, route.path.removeprefix("/in/").replace("wide", "Wide")), generic._plans[route.index],
        compiled._plans[route.index]) for route in ir.routes if route.path.startswith("/in/")}


def test_every_wide_shape_got_a_body_decoder(wide_shapes):
    missing = [name for name, (_, _, plan) in wide_shapes.items() if plan.decoder is None]
    assert not missing, f"shapes left on the generic path: {missing}"


@pytest.mark.parametrize("number", range(WIDE_COUNT))
def test_wide_body_decoder_equals_pydantic(wide_shapes, number):
    model, generic, compiled = wide_shapes[f"Wide{number}"]
    answered = []
    headers = [(b"content-type", b"application/json")]

    @settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(wide_values(model))
    def check(data):
        body = json.dumps(data).encode()
        expected, errors = solve(generic, FakeRequest(body, b"application/json"), ())
        decoded = compiled.decoder(b"", (), body, headers)
        answered.append(decoded is not None)
        if decoded is None:
            return
        assert not errors, f"the decoder accepted what pydantic rejects: {body!r} {errors}"
        assert shape(decoded["body"]) == shape(expected["body"]), body

    check()
    assert sum(answered) >= len(answered) // 8, f"answered {sum(answered)} of {len(answered)}"
