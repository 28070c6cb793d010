"""Float formatting: FLOAT_PYTHON == repr(float) (json.dumps), FLOAT_PYDANTIC ==
pydantic-core's dump_json, checked against the real thing over many doubles."""

from __future__ import annotations

import json
import math
import random
import struct
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

FLOAT = TypeAdapter(float)


def pydantic_text(x: float) -> str:
    return FLOAT.dump_json(x).decode()


def random_bit_doubles(n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        x = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if math.isfinite(x):
            out.append(x)
    return out


def special_doubles() -> list[float]:
    vals = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308,
            sys.float_info.max, -sys.float_info.max, sys.float_info.min, sys.float_info.epsilon,
            0.1, 0.2, 0.30000000000000004, 1 / 3, 2 / 3, math.pi, math.e, 100.0, 1.5, -2.5,
            float(2**53), float(2**53 + 2), float(2**63), float(2**64), 9007199254740993.0,
            9999999999999998.0, 1e15, 1e16, 1.5e16, 123456789012345680.0,
            1e-4, 1e-5, 1e-6, 1e-7, 2.5e-7, 1.5e-5, 9.99e-5, 9.999999999999999e-5, 0.0001,
            0.00009999999999999999, 0.000009999999999999999, 1e22, 1e23, 1e21, 5e-5, 12345.678e-10]
    # Powers of ten and their neighbours: the notation switches happen there.
    for e in range(-325, 309):
        for mant in ("1", "2.5", "9.999999999999999", "1.0000000000000002", "5", "123456789",
                     "4.35", "1.7976931348623157"):
            x = float(f"{mant}e{e}")
            if math.isfinite(x):
                vals += [x, -x, math.nextafter(x, math.inf), math.nextafter(x, -math.inf)]
    # Integral values around the fixed/exponent boundary.
    for k in range(0, 64):
        vals += [float(2**k), float(2**k - 1), float(10**min(k, 22))]
    return [v for v in vals if math.isfinite(v)]


def random_decimal_doubles(n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        digits = rng.randint(1, 17)
        mant = rng.randint(1, 10**digits - 1)
        x = float(f"{mant}e{rng.randint(-30, 30)}")
        out.append(-x if rng.random() < 0.5 else x)
    return out


def check_all(rt, values) -> None:
    bad_py, bad_pd = [], []
    for x in values:
        got = rt.format_float(x, rt.FLOAT_PYTHON)
        if got != repr(x):
            bad_py.append((x, got, repr(x)))
        got = rt.format_float(x, rt.FLOAT_PYDANTIC)
        want = pydantic_text(x)
        if got != want:
            bad_pd.append((repr(x), got, want))
    assert not bad_py[:20], f"{len(bad_py)} values differ from repr()"
    assert not bad_pd[:20], f"{len(bad_pd)} values differ from pydantic"


def test_examples(rt):
    py, pd = rt.FLOAT_PYTHON, rt.FLOAT_PYDANTIC
    cases = [  # (a list: 0.0 and -0.0 would be one dict key)
        (1e-5, ("1e-05", "0.00001")),
        (1e-6, ("1e-06", "1e-6")),
        (1e-7, ("1e-07", "1e-7")),
        (2.5e-7, ("2.5e-07", "2.5e-7")),
        (1e16, ("1e+16", "1e+16")),
        (1e15, ("1000000000000000.0", "1000000000000000.0")),
        (0.0001, ("0.0001", "0.0001")),
        (3.0, ("3.0", "3.0")),
        (-0.0, ("-0.0", "-0.0")),
        (0.0, ("0.0", "0.0")),
        (1.5e300, ("1.5e+300", "1.5e+300")),
        (5e-324, ("5e-324", "5e-324")),
        (-1.25e-100, ("-1.25e-100", "-1.25e-100")),
    ]
    for x, (want_py, want_pd) in cases:
        assert rt.format_float(x, py) == want_py == repr(x)
        assert rt.format_float(x, pd) == want_pd == pydantic_text(x)


def test_special_values(rt):
    check_all(rt, special_doubles())


def test_random_bit_patterns(rt):
    check_all(rt, random_bit_doubles(200_000, seed=20240601))


def test_random_decimals(rt):
    check_all(rt, random_decimal_doubles(100_000, seed=7))


@settings(max_examples=2000, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_hypothesis_floats(rt, x):
    assert rt.format_float(x, rt.FLOAT_PYTHON) == repr(x)
    assert rt.format_float(x, rt.FLOAT_PYDANTIC) == pydantic_text(x)


def test_dumps_uses_the_style(rt):
    values = special_doubles()[:2000]
    assert rt.dumps(values) == json.dumps(values, separators=(",", ":")).encode()
    assert rt.dumps(values, rt.FLOAT_PYDANTIC) == TypeAdapter(list[float]).dump_json(values)


@pytest.mark.parametrize("x", [math.nan, math.inf, -math.inf])
def test_non_finite_refused(rt, x):
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        rt.format_float(x, rt.FLOAT_PYTHON)


def test_unknown_style(rt):
    with pytest.raises(ValueError):
        rt.format_float(1.0, 7)
    with pytest.raises(ValueError):
        rt.dumps(1.0, 7)


def short_decimal_doubles(n: int, seed: int) -> list[float]:
    """Values few decimals spell (prices, halves, integers) and their neighbours, across the range
    the formatter prints without to_chars ([1e-4, 2**50), up to 15 decimals) and its edges."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        k = rng.randint(0, 17)
        mant = rng.randint(0, 2 ** rng.choice((4, 10, 20, 34, 40, 50, 52, 53, 54)))
        x = mant / 10**k
        out += [x, -x, math.nextafter(x, math.inf), math.nextafter(x, -math.inf)]
    for x in (2.0**50, 2.0**50 - 1, 2.0**50 - 0.5, 2.0**50 - 0.25, 2.0**50 + 1, 2.0**49 + 0.5, 1e-4, 1.5e-4):
        out += [x, math.nextafter(x, math.inf), math.nextafter(x, -math.inf)]
    return out


def test_short_decimals(rt):
    check_all(rt, short_decimal_doubles(100_000, seed=11))
