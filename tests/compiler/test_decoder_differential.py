"""Generated request decoders give the generic path's values for random query strings and
path segments, or decline (never a different value, never a value where the generic path
reports a 422)."""

from __future__ import annotations

import importlib
import sys
import textwrap
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("astraapi._runtime")

from astraapi.compiler.build import BuildOptions, build, load_build  # noqa: E402
from astraapi.compiler.introspect import build_ir  # noqa: E402
from astraapi.engine.executor import Executor  # noqa: E402

APP = textwrap.dedent(
    """
    from typing import Optional
    from astraapi import FastAPI, Path, Query

    app = FastAPI()

    @app.get("/numbers/{n}")
    def numbers(n: int, x: float = 0.5, limit: int = Query(10, ge=1, le=100),
                ratio: Optional[float] = Query(None, gt=0, lt=1.5)):
        return None

    @app.get("/words/{word}/{code:int}")
    def words(word: str = Path(min_length=2, max_length=5), code: int = 0, q: Optional[str] = None,
              tag: str = Query("none", max_length=3), flag: bool = False, needed: int = Query()):
        return None

    @app.get("/scaled/{value:float}")
    def scaled(value: float, alias_value: Optional[int] = Query(None, alias="alias-value")):
        return None
    """
)

KEYS = ["x", "limit", "ratio", "q", "tag", "flag", "needed", "alias-value", "other", "x ", "li%6Dit"]
VALUES = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", "true", "True", "yes", "0", "1", "off", "n", "+5", " 5", "5 ", "1_0", "007", "-0",
                     ".5", "5.", "1e5", "1E-3", "inf", "nan", "%41b", "a+b", "%zz", "%C3%A9", "%FF", "é"]),
    st.text(max_size=6),
)


def encode(text: str) -> str:
    """Most values are sent percent-encoded; some raw, to exercise both paths."""
    return text if text.isascii() and "&" not in text and "=" not in text else quote(text)


@st.composite
def query_strings(draw):
    pairs = draw(st.lists(st.tuples(st.sampled_from(KEYS), VALUES), max_size=6))
    parts = [f"{encode(key) if '%' not in key else key}={encode(value)}" for key, value in pairs]
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from(["", "novalue", "=x", "&"])))
    if draw(st.booleans()):
        parts.append(f"needed={draw(st.integers(-10, 10))}")
    return "&".join(parts).encode("latin-1", "replace")


SEGMENTS = st.one_of(st.integers(-5, 10**19).map(str), st.sampled_from(["ab", "abcdef", "é", "1.5", "7", "x"]),
                     st.text(min_size=1, max_size=6).filter(lambda t: "/" not in t))
# What the router lets through for ':int' and ':float' segments.
INT_SEGMENTS = st.from_regex(r"\A[0-9]{1,22}\Z")
FLOAT_SEGMENTS = st.from_regex(r"\A[0-9]{1,20}(\.[0-9]{1,20})?\Z")
WORDS = st.one_of(st.sampled_from(["ab", "abc", "héllo", "a b"]), SEGMENTS)
ROUTE_SEGMENTS = {0: [SEGMENTS], 1: [WORDS, INT_SEGMENTS], 2: [FLOAT_SEGMENTS]}
ROUTES = ["/numbers/{n}", "/words/{word}/{code:int}", "/scaled/{value:float}"]


class FakeRequest:
    method = "GET"
    headers: list = []
    body = b""
    client = ("127.0.0.1", 1)

    def __init__(self, query_string: bytes):
        self.query_string = query_string


@pytest.fixture(scope="module")
def executors(tmp_path_factory):
    folder = tmp_path_factory.mktemp("decoders")
    (folder / "decoder_app.py").write_text(APP)
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module("decoder_app")
    finally:
        sys.path.remove(str(folder))
    ir = build_ir(module.app, app_ref="decoder_app:app")
    build(ir, BuildOptions(build_dir=folder / "build"))
    loaded = load_build(ir, folder / "build")
    index = {route.path: route.index for route in ir.routes}
    ours = [index[path] for path in ROUTES]
    assert set(loaded.decoders) == set(ours)
    compiled = Executor(module.app, ir, compiled_decoders=loaded.decoders)
    assert all(compiled._plans[i].decoder is not None for i in ours)
    # Decoders and plans by the position of their route in ROUTES.
    return ([Executor(module.app, ir)._plans[i] for i in ours], [compiled._plans[i] for i in ours],
            [loaded.decoders[i] for i in ours])


def typed(values: dict) -> dict:
    return {key: (type(value), value) for key, value in values.items()}


@pytest.mark.parametrize("route_index", [0, 1, 2])
def test_decoder_agrees_with_generic_path(executors, route_index):
    generic, compiled, decoders = executors
    plan = generic[route_index]
    defaults = compiled[route_index].decoder_defaults
    decoder = decoders[route_index]
    outcomes = {"answered": 0, "declined": 0}

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(query_strings(), st.tuples(*ROUTE_SEGMENTS[route_index]))
    def check(query, segments):
        path_params = tuple(segments)
        values, errors = plan.solve(FakeRequest(query), path_params)
        decoded = decoder(query, path_params)
        if decoded is None:
            outcomes["declined"] += 1
            return
        outcomes["answered"] += 1
        assert not errors, f"decoder accepted what the generic path rejects: {query!r} {path_params!r} {errors}"
        expected = typed(values)
        got = typed({**defaults, **decoded})
        assert got == expected, (query, path_params)

    check()
    assert outcomes["answered"] >= 20, outcomes


def test_canonical_requests_are_decoded(executors):
    _, _, decoders = executors
    assert decoders[0](b"x=2.5&limit=7&ratio=1e-1", ("42",)) == {"n": 42, "x": 2.5, "limit": 7, "ratio": 0.1}
    assert decoders[1](b"needed=3&q=a+b%20c&flag=on&tag=%C3%A9", ("abc", "9")) == {
        "word": "abc", "code": 9, "needed": 3, "q": "a b c", "flag": True, "tag": "é"}
    assert decoders[1](b"q=1", ("abc", "9")) is None  # `needed` is required: the generic path reports it
    assert decoders[0](b"limit=0", ("1",)) is None  # ge=1 fails: the generic path answers 422
