"""Generated request decoders give the generic path's values for random query strings, path
segments, headers and cookies, or decline (never a different value, never a value where the
generic path reports a 422)."""

from __future__ import annotations

import importlib
import sys
import textwrap
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("astraapi._runtime")

from astraapi.compiler.build import BuildOptions, build  # noqa: E402
from astraapi.server.build_loader import load_build  # noqa: E402
from astraapi.introspection.app import build_ir  # noqa: E402
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
    body = b""
    client = ("127.0.0.1", 1)

    def __init__(self, query_string: bytes, headers: list | None = None):
        self.query_string = query_string
        self.headers = headers or []


def build_app(folder, name: str, source: str, routes: list[str]):
    (folder / f"{name}.py").write_text(source)
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module(name)
    finally:
        sys.path.remove(str(folder))
    ir = build_ir(module.app, app_ref=f"{name}:app")
    build(ir, BuildOptions(build_dir=folder / "build"))
    loaded = load_build(ir, folder / "build")
    index = {route.path: route.index for route in ir.routes}
    ours = [index[path] for path in routes]
    assert set(loaded.decoders) == set(ours)
    compiled = Executor(module.app, ir, compiled_decoders=loaded.decoders)
    assert all(compiled._plans[i].decoder is not None for i in ours)
    # Decoders and plans by the position of their route in `routes`.
    return ([Executor(module.app, ir)._plans[i] for i in ours], [compiled._plans[i] for i in ours],
            [loaded.decoders[i] for i in ours])


@pytest.fixture(scope="module")
def executors(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("decoders"), "decoder_app", APP, ROUTES)


def exact(value):
    """What must be the same: types all the way down, and the repr (Decimal('1.50') != Decimal('1.5'))."""
    if isinstance(value, list):
        return list, [exact(item) for item in value]
    return type(value), repr(value)


def typed(values: dict) -> dict:
    return {key: exact(value) for key, value in values.items()}


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


# --- header, cookie and list parameters; enums, uuid, date, datetime, Decimal; multiple_of --------

APP2 = textwrap.dedent(
    """
    import datetime, decimal, enum, uuid
    from typing import Optional
    from astraapi import Cookie, FastAPI, Header, Path, Query

    app = FastAPI()

    class Color(str, enum.Enum):
        red = "red"
        blue = "Blue"

    class Size(enum.Enum):
        small = "s"
        large = "L"

    @app.get("/headers/{kind}")
    def headers(kind: Color, x_token: str = Header(), user_agent: Optional[str] = Header(None),
                x_count: int = Header(0, ge=0, multiple_of=2), plain_name: Optional[str] = Header(None,
                convert_underscores=False), x_aliased: Optional[bool] = Header(None, alias="X-Other"),
                session: Optional[str] = Cookie(None), visits: int = Cookie(1, lt=1000),
                theme: Optional[Size] = Cookie(None), x_ids: list[int] = Header([]),
                x_lang: Optional[str] = Header(None, pattern="^(en|fr)(-[A-Z]{2})?$")):
        return None

    @app.get("/lists")
    def lists(tags: list[str] = Query([]), ids: Optional[list[int]] = Query(None, max_length=3),
              flags: list[bool] = Query(["true"]), sizes: Optional[list[Size]] = Query(None),
              needed: list[float] = Query(min_length=1)):
        return None

    @app.get("/values/{key}")
    def values(key: uuid.UUID, day: Optional[datetime.date] = None, at: Optional[datetime.datetime] = None,
               price: decimal.Decimal = decimal.Decimal("1.5"), color: Color = Color.red, flag: bool = False,
               step: Optional[int] = Query(None, multiple_of=5), who: Optional[uuid.UUID] = Query(None),
               code: Optional[str] = Query(None, pattern="[a-z]{2}[0-9]+$", max_length=6)):
        return None
    """
)
ROUTES2 = ["/headers/{kind}", "/lists", "/values/{key}"]

KEYS2 = ["tags", "ids", "flags", "sizes", "needed", "day", "at", "price", "color", "flag", "step", "who", "code",
         "other"]
