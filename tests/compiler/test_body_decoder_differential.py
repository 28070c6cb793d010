"""Generated body decoders build the model the generic path (json.loads + pydantic) builds,
or decline: random JSON bodies, valid and invalid, near and far from each model's shape.

When a decoder answers, the generic path must accept the same body and give an equal
instance: the same field values with the same Python types, nested models of the same
classes and the same `model_fields_set` at every level. When it declines, the generic path
decides (its 422 is then pydantic's own: see tests/api/test_body_decoders_served.py)."""

from __future__ import annotations

import collections
import datetime
import decimal
import importlib
import json
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

pytest.importorskip("astraapi._runtime")

from astraapi.compiler.build import BuildOptions, build  # noqa: E402
from astraapi.server.build_loader import load_build  # noqa: E402
from astraapi.introspection.app import build_ir  # noqa: E402
from astraapi.engine.body import BodyError  # noqa: E402
from astraapi.engine.executor import Executor  # noqa: E402

APP = textwrap.dedent(
    """
    import collections, datetime, decimal, enum, uuid
    from typing import Any, Literal, Optional, Union
    from pydantic import BaseModel, Field
    from astraapi import Body, FastAPI

    class Color(str, enum.Enum):
        red = "red"
        green = "green"

    class Level(enum.IntEnum):
        low = 1
        high = 2

    class Mixed(enum.Enum):
        one = 1
        text = "1"
        other = "x"

    class Event(BaseModel):
        id: uuid.UUID
        day: datetime.date
        at: Optional[datetime.datetime] = None
        amount: decimal.Decimal = decimal.Decimal("0")
        color: Color = Color.red
        level: Optional[Level] = None
        mixed: list[Mixed] = []

    class Tag(BaseModel):
        name: str = Field(min_length=1, max_length=4)
        weight: float = 1.0

    class Item(BaseModel):
        name: str
        price: float = Field(gt=0, le=1e6)
        count: int = Field(default=1, ge=-5, lt=1000, multiple_of=3)
        tags: list[str] = Field(default=[], max_length=3)
        labels: list[Tag] = Field(default_factory=list)
        meta: dict[str, Any] = {}
        scores: dict[str, Optional[int]] = {}
        note: Optional[str] = None
        flag: bool = False
        nothing: None = None
        coded: int = Field(default=0, alias="codedValue")
        child: Optional["Item"] = None

    class Shapes(BaseModel):
        mode: Literal["a", "b", 1, True, None] = "a"
        off: Literal[False, 0, ""] = 0
        pair: tuple[int, str] = (0, "")
        nested: tuple[tuple[int, ...], Optional[Color]] = ((), None)
        empty: tuple[()] = ()
        many: tuple[float, ...] = ()
        unique: set[int] = set()
        frozen: frozenset[str] = frozenset()
        days: set[datetime.date] = set()
        queue: collections.deque[int] = collections.deque()
        by_id: dict[int, str] = {}
        by_color: dict[Color, int] = {}
        by_level: dict[Level, int] = {}
        by_uuid: dict[uuid.UUID, list[int]] = {}
        at: Optional[datetime.time] = None
        span: datetime.timedelta = datetime.timedelta(0)
        code: str = Field(default="", pattern=r"^[a-z]{2,3}-[0-9]+$", max_length=8)
        word: str = Field(default="z", pattern="b+|(xy)?z$")

    class Unions(BaseModel):
        either: Union[int, str] = 0
        number: Union[int, float] = 0
        real_or_text: float | str = 0.0
        choice: Union[Literal["x", "y"], int, None] = None
        tags: Union[Tag, list[Tag], None] = None
        flag_or_list: Union[bool, list[int]] = False
        keyed: Optional[dict[int, Union[str, list[str]]]] = None

    app = FastAPI()

    @app.post("/items")
    def create(item: Item):
        return None

    @app.post("/pair")
    def pair(item: Item, tag: Tag = Body(alias="the-tag")):
        return None

    @app.post("/embedded")
    def embedded(tag: Tag = Body(embed=True), extra: Optional[Tag] = Body(None)):
        return None

    @app.post("/events")
    def event(event: Event):
        return None

    @app.put("/tags/{tag_id}")
    def put_tag(tag_id: int, tag: Tag, q: Optional[str] = None):
        return None

    @app.post("/shapes")
    def shapes(body: Shapes):
        return None

    @app.post("/unions")
    def unions(body: Unions):
        return None
    """
)

