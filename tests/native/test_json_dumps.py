"""_runtime.dumps == json.dumps(obj, ensure_ascii=False, allow_nan=False,
separators=(",", ":")).encode() byte for byte, and its errors."""

from __future__ import annotations

import collections
import datetime
import enum
import json
import math
import random
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import to_json


def ref(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, indent=None,
                      separators=(",", ":")).encode("utf-8")


def all_code_points() -> str:
    return "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)


# --- strings ------------------------------------------------------------------------------


def test_every_code_point(rt):
    s = all_code_points()
    out = rt.dumps(s)
    assert out == ref(s)
    assert out == to_json(s)  # pydantic escapes strings the same way
    assert rt.dumps(s, rt.FLOAT_PYDANTIC) == out


def test_each_ascii_char_alone(rt):
    for c in range(128):
        s = chr(c)
        assert rt.dumps(s) == ref(s) == to_json(s), hex(c)
        assert rt.dumps({s: s}) == ref({s: s}), hex(c)


def test_escapes_are_lower_case_and_minimal(rt):
    s = "\x0b\x0e\x0f\x1a\x1b\x1c\x1d\x1e\x1f\x7f/\u2028\u2029\\u001F"
    assert rt.dumps(s) == ref(s)
    assert b"\\u001f" in rt.dumps(s)
    assert b"\\\\u001F" in rt.dumps(s)  # a literal backslash-u sequence stays as it was
    assert rt.dumps(["\\", "\\\\u00AB", "\x1f\\"]) == ref(["\\", "\\\\u00AB", "\x1f\\"])


def test_strings_of_every_kind(rt):
    samples = ["", "a", "é", "日本語", "😀", "a\u0000b", "\ud7ff\ue000\uffff", "\U0010ffff",
               "quote\"back\\slash", "tab\tnl\ncr\rbs\bff\f", "x" * 100_000, "é" * 50_000]
    for s in samples:
        assert rt.dumps(s) == ref(s)
        assert rt.dumps([s, {s: s}]) == ref([s, {s: s}])


def test_lone_surrogate_fails_like_encode(rt):
    with pytest.raises(UnicodeEncodeError):
        ref("\ud800")
    with pytest.raises(UnicodeEncodeError):
        rt.dumps("\ud800")
    with pytest.raises(UnicodeEncodeError):
        rt.dumps({"\udfff": 1})


# --- numbers and constants ------------------------------------------------------------------


def test_scalars(rt):
    for v in [None, True, False, 0, 1, -1, 2**31, 2**63 - 1, -(2**63), 2**63, 2**64 - 1, 2**64,
              -(2**63) - 1, 10**100, -(10**300), 0.0, -0.0, 1.5, 1e-5, 1e16, 1e300, 5e-324]:
        assert rt.dumps(v) == ref(v), v


def test_big_ints(rt):
    rng = random.Random(3)
    for _ in range(2000):
        v = rng.getrandbits(rng.randint(1, 4000)) * rng.choice((1, -1))
        assert rt.dumps(v) == ref(v)


def test_int_beyond_str_digits_limit(rt):
    if sys.get_int_max_str_digits() == 0:
        pytest.skip("int max str digits limit disabled")
    v = 1 << 20000
    with pytest.raises(ValueError) as theirs:
        ref(v)
    with pytest.raises(ValueError) as ours:
        rt.dumps(v)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("x", [math.nan, math.inf, -math.inf])
def test_non_finite_floats(rt, x):
    for obj in (x, [1, x], {"a": x}, {x: 1}):
        with pytest.raises(ValueError) as theirs:
            ref(obj)
        with pytest.raises(ValueError) as ours:
            rt.dumps(obj)
        assert str(ours.value) == str(theirs.value)


# --- containers ----------------------------------------------------------------------------


def test_containers(rt):
    for v in [[], {}, (), [[]], [{}], {"a": []}, (1, (2, (3,))), {"a": {"b": {"c": None}}},
              [1, "a", None, True, 1.5, {"k": [2, 3]}], {"z": 1, "a": 2, "m": 3}]:
        assert rt.dumps(v) == ref(v)


def test_non_str_keys_like_json(rt):
    d = {1: "int", -(2**70): "big", 1.5: "float", 1e-7: "small", None: "none", True: "t", False: "f",
         "s": "str"}
    assert rt.dumps(d) == ref(d)