VALUES2 = st.one_of(
    VALUES,
    st.sampled_from(["red", "Blue", "blue", "RED", "s", "L", "l", "TRUE", "oFf", "Y", "5", "10", "-15", "7",
                     "2024-02-29", "2023-02-29", "0000-01-01", "2024-1-01", "2024-02-29T10:11:12",
                     "2024-02-29T10:11:12.123456", "2024-02-29T10:11:12Z", "2024-02-29T10:11:12+01:00",
                     "2024-02-29T24:00:00", "2024-02-29 10:11:12", "1.50", "-0", "007.5", "1e3", "1.",
                     "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
                     "a0eebc999c0b4ef8bb6d6bb9bd380a11", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
                     "ab12", "xab123", "ab1234567", "AB12", "ab", "ab12\n", "ab12\nx", "é ab1"]),
)
HEADER_NAMES = ["x-token", "user-agent", "x-count", "plain_name", "plain-name", "x-other", "x-aliased", "x-ids",
                "cookie", "x-lang", "other"]
HEADER_VALUES = st.one_of(
    st.sampled_from(["", "abc", " abc", "abc ", "0", "2", "4", "3", "-2", "+4", "true", "no", "x y", "é", "\xa0a",
                     "en", "fr-FR", "de", "en-us", "en-USA", "xen"]),
    st.text(max_size=8),
)
COOKIE_PAIRS = st.tuples(
    st.sampled_from(["session", "visits", "theme", "other", " session", "session ", "", "\tvisits\x1d"]),
    st.one_of(st.sampled_from(["", "abc", '"quoted"', '"', "12", "999", "1000", "s", "L", " 5 ", "a=b", "x\\y",
                               "\t7\x1c", "\x0bL", "\x1fs\x0c", "\x7f"]),
              st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e, exclude_characters=";"),
                      max_size=6)),
    st.sampled_from(["=", "= ", " ="]),
)


@st.composite
def query_strings2(draw):
    pairs = draw(st.lists(st.tuples(st.sampled_from(KEYS2), VALUES2), max_size=8))
    parts = [f"{encode(key)}={encode(value)}" for key, value in pairs]
    if draw(st.booleans()):
        parts.append(f"needed={draw(st.integers(-10, 10))}")
    return "&".join(parts).encode("latin-1", "replace")


@st.composite
def header_lists(draw):
    headers = []
    if draw(st.booleans()):
        headers.append((b"x-token", draw(st.sampled_from([b"tok", b"", b"a b"]))))
    for name, value in draw(st.lists(st.tuples(st.sampled_from(HEADER_NAMES), HEADER_VALUES), max_size=5)):
        if name == "cookie":
            cookie_pairs = draw(st.lists(COOKIE_PAIRS, max_size=4))
            value = "; ".join(f"{k}{eq}{v}" if k or draw(st.booleans()) else v for k, v, eq in cookie_pairs)
        headers.append((name.encode(), value.encode("utf-8") if draw(st.booleans()) else
                        value.encode("latin-1", "replace")))
    if draw(st.booleans()):
        headers.append((b"x-token", draw(st.sampled_from([b"tok", b"", b"a b"]))))
    return headers


ROUTE_SEGMENTS2 = {
    0: [st.one_of(st.sampled_from(["red", "Blue"]), st.sampled_from(["red", "Blue", "blue", "x"]), SEGMENTS)],
    1: [],
    2: [st.one_of(st.sampled_from(["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
                                   "a0eebc999c0b4ef8bb6d6bb9bd380a11"]), SEGMENTS)],
}


@pytest.fixture(scope="module")
def executors2(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("decoders2"), "decoder_app2", APP2, ROUTES2)


@pytest.mark.parametrize("route_index", [0, 1, 2])
def test_header_cookie_list_decoders_agree_with_generic_path(executors2, route_index):
    generic, compiled, decoders = executors2
    plan = generic[route_index]
    compiled_plan = compiled[route_index]
    outcomes = {"answered": 0, "declined": 0}

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(query_strings2(), header_lists(), st.tuples(*ROUTE_SEGMENTS2[route_index]))
    def check(query, headers, segments):
        path_params = tuple(segments)
        request = FakeRequest(query, headers)
        values, errors = plan.solve(request, path_params)
        got_values, got_errors = compiled_plan.solve(request, path_params)
        decoded = compiled_plan.decoder(query, path_params, None, headers)
        if decoded is None:
            outcomes["declined"] += 1
            assert (typed(got_values), repr(got_errors)) == (typed(values), repr(errors))  # the generic path answered
            return
        outcomes["answered"] += 1
        assert not errors, f"decoder accepted what the generic path rejects: {query!r} {headers!r} {errors}"
        assert not got_errors
        assert typed(got_values) == typed(values), (query, headers, path_params)

    check()
    assert outcomes["answered"] >= 20, outcomes