KEYS = ["name", "price", "count", "tags", "labels", "meta", "scores", "note", "flag", "nothing", "coded",
        "codedValue", "child", "weight", "extra", "Name", ""]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**64), 2**64), st.integers(-10, 10),
    st.floats(allow_nan=False, allow_infinity=False), st.floats(-10, 10),
    st.text(max_size=6), st.sampled_from(["", "a", "abcde", "3", "1.5", "true", "é", "\u0000", "\U0001f600"]),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
    max_leaves=12,
)


@st.composite
def mostly(draw, valid, weight: int = 20):
    """`valid` values most of the time, any JSON value sometimes."""
    return draw(JSON_VALUES) if draw(st.integers(0, weight - 1)) == weight - 1 else draw(valid)


@st.composite
def tag_objects(draw):
    required = {"name": mostly(st.text(min_size=1, max_size=5))} if draw(st.integers(0, 9)) != 9 else {}
    return draw(st.fixed_dictionaries(required, optional={
        "weight": mostly(st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-3, 3))),
        "extra": JSON_VALUES,
    }))


@st.composite
def item_objects(draw, depth=0):
    required = {
        "name": mostly(st.text(max_size=5)),
        "price": st.one_of(st.floats(1e-9, 1e6), st.integers(1, 1_000_000), mostly(st.one_of(
            st.floats(-1, 2e6), st.integers(-2, 2_000_000), st.just(-0.0), st.just(0),
            st.integers(2**53 - 2, 2**53 + 2)))),
    } if draw(st.integers(0, 9)) != 9 else {}
    fields = {
        "count": st.one_of(st.integers(-1, 300).map(lambda n: n * 3), st.integers(-10, 1200),
                           st.integers(-(2**63), 2**64)),
        "tags": mostly(st.lists(st.text(max_size=3), max_size=5)),
        "labels": mostly(st.lists(tag_objects(), max_size=3)),
        "meta": mostly(st.dictionaries(st.text(max_size=3), JSON_VALUES, max_size=3)),
        "scores": mostly(st.dictionaries(st.text(max_size=3), st.one_of(st.none(), st.integers(-5, 5)), max_size=3)),
        "note": mostly(st.one_of(st.none(), st.text(max_size=4))),
        "flag": mostly(st.booleans()),
        "nothing": mostly(st.none()),
        "codedValue": mostly(st.integers(-3, 3)),
        "coded": st.integers(-3, 3),
        "extra": JSON_VALUES,
    }
    if depth < 2:
        fields["child"] = mostly(st.one_of(st.none(), item_objects(depth + 1)), 3)
    return draw(st.fixed_dictionaries(required, optional=fields))


UUIDS = st.one_of(st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()), st.uuids().map(lambda u: u.hex),
                  st.sampled_from(["{12345678-1234-5678-1234-567812345678}", "1234",
                                   "g2345678-1234-5678-1234-567812345678"]))
DAYS = st.one_of(st.dates().map(str), st.sampled_from(["2021-02-29", "2020-13-01", "0000-01-01", "20200101", "2020-1-1",
                                                       "2020-01-01T00:00:00"]))
TIMES = st.one_of(st.datetimes().map(lambda d: d.isoformat()), st.datetimes().map(lambda d: d.isoformat(" ")),
                  st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
                  st.sampled_from(["2020-01-01T24:00:00", "2020-01-01T10:00:60", "2020-01-01T10:00:00.1234567",
                                   "2020-01-01T10:00:00.", "2020-01-01T10:00", "2020-01-01T10:00:00Z",
                                   "2020-01-01T10:00:00.5+02:30", "2020-01-01T10:00:00-00:00", "2020-01-01T10:00:00+24:00",
                                   "2020-01-01T10:00:00+23:59", "2020-01-01T10:00:00z", "2020-01-01T10:00:00+0200"]))