def test_non_str_keys_refused_in_pydantic_style(rt):
    assert rt.dumps({"a": 1e-5}, rt.FLOAT_PYDANTIC) == b'{"a":0.00001}'
    with pytest.raises(TypeError):
        rt.dumps({1: 2}, rt.FLOAT_PYDANTIC)


def test_bad_key(rt):
    with pytest.raises(TypeError) as theirs:
        ref({(1, 2): 3})
    with pytest.raises(TypeError) as ours:
        rt.dumps({(1, 2): 3})
    assert str(ours.value) == str(theirs.value)


class Color(enum.Enum):
    RED = "red"


class Num(enum.IntEnum):
    ONE = 1


class S(str):
    pass


class F(float):
    pass


class L(list):
    pass


class D(dict):
    pass


@pytest.mark.parametrize("value", [
    object(), {1, 2}, frozenset(), b"bytes", bytearray(b"x"), 1j, datetime.date(2020, 1, 1),
    Color.RED, Num.ONE, S("x"), F(1.0), L([1]), D(a=1), collections.OrderedDict(a=1),
    range(3), iter([]), type, print,
])
def test_unsupported_types_raise_type_error(rt, value):
    for obj in (value, [value], {"k": value}):
        with pytest.raises(TypeError):
            rt.dumps(obj)


def test_type_error_message_like_json(rt):
    with pytest.raises(TypeError) as theirs:
        ref(object())
    with pytest.raises(TypeError) as ours:
        rt.dumps(object())
    assert str(ours.value) == str(theirs.value)


def test_subclass_keys_refused(rt):
    with pytest.raises(TypeError):
        rt.dumps({S("k"): 1})
    with pytest.raises(TypeError):
        rt.dumps({Num.ONE: 1})


# --- depth -----------------------------------------------------------------------------------


def nested(depth: int, kind: str = "list"):
    v: object = 0
    for _ in range(depth):
        v = [v] if kind == "list" else {"k": v}
    return v


def test_moderate_nesting(rt):
    for kind in ("list", "dict"):
        v = nested(200, kind)
        assert rt.dumps(v) == ref(v)


@pytest.mark.parametrize("kind", ["list", "dict"])
def test_deep_nesting_raises(rt, kind):
    v = nested(200_000, kind)
    with pytest.raises(RecursionError):
        rt.dumps(v)


def test_deep_nesting_above_recursion_limit_refused_below_cap(rt):
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1_000_000)
    try:
        with pytest.raises(RecursionError):
            rt.dumps(nested(50_000))  # beyond the native cap even with a huge Python limit
    finally:
        sys.setrecursionlimit(old)


def test_circular(rt):
    a: list = []
    a.append(a)
    with pytest.raises((RecursionError, ValueError)):
        rt.dumps(a)
    d: dict = {}
    d["d"] = d
    with pytest.raises((RecursionError, ValueError)):
        rt.dumps(d)


# --- random documents ---------------------------------------------------------------------------

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-(2**200), max_value=2**200)
           | st.floats(allow_nan=False, allow_infinity=False) | text)
documents = st.recursive(
    scalars,
    lambda children: (st.lists(children, max_size=6)
                      | st.lists(children, max_size=4).map(tuple)
                      | st.dictionaries(text, children, max_size=6)),
    max_leaves=60,
)


@settings(max_examples=1500, deadline=None)
@given(documents)
def test_random_documents(rt, doc):
    assert rt.dumps(doc) == ref(doc)


keys = text | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.none() | st.booleans()


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(keys, scalars, max_size=8))
def test_random_keys(rt, doc):
    assert rt.dumps(doc) == ref(doc)


def test_result_is_bytes(rt):
    assert type(rt.dumps({"a": [1, 2.5, "x"]})) is bytes


def test_outputs_beyond_the_reused_buffer(rt):
    """The writer reuses one buffer between calls and lets it go past 1 MiB: big outputs, then
    small ones, then big ones with escapes that straddle each growth of the buffer."""
    big = {"rows": [{"id": i, "name": f"row {i}", "score": i * 0.5} for i in range(60_000)]}
    escaped = ["a\n\"\\\x01" * 50_000, "é\t" * 300_000]
    for value in (big, {"a": 1}, escaped, "x", big, ["\x1f" * 400_000]):
        assert rt.dumps(value) == ref(value)