def test_header_cookie_list_canonical_requests(executors2):
    generic, compiled, decoders = executors2
    token = [(b"x-token", b"t")]
    decoded = decoders[0](b"", ("Blue",), None, token + [(b"x-count", b"4"), (b"x-other", b"YES"),
                                                          (b"plain_name", b"p"), (b"x-ids", b"1"), (b"x-ids", b"-2"),
                                                          (b"cookie", b"session=abc; visits=7; theme=L")])
    assert decoded is not None
    kind, theme = decoded.pop("kind"), decoded.pop("theme")
    assert (type(kind).__name__, kind.value, type(theme).__name__, theme.value) == ("Color", "Blue", "Size", "L")
    assert decoded == {"x_token": "t", "x_count": 4, "x_aliased": True, "plain_name": "p", "x_ids": [1, -2],
                       "session": "abc", "visits": 7}
    assert decoders[0](b"", ("red",), None, []) is None  # x-token is required: the generic path reports it
    assert decoders[0](b"", ("red",), None, token + [(b"x-count", b"3")]) is None  # multiple_of=2 fails
    assert decoders[0](b"", ("red",), None, token + [(b"cookie", b'session="a"')]) is None  # quoted: generic path
    assert decoders[0](b"", ("red",), None, token + [(b"x-token", b"\xe9")]) == {"kind": "red", "x_token": "t"}
    assert decoders[0](b"", ("red",), None, [(b"x-token", b"\xe9")]) is None  # latin-1 text: generic path
    values, errors = compiled[1].solve(FakeRequest(b"needed=1.5&needed=2&ids=1&ids=2&flags=on&tags="), ())
    assert not errors and values == {"needed": [1.5, 2.0], "ids": [1, 2], "flags": [True], "tags": [""],
                                     "sizes": None}
    assert compiled[1].decoder(b"needed=1&ids=1&ids=2&ids=3&ids=4", (), None, []) is None  # max_length=3
    values, _ = compiled[1].solve(FakeRequest(b"needed=1"), ())
    assert values["flags"] == ["true"] and values["tags"] == []  # defaults, copied per request
    values["tags"].append("x")
    assert compiled[1].solve(FakeRequest(b"needed=1"), ())[0]["tags"] == []
    decoded = decoders[2](b"day=2024-02-29&price=1.50&step=-15&flag=True", ("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",),
                          None, [])
    assert decoded is not None and str(decoded["key"]) == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    assert (str(decoded["day"]), repr(decoded["price"]), decoded["step"], decoded["flag"]) == (
        "2024-02-29", "Decimal('1.50')", -15, True)


def test_parameters_with_validators_have_no_decoder(tmp_path, monkeypatch):
    """A validator in a parameter's metadata (not JSON-able: a builtin method) is named in the IR's
    constraints, so the planner leaves the route to pydantic instead of skipping the validator."""
    from astraapi.compiler.codegen.emit import emit_app_module

    (tmp_path / "validated_app.py").write_text(textwrap.dedent(
        """
        from typing import Annotated
        from pydantic import AfterValidator
        from astraapi import FastAPI, Header

        app = FastAPI()

        @app.get("/upper")
        def upper(x_name: Annotated[str, Header(), AfterValidator(str.upper)] = "none"):
            return x_name
        """))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("validated_app")
    ir = build_ir(module.app, app_ref="validated_app:app")
    route = next(route for route in ir.routes if route.path == "/upper")
    emitted = emit_app_module(ir)
    assert route.index not in emitted.decoder_routes
    assert "constraint func (\"<builtins.method_descriptor>\")" in emitted.decoder_fallbacks[route.index]