AMOUNTS = st.one_of(st.decimals(allow_nan=False, allow_infinity=False).map(str), st.integers(-10**30, 10**30).map(str),
                    st.sampled_from(["007", "-0.0", "1.50", "1e3", " 1", "1_000", "NaN", ".5", "5."]),
                    st.integers(-5, 5), st.floats(-5, 5), st.floats(allow_nan=False, allow_infinity=False),
                    st.integers(-(2**70), 2**70))


@st.composite
def event_objects(draw):
    required = {"id": mostly(UUIDS), "day": mostly(DAYS)} if draw(st.integers(0, 9)) != 9 else {}
    return draw(st.fixed_dictionaries(required, optional={
        "at": mostly(st.one_of(st.none(), TIMES)),
        "amount": mostly(AMOUNTS),
        "color": mostly(st.sampled_from(["red", "green", "blue", "RED", 1])),
        "level": mostly(st.sampled_from([None, 1, 2, 3, "1", True, 1.0])),
        "mixed": mostly(st.lists(st.sampled_from([1, "1", "x", "y", 2, True]), max_size=3)),
    }))


INT_KEYS = st.one_of(st.integers(-5, 5).map(str), st.integers(-(2**64), 2**64).map(str),
                    st.sampled_from(["05", "-0", "+5", " 5", "5 ", "5.0", "1_000", "x", "", "0x5", "1e2",
                                     "9223372036854775807", "9223372036854775808", "-9223372036854775808"]))
CLOCKS = st.one_of(
    st.times().map(lambda t: t.isoformat()),
    st.builds(lambda t, zone: t.isoformat() + zone, st.times(),
              st.sampled_from(["Z", "+02:00", "-00:00", "+23:59", "-11:45", "+24:00", "z", "+0200", "+02:00:30"])),
    st.sampled_from(["10:00", "24:00:00", "23:59:60", "10:00:00.", "10:00:00.1234567", "1:00:00", "10:00:00 ",
                     "T10:00:00", "10-00-00", "2020-01-01T10:00:00"]),
    st.integers(-5, 86400), st.floats(0, 86400))


@st.composite
def shapes_objects(draw):
    small = st.integers(-3, 3)
    return draw(st.fixed_dictionaries({}, optional={
        "mode": mostly(st.sampled_from(["a", "b", 1, True, None, "c", 1.0, 0, False, "1", "A", 2])),
        "off": mostly(st.sampled_from([False, 0, "", True, 1, 0.0, "0", None])),
        "pair": mostly(st.one_of(st.tuples(st.integers(-3, 3), st.text(max_size=2)).map(list),
                                 st.lists(st.one_of(small, st.text(max_size=1)), max_size=3))),
        "nested": mostly(st.one_of(
            st.tuples(st.lists(small, max_size=3), st.sampled_from([None, "red", "green", "blue"])).map(list),
            st.lists(st.lists(small, max_size=2), max_size=3))),
        "empty": mostly(st.lists(small, max_size=1)),
        "many": mostly(st.lists(st.one_of(small, st.floats(allow_nan=False, allow_infinity=False)), max_size=4)),
        "unique": mostly(st.lists(st.one_of(small, small, st.just(True), st.just(1.0)), max_size=5)),
        "frozen": mostly(st.lists(st.sampled_from(["a", "b", "é", 1]), max_size=4)),
        "days": mostly(st.lists(DAYS, max_size=3)),
        "queue": mostly(st.lists(small, max_size=3)),
        "by_id": mostly(st.dictionaries(INT_KEYS, st.text(max_size=2), max_size=4)),
        "by_color": mostly(st.dictionaries(st.sampled_from(["red", "green", "blue", "1", "RED"]), small, max_size=3)),
        "by_level": mostly(st.dictionaries(st.sampled_from(["1", "2", "3", "low"]), small, max_size=2)),
        "by_uuid": mostly(st.dictionaries(UUIDS, st.lists(small, max_size=2), max_size=3)),
        "at": mostly(st.one_of(st.none(), CLOCKS)),
        "code": mostly(st.one_of(st.from_regex(r"^[a-z]{2,3}-[0-9]+$", fullmatch=True), st.text(max_size=4),
                                 st.sampled_from(["ab-1\n", "ab-12345", "Ab-1", "ab-", "ab-1 ", "\nab-1", "abcd-1"]))),
        "word": mostly(st.text(alphabet="abxyz\n", max_size=4)),
        # (below -86399999913599 seconds pydantic itself raises OverflowError for some values)
        "span": mostly(st.one_of(st.integers(-10**6, 10**6), st.integers(-86399999913599, 2**63 - 1),
                                 st.sampled_from([86399999913599, -86399999913599, 86399999913600, 1.5, "PT5S",
                                                  "00:00:05", "5", True]))),
    }))


