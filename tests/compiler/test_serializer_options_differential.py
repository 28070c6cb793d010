"""Generated serializers for routes with `response_model_exclude_unset`, `_exclude_defaults`,
`_exclude_none` and `response_model_by_alias=False` write exactly what pydantic's `dump_json`
writes with those options (FastAPI 0.165's bytes), for random model shapes with defaults and
aliases, and random values (some fields set, some left to their defaults)."""

from __future__ import annotations

import importlib
import itertools
import random
import sys
import textwrap
import typing

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

pytest.importorskip("astraapi._runtime")

from astraapi.compiler.build import BuildOptions, build  # noqa: E402
from astraapi.server.build_loader import load_build  # noqa: E402
from astraapi.introspection.app import build_ir  # noqa: E402

SHAPE_COUNT = 8
OPTIONS = ["by_alias", "exclude_unset", "exclude_defaults", "exclude_none"]
# Each shape gets a route per combination below (plus the defaults).
COMBINATIONS = [c for n in range(1, 5) for c in itertools.combinations(OPTIONS, n)]
SCALAR_DEFAULTS = {"int": ["0", "7"], "float": ["0.0", "1.5"], "str": ["''", "'x'"], "bool": ["False", "True"]}


def random_field(rng: random.Random, models: list[str]) -> tuple[str, str | None]:
    """(annotation, default source or None for a required field)."""
    roll = rng.random()
    if roll < 0.15 and models:
        model = rng.choice(models)
        return (f"Optional[{model}]", "None") if rng.random() < 0.7 else (model, None)
    if roll < 0.3:
        inner = rng.choice(list(SCALAR_DEFAULTS) + models[-1:])
        return f"list[{inner}]", rng.choice([None, "[]"])
    if roll < 0.5:
        inner = rng.choice(list(SCALAR_DEFAULTS))
        return f"Optional[{inner}]", rng.choice([None, "None", SCALAR_DEFAULTS[inner][1]])
    if roll < 0.55:
        return "dict[str, int]", rng.choice([None, "{}"])
    kind = rng.choice(list(SCALAR_DEFAULTS))
    return kind, rng.choice([None, *SCALAR_DEFAULTS[kind]])


def app_source(seed: int) -> tuple[str, list[str]]:
    rng = random.Random(seed)
    lines = ["from typing import Optional", "from pydantic import BaseModel, Field", "from astraapi import FastAPI",
             "", "app = FastAPI()", ""]
    models: list[str] = []
    for number in range(SHAPE_COUNT):
        name = f"Shape{number}"
        lines.append(f"class {name}(BaseModel):")
        for field_number in range(rng.randint(2, 6)):
            annotation, default = random_field(rng, models)
            options = []
            if rng.random() < 0.3:
                options.append(f"serialization_alias='F{field_number}'")
            if default is not None:
                options.insert(0, f"default={default}")
            value = f" = Field({', '.join(options)})" if options else ""
            lines.append(f"    f{field_number}: {annotation}{value}")
        lines.append("")
        models.append(name)
    for name in models:
        for combination in [(), *COMBINATIONS]:
            flags = [f"response_model_{o}={'False' if o == 'by_alias' else 'True'}" for o in combination]
            path = "/" + "/".join([name.lower(), *combination])
            lines += [f"@app.get('{path}', response_model={name}{''.join(', ' + f for f in flags)})",
                      f"def get_{name.lower()}_{'_'.join(combination) or 'plain'}():", "    return None", ""]
    return "\n".join(lines), models


def strategy_for(annotation):
    """Plain data that validates against `annotation`; model fields may be left out."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is int:
        return st.integers(-3, 8)
    if annotation is float:
        return st.sampled_from([0.0, 1.5, -0.0, 2.25]) | st.integers(-2, 2)
    if annotation is str:
        return st.sampled_from(["", "x", "é"])
    if annotation is bool:
        return st.booleans()
    if origin is list:
        return st.lists(strategy_for(args[0]), max_size=3)
    if origin is dict:
        return st.dictionaries(st.sampled_from(["a", "b"]), strategy_for(args[1]), max_size=2)
    if origin is typing.Union:
        inner = [arg for arg in args if arg is not type(None)][0]
        return st.none() | strategy_for(inner)
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        required = {n: strategy_for(f.annotation) for n, f in annotation.model_fields.items() if f.is_required()}
        optional = {n: strategy_for(f.annotation) for n, f in annotation.model_fields.items() if not f.is_required()}
        return st.fixed_dictionaries(required, optional=optional)
    raise AssertionError(f"no strategy for {annotation!r}")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("option_shapes")
    source, models = app_source(seed=1124)
    (folder / "option_shapes_app.py").write_text(source)
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module("option_shapes_app")
    finally:
        sys.path.remove(str(folder))
    ir = build_ir(module.app, app_ref="option_shapes_app:app")
    build(ir, BuildOptions(build_dir=folder / "build"))
    serializers = load_build(ir, folder / "build").serializers
    routes = {}
    for route in ir.routes:
        if route.path.startswith("/shape"):
            name, *combination = route.path.strip("/").split("/")
            routes[(name, tuple(combination))] = (getattr(module, name.replace("shape", "Shape")),
                                                  serializers.get(route.index))
    return routes


def test_every_route_got_a_serializer(compiled):
    missing = [key for key, (_, serializer) in compiled.items() if serializer is None]
    assert not missing, f"routes left on the generic path: {missing}"


@pytest.mark.parametrize("number", range(SHAPE_COUNT))
def test_serializer_with_options_equals_dump_json(compiled, number):
    model = compiled[(f"shape{number}", ())][0]
    adapter = TypeAdapter(model)
    answered = []

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(strategy_for(model))
    def check(data):
        value = adapter.validate_python(data)
        for combination in [(), *COMBINATIONS]:
            options = {o: (o != "by_alias") for o in combination}
            expected = adapter.dump_json(value, **{"by_alias": True, **options})
            got = compiled[(f"shape{number}", combination)][1](value)
            if got is not None:
                assert got == expected, (combination, textwrap.shorten(repr(data), 300))
            answered.append(got is not None)

    check()
    assert sum(answered) == len(answered), f"answered {sum(answered)} of {len(answered)}"
