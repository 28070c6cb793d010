"""Generated serializers write exactly pydantic's `dump_json` bytes (what FastAPI 0.165 sends
for a response model), for random values of random model shapes.

Shapes are drawn once (seeded) and compiled into one app module by the real build; values
come from hypothesis. A serializer may decline a value (None: the engine then uses pydantic),
but never answer differently, and it must answer for the plain values it was made for.
"""

from __future__ import annotations

import importlib
import random
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

pytest.importorskip("astraapi._runtime")

from astraapi.compiler.build import BuildOptions, build  # noqa: E402
from astraapi.server.build_loader import load_build  # noqa: E402
from astraapi.introspection.app import build_ir  # noqa: E402

SCALARS = ["int", "float", "str", "bool"]
SHAPE_COUNT = 12


def random_type(rng: random.Random, models: list[str], depth: int, plain: bool = False) -> str:
    roll = rng.random()
    if depth < 2 and roll < 0.15 and models:
        return rng.choice(models)
    if depth < 2 and roll < 0.30:
        return f"list[{random_type(rng, models, depth + 1, plain)}]"
    if depth < 2 and roll < 0.42:
        return f"Optional[{random_type(rng, models, depth + 1, plain)}]"
    if roll < 0.48 and not plain:
        return f"dict[str, {rng.choice(SCALARS)}]"
    if roll < 0.52:
        return "Any"
    return rng.choice(SCALARS)


def app_source(seed: int, plain: bool = False) -> tuple[str, list[str]]:
    """`plain`: only field types and options whose validation generated code reproduces."""
    rng = random.Random(seed)
    lines = ["from typing import Any, Optional", "from pydantic import BaseModel, Field",
             "from astraapi import FastAPI", "", "app = FastAPI()", ""]
    models: list[str] = []
    for number in range(SHAPE_COUNT):
        name = f"Shape{number}"
        lines.append(f"class {name}(BaseModel):")
        for field_number in range(rng.randint(1, 6)):
            annotation = random_type(rng, models, 0, plain)
            alias = not plain and rng.random() < 0.2
            field = f"f{field_number}"
            if alias:
                lines.append(f"    {field}: {annotation} = Field(serialization_alias='{field}-ä\"')")
            else:
                lines.append(f"    {field}: {annotation}")
        lines.append("")
        models.append(name)
    for name in models:
        lines += [f"@app.get('/{name.lower()}', response_model={name})",
                  f"def get_{name.lower()}():", "    return None", ""]
    return "\n".join(lines), models


def strategy_for(annotation, namespace):
    """Values (as plain data) that validate against `annotation`."""
    import typing

    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is int:
        return st.integers() | st.integers(min_value=-(2**70), max_value=2**70)
    if annotation is float:
        return st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(2**53), 2**53)
    if annotation is str:
        return st.text()
    if annotation is bool:
        return st.booleans()
    if annotation is typing.Any:
        return st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
            max_leaves=6,
        )
    if origin is list:
        return st.lists(strategy_for(args[0], namespace), max_size=4)
    if origin is dict:
        return st.dictionaries(st.text(), strategy_for(args[1], namespace), max_size=4)
    if origin is typing.Union:  # Optional[X]
        inner = [arg for arg in args if arg is not type(None)][0]
        return st.none() | strategy_for(inner, namespace)
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        return st.fixed_dictionaries(
            {name: strategy_for(field.annotation, namespace) for name, field in annotation.model_fields.items()}
        )
    raise AssertionError(f"no strategy for {annotation!r}")


@pytest.fixture(scope="module")
def compiled_shapes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shapes")
    source, models = app_source(seed=20261124)
    (folder / "shapes_app.py").write_text(source)
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module("shapes_app")
    finally:
        sys.path.remove(str(folder))
    ir = build_ir(module.app, app_ref="shapes_app:app")
    build(ir, BuildOptions(build_dir=folder / "build"))
    serializers = load_build(ir, folder / "build").serializers
    by_model = {}
    for route in ir.routes:
        if not route.path.startswith("/shape"):
            continue  # the docs routes every app has
        name = route.path.strip("/")
        model = getattr(module, name.replace("shape", "Shape"))
        by_model[name] = (model, serializers.get(route.index))
    return by_model


def test_every_shape_got_a_serializer(compiled_shapes):
    missing = [name for name, (_, serializer) in compiled_shapes.items() if serializer is None]
    assert not missing, f"shapes left on the generic path: {missing}"


@pytest.mark.parametrize("number", range(SHAPE_COUNT))
def test_generated_serializer_equals_dump_json(compiled_shapes, number):
    model, serializer = compiled_shapes[f"shape{number}"]
    adapter = TypeAdapter(model)
    answered = []

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(strategy_for(model, None))
    def check(data):
        value = adapter.validate_python(data)
        expected = adapter.dump_json(value, by_alias=True)
        got = serializer(value)
        if got is not None:
            assert got == expected, textwrap.shorten(repr(data), 300)
        answered.append(got is not None)

    check()
    # Values with non-finite floats are declined on purpose; the plain ones must be answered.
    assert sum(answered) >= len(answered) // 3, f"answered {sum(answered)} of {len(answered)}"