@st.composite
def union_objects(draw):
    scalar = st.one_of(st.integers(-3, 3), st.text(max_size=2), st.floats(-3, 3), st.booleans(), st.none(),
                       st.sampled_from(["1", "1.5", "x", "y", 1.0, -0.0]))
    return draw(st.fixed_dictionaries({}, optional={
        "either": mostly(scalar, 5),
        "number": mostly(scalar, 5),
        "real_or_text": mostly(scalar, 5),
        "choice": mostly(scalar, 5),
        "tags": mostly(st.one_of(st.none(), tag_objects(), st.lists(tag_objects(), max_size=3)), 5),
        "flag_or_list": mostly(st.one_of(st.booleans(), st.lists(st.integers(-2, 2), max_size=3), scalar), 5),
        "keyed": mostly(st.one_of(st.none(), st.dictionaries(INT_KEYS, st.one_of(
            st.text(max_size=2), st.lists(st.text(max_size=2), max_size=2), scalar), max_size=3)), 5),
    }))


def render(value, draw) -> bytes:
    """JSON text of `value`, sometimes with a repeated key, whitespace or a broken tail."""
    separators = draw(st.sampled_from([(",", ":"), (", ", ": ")]))
    text = json.dumps(value, ensure_ascii=draw(st.booleans()), separators=separators)
    twist = draw(st.sampled_from(["none"] * 12 + ["repeat", "space", "break", "nan", "big", "bom"]))
    if twist == "repeat" and text.startswith("{") and len(text) > 2:
        key = draw(st.sampled_from(KEYS))
        text = "{" + json.dumps(key) + ":" + json.dumps(draw(JSON_VALUES)) + "," + text[1:]
    elif twist == "space":
        text = f" \n\t{text}\r\n "
    elif twist == "break":
        text = text[: draw(st.integers(0, max(0, len(text) - 1)))]
    elif twist == "nan" and text.startswith("{") and len(text) > 2:
        text = '{"price": NaN,' + text[1:]
    elif twist == "big" and text.startswith("{") and len(text) > 2:
        text = '{"count": 123456789012345678901234567890, "price": 1e400,' + text[1:]
    elif twist == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    return text.encode("utf-8", "surrogatepass")


@st.composite
def bodies(draw, objects):
    value = draw(JSON_VALUES) if draw(st.integers(0, 9)) == 9 else draw(objects)
    return render(value, draw)


CONTENT_TYPES = st.sampled_from([b"application/json"] * 12 + [b"application/vnd.api+json; charset=utf-8",
                                                             b"text/plain", b"Application/JSON", b""])


