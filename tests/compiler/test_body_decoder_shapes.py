"""Body decoders for random model shapes (the serializer tests' seeded shapes, received as
JSON bodies) build what json.loads + pydantic build, or decline."""

from __future__ import annotations

import importlib
import json
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("astraapi._runtime")

from astraapi.compiler.build import BuildOptions, build, load_build  # noqa: E402
from astraapi.compiler.introspect import build_ir  # noqa: E402
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