class FakeRequest:
    method = "POST"
    client = ("127.0.0.1", 1)

    def __init__(self, body: bytes, content_type: bytes, query_string: bytes = b""):
        self.body = body
        self.headers = [(b"content-type", content_type)] if content_type else []
        self.query_string = query_string


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("body_decoders")
    (folder / "body_decoder_app.py").write_text(APP)
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module("body_decoder_app")
    finally:
        sys.path.remove(str(folder))
    ir = build_ir(module.app, app_ref="body_decoder_app:app")
    build(ir, BuildOptions(build_dir=folder / "build"))
    loaded = load_build(ir, folder / "build")
    index = {route.path: route.index for route in ir.routes}
    ours = [index["/items"], index["/tags/{tag_id}"], index["/events"], index["/pair"], index["/embedded"],
            index["/shapes"], index["/unions"]]
    assert set(loaded.decoders) >= set(ours), loaded.decoders
    compiled = Executor(module.app, ir, compiled_decoders=loaded.decoders)
    assert all(compiled._plans[i].decoder is not None and compiled._plans[i].decoder_reads_body for i in ours)
    generic = Executor(module.app, ir)
    return module, [generic._plans[i] for i in ours], [compiled._plans[i] for i in ours]


def shape(value):
    """Everything that makes two validated values the same: types, values, fields_set."""
    if isinstance(value, BaseModel):
        return (type(value), sorted(value.model_fields_set),
                {name: shape(item) for name, item in value.__dict__.items()},
                value.__pydantic_extra__, value.__pydantic_private__)
    if isinstance(value, list):
        return (list, [shape(item) for item in value])
    if isinstance(value, dict):  # keys by type too (an enum member equals its str value)
        return (dict, [shape(key) for key in value], [shape(item) for item in value.values()])
    if isinstance(value, (tuple, collections.deque)):
        return (type(value), [shape(item) for item in value])
    if isinstance(value, (set, frozenset)):  # which of two equal items was kept (-0.0, 0.0) shows in repr
        return (type(value), sorted(repr(shape(item)) for item in value))
    if isinstance(value, (datetime.datetime, datetime.time)):  # the time zone's class too (pydantic-core's TzInfo)
        return (type(value), repr(value), type(value.tzinfo), value.utcoffset())
    if isinstance(value, (float, decimal.Decimal)):
        return (type(value), repr(value))  # -0.0 and 0.0, Decimal("1.5") and ("1.50") differ
    return (type(value), value)


def solve(plan, request, path_params):
    try:
        return plan.solve(request, path_params)
    except BodyError as error:
        return None, [error.error or "400"]


@st.composite
def pairs(draw):
    fields = {"item": mostly(item_objects(), 6), "the-tag": mostly(tag_objects(), 6)}
    return draw(st.fixed_dictionaries(fields, optional={"tag": tag_objects(), "extra": JSON_VALUES}))


@st.composite
def embedded_tags(draw):
    required = {"tag": mostly(tag_objects(), 6)}
    if draw(st.integers(0, 4)) != 4:  # the optional body parameter, mostly given (absent: the generic path)
        required["extra"] = mostly(tag_objects(), 6)
    return draw(st.fixed_dictionaries(required, optional={"other": JSON_VALUES}))


@pytest.mark.parametrize("route", [0, 1, 2, 3, 4, 5, 6])
def test_body_decoder_agrees_with_pydantic(setup, route):
    module, generic, compiled = setup
    outcomes = {"answered": 0, "declined": 0}
    objects = [item_objects(), tag_objects(), event_objects(), pairs(), embedded_tags(), shapes_objects(),
               union_objects()][route]
    path_params = ("7",) if route == 1 else ()

    # derandomize: the same 300 examples every run, so the answered/declined counts below are stable
    @settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(bodies(objects), CONTENT_TYPES, st.sampled_from([b"", b"q=x", b"q=%FF"]))
    def check(body, content_type, query):
        request = FakeRequest(body, content_type, query)
        expected, errors = solve(generic[route], request, path_params)
        plan = compiled[route]
        decoded = plan.decoder(query, path_params, body, request.headers)
        if decoded is None:
            outcomes["declined"] += 1
            return
        outcomes["answered"] += 1
        assert not errors, f"the decoder accepted what the generic path rejects: {body!r} {errors}"
        got = {**plan.decoder_defaults, **decoded}
        assert {k: shape(v) for k, v in got.items()} == {k: shape(v) for k, v in expected.items()}, body

    check()
    assert outcomes["answered"] >= 30, outcomes
    assert outcomes["declined"] >= 30, outcomes


def test_canonical_bodies(setup):
    module, _, compiled = setup
    decode = compiled[0].decoder
    json_type = [(b"content-type", b"application/json")]
    got = decode(b"", (), b'{"name":"a","price":2,"labels":[{"name":"x"}],"codedValue":3,"child":{"name":"b",'
                           b'"price":0.5}}', json_type)
    item = got["item"]
    assert type(item) is module.Item and item.price == 2.0 and type(item.price) is float
    assert item.model_fields_set == {"name", "price", "labels", "coded", "child"}
    assert item.child.model_fields_set == {"name", "price"} and item.labels[0].weight == 1.0
    assert item.tags == [] and item.tags is not module.Item.model_fields["tags"].default  # a fresh copy
    assert item == module.Item.model_validate(json.loads(b'{"name":"a","price":2,"labels":[{"name":"x"}],'
                                                         b'"codedValue":3,"child":{"name":"b","price":0.5}}'))
    declined = [
        b'{"name":"a"}',  # price missing
        b'{"name":"a","price":0}',  # gt=0
        b'{"name":"a","price":"1"}',  # pydantic's lax str->float: its call
        b'{"name":"a","price":1,"count":4}',  # multiple_of=3
        b'{"name":"a","price":1,"name":"b"}',  # a repeated key
        b'{"name":"a","price":1,"coded":2}' + b" x",  # not JSON
        b'{"name":"a","price":NaN}',
        b'[' * 100 + b']' * 100,  # deeper than the runtime reads
    ]
    for body in declined:
        assert decode(b"", (), body, json_type) is None, body
    assert decode(b"", (), b'{"name":"a","price":1}', [(b"content-type", b"text/plain")]) is None
    assert decode(b"", (), b'{"name":"a","price":1}', []) is None
    assert decode(b"", (), b"", json_type) is None


def test_number_spellings(setup):
    module, _, compiled = setup
    decode = compiled[1].decoder
    json_type = [(b"content-type", b"application/json")]
    for text, expected in [(b"-0", "0.0"), (b"-0.0", "-0.0"), (b"3", "3.0"), (b"1E2", "100.0"),
                           (b"9007199254740993", "9007199254740992.0"), (b"0.1", "0.1")]:
        got = decode(b"", ("1",), b'{"name":"a","weight":' + text + b"}", json_type)
        assert repr(got["tag"].weight) == expected == repr(module.Tag.model_validate(
            json.loads(b'{"name":"a","weight":' + text + b"}")).weight)
        assert got["tag_id"] == 1


@pytest.mark.parametrize("content_type", [
    b"application/json", b"application/json; charset=utf-8", b" Application/JSON ", b"application/json ;x=1",
    b"application/problem+json", b"application/json/x", b"application/jsonx", b"text/json", b"application/+json",
    b"application/x+jsonx", b"application\xa0/json", b"application/json\x1f", b"json", b"",
])
def test_content_type_decides_as_fastapi(setup, content_type):
    from astraapi.engine.body import is_json_content_type

    _, _, compiled = setup
    decoded = compiled[1].decoder(b"", ("1",), b'{"name":"a"}', [(b"content-type", content_type)])
    fastapi_reads_json = bool(content_type) and is_json_content_type(content_type.decode("latin-1"))
    # Answering means JSON as FastAPI decides; declining is always allowed (the generic path decides).
    assert decoded is None or fastapi_reads_json
    if content_type in (b"application/json", b"application/problem+json", b" Application/JSON "):
        assert decoded is not None


def test_text_forms(setup):
    module, _, compiled = setup
    decode = compiled[2].decoder
    json_type = [(b"content-type", b"application/json")]
    for at in ["2020-01-01T10:00:00", "2020-01-01T10:00:00.25Z", "2020-01-01T10:00:00+02:30",
               "2020-01-01T10:00:00-00:00", "1999-12-31T23:59:59.999999-11:45"]:
        body = json.dumps({"id": "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "day": "2020-02-29", "at": at,
                           "amount": 1.1, "color": "green", "level": 2, "mixed": [1, "1", "x"]}).encode()
        got = decode(b"", (), body, json_type)
        assert got is not None, at
        assert shape(got["event"]) == shape(module.Event.model_validate(json.loads(body))), at


def test_patterns_decoded_only_when_both_regex_engines_agree(tmp_path):
    from astraapi.compiler.codegen.body_decoders import BodyDecoderPlanner
    from astraapi.compiler.codegen.common import plain_pattern as _plain_pattern

    assert all(_plain_pattern(p) for p in [r"^[a-z]{2,3}-[0-9]+$", "b+|(xy)?z$", r"^\.x\-$", "a{2}", "^$"])
    assert not any(_plain_pattern(p) for p in [r"^\d+$", r"\w", "(?i)a", "(?=a)", "[[:alpha:]]", "[a&&b]",
                                               "a{,3}", "a{x}", "a}", "é", r"\n", "[]a]"])
    source = textwrap.dedent("""
        from pydantic import BaseModel, ConfigDict, Field
        from astraapi import FastAPI

        class Digits(BaseModel):
            value: str = Field(pattern=r"^\\d+$")

        class PythonRe(BaseModel):
            model_config = ConfigDict(regex_engine="python-re")
            value: str = Field(pattern="^a+$")

        class Plain(BaseModel):
            value: str = Field(pattern="^a+$")

        app = FastAPI()

        @app.post("/digits")
        def digits(body: Digits): ...

        @app.post("/python-re")
        def python_re(body: PythonRe): ...

        @app.post("/plain")
        def plain(body: Plain): ...
        """)
    (tmp_path / "pattern_app.py").write_text(source)
    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module("pattern_app")
    finally:
        sys.path.remove(str(tmp_path))
    plans, failures = BodyDecoderPlanner(build_ir(module.app, app_ref="pattern_app:app")).supported_models()
    assert [plan.model.name for plan in plans] == ["Plain"]
    assert "only plain patterns are checked natively" in failures["pattern_app.Digits"]
    assert "has annotation _PydanticGeneralMetadata" in failures["pattern_app.PythonRe"]


def test_wider_types_canonical_bodies(setup):
    module, _, compiled = setup
    decode = compiled[5].decoder
    json_type = [(b"content-type", b"application/json")]
    body = (b'{"mode":true,"off":"","pair":[1,"x"],"nested":[[1,2],"red"],"many":[1,2.5],"unique":[3,1,3],'
            b'"frozen":["a","a"],"days":["2020-01-01"],"queue":[1],"by_id":{"5":"a","-0":"b","05":"c"},'
            b'"by_color":{"red":1},"by_uuid":{"12345678-1234-5678-1234-567812345678":[1]},'
            b'"at":"10:00:00.5+02:00","span":-5,"code":"ab-12","word":"xyz"}')
    got = decode(b"", (), body, json_type)["body"]
    assert shape(got) == shape(module.Shapes.model_validate(json.loads(body)))
    assert type(got.frozen) is frozenset and type(got.queue) is collections.deque and got.by_id == {5: "c", 0: "b"}
    for declined in [b'{"code":"ab-1\\n"}', b'{"code":"ab-123456"}', b'{"word":"a"}', b'{"mode":1.0}',
                     b'{"pair":[1]}', b'{"by_id":{"+5":"a"}}', b'{"by_level":{"1":1}}', b'{"span":1.5}',
                     b'{"at":"10:00"}', b'{"empty":[1]}']:
        assert decode(b"", (), declined, json_type) is None, declined
    unions = compiled[6].decoder
    got = unions(b"", (), b'{"either":"5","number":5,"real_or_text":5,"tags":[{"name":"t"}]}', json_type)["body"]
    assert (got.either, type(got.number), type(got.real_or_text), type(got.tags)) == ("5", int, float, list)
    for declined in [b'{"either":true}', b'{"either":1.5}', b'{"number":"5"}', b'{"choice":"z"}', b'{"tags":"t"}']:
        assert unions(b"", (), declined, json_type) is None, declined
