"""Generated serializers for the field types real apps use (EmailStr, UUID, datetime with and without a
time zone, date, time, Enum / IntEnum / str-Enum members, SecretStr / SecretBytes (masked), HttpUrl /
AnyUrl, IPv4Address, Json[X], in Optional and list, SQLModel models) write
exactly pydantic's `dump_json` bytes, or decline; and they answer for the values they were made for
(naive datetimes, `datetime.timezone` offsets of whole minutes, any UUID, any validated e-mail address).
"""

from __future__ import annotations

import datetime as dt
import enum
import importlib
import json
import sys
import textwrap
import uuid

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

pytest.importorskip("astraapi._runtime")
pytest.importorskip("email_validator")
pytest.importorskip("sqlmodel")

from astraapi.compiler.build import BuildOptions, build  # noqa: E402
from astraapi.compiler.codegen.emit import emit_app_module  # noqa: E402
from astraapi.introspection.app import build_ir  # noqa: E402
from astraapi.server.build_loader import load_build  # noqa: E402

SOURCE = '''
import datetime as dt
import enum
import uuid
from ipaddress import IPv4Address
from typing import Any, Optional

from pydantic import AnyUrl, BaseModel, EmailStr, HttpUrl, Json, SecretBytes, SecretStr
from sqlmodel import Field, SQLModel

from astraapi import FastAPI

app = FastAPI()


class Color(str, enum.Enum):
    red = "red"
    green = "grün"


class Level(enum.IntEnum):
    low = 1
    high = 10


class Mixed(enum.Enum):
    a = 1
    b = "b"
    c = 2.5


class Typed(BaseModel):
    id: uuid.UUID
    email: EmailStr
    at: dt.datetime
    day: dt.date
    clock: dt.time
    color: Color
    level: Level
    mixed: Mixed
    maybe_at: Optional[dt.datetime] = None
    ids: list[uuid.UUID] = []
    colors: list[Optional[Color]] = []
    password: SecretStr = SecretStr("")
    token: Optional[SecretBytes] = None
    site: HttpUrl = HttpUrl("https://example.com")
    link: Optional[AnyUrl] = None
    ip: IPv4Address = IPv4Address("127.0.0.1")
    payload: Json[list[int]] = []
    blob: Json[Any] = None


class UserBase(SQLModel):
    email: EmailStr = Field(unique=True, index=True, max_length=255)
    full_name: Optional[str] = Field(default=None, max_length=255)


class UserPublic(UserBase):
    id: uuid.UUID
    created_at: Optional[dt.datetime] = None


class User(UserBase, table=True):
    __tablename__ = "typed_user"
    __table_args__ = {"extend_existing": True}  # SQLModel's one MetaData is shared by every test app

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    hashed_password: str = "x"
    created_at: Optional[dt.datetime] = None


@app.get("/typed", response_model=Typed)
def typed():
    return None


@app.get("/users/me", response_model=UserPublic)
def me():
    return None


@app.get("/users/table", response_model=User)
def table():
    return None
'''

OFFSETS = st.builds(lambda minutes: dt.timezone(dt.timedelta(minutes=minutes)), st.integers(-23 * 60 - 59, 23 * 60 + 59))
ODD_OFFSETS = st.builds(lambda seconds: dt.timezone(dt.timedelta(seconds=seconds)),
                        st.integers(-86399, 86399))
URLS = st.sampled_from(["https://example.com", "http://x.org:8080/a b?q=1#f", "https://ÄÖ.example/ü",
                        "http://[::1]/", "https://user:pw@host.io/p/"]) | st.builds(
    lambda host, path: f"https://{host}/{path}", st.from_regex(r"[a-z]{1,8}\.(com|org)", fullmatch=True),
    st.text(max_size=8))
TZINFO = st.none() | st.just(dt.timezone.utc) | OFFSETS | ODD_OFFSETS
EMAILS = st.emails() | st.sampled_from(["ada@example.com", "Ada.Lovelace+x@Example.COM", "名@例え.jp",
                                        "a\"b@example.com", "x@[127.0.0.1]"])


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("typed")
    (folder / "typed_app.py").write_text(SOURCE)
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module("typed_app")
    finally:
        sys.path.remove(str(folder))
    ir = build_ir(module.app, app_ref="typed_app:app")
    build(ir, BuildOptions(build_dir=folder / "build"))
    serializers = load_build(ir, folder / "build").serializers
    by_path = {route.path: serializers.get(route.index) for route in ir.routes}
    return module, ir, by_path


def test_real_field_types_get_serializers(compiled):
    module, ir, by_path = compiled
    emitted = emit_app_module(ir)
    fallbacks = {ir.routes[i].path: why for i, why in emitted.route_fallbacks.items()}
    for path in ("/typed", "/users/me", "/users/table"):
        assert by_path[path] is not None, fallbacks.get(path)


def _values(module, draw):
    return {
        "id": draw(st.uuids()),
        "email": draw(EMAILS),
        "at": draw(st.datetimes(timezones=TZINFO)),
        "day": draw(st.dates()),
        "clock": draw(st.times()),
        "color": draw(st.sampled_from(list(module.Color))),
        "level": draw(st.sampled_from(list(module.Level))),
        "mixed": draw(st.sampled_from(list(module.Mixed))),
        "maybe_at": draw(st.none() | st.datetimes()),
        "ids": draw(st.lists(st.uuids(), max_size=3)),
        "colors": draw(st.lists(st.none() | st.sampled_from(list(module.Color)), max_size=3)),
        "password": draw(st.text(max_size=3)),
        "token": draw(st.none() | st.binary(max_size=3)),
        "site": draw(URLS),
        "link": draw(st.none() | URLS | st.sampled_from(["ftp://files.example.org", "postgres://u:p@db:5432/x"])),
        "ip": draw(st.ip_addresses(v=4)),
        "payload": json.dumps(draw(st.lists(st.integers(), max_size=3))),
        "blob": json.dumps(draw(st.recursive(st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False)
                                             | st.text(max_size=3),
                                             lambda inner: st.lists(inner, max_size=2), max_leaves=4))),
    }


def test_typed_fields_equal_dump_json(compiled):
    module, _, by_path = compiled
    serializer = by_path["/typed"]
    adapter = TypeAdapter(module.Typed)
    answered: list[tuple[bool, bool]] = []
    declined: list[dict] = []

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(st.data())
    def check(data):
        raw = _values(module, data.draw)
        try:
            value = adapter.validate_python(raw)
        except ValidationError:
            assume(False)  # an e-mail address pydantic refuses
        expected = adapter.dump_json(value, by_alias=True)
        got = serializer(value)
        if got is not None:
            assert got == expected, textwrap.shorten(repr(raw), 400)
        offset = value.at.utcoffset()
        plain = offset is None or offset % dt.timedelta(minutes=1) == dt.timedelta(0)
        answered.append((plain, got is not None))
        if plain and got is None:
            declined.append(raw)

    check()
    # Offsets with seconds are pydantic's to write (it drops the seconds); everything else is answered.
    assert not declined, f"plain values declined: {textwrap.shorten(repr(declined[:3]), 600)}"
    assert any(not got for plain, got in answered if not plain) or not any(not p for p, _ in answered)


def test_values_of_other_classes_are_declined(compiled):
    """A subclass or another tzinfo is not the exact class the writer knows: pydantic writes it."""
    import zoneinfo

    module, _, by_path = compiled
    serializer = by_path["/typed"]
    adapter = TypeAdapter(module.Typed)

    class MyDatetime(dt.datetime):
        pass

    base = {"id": uuid.UUID(int=1), "email": "ada@example.com", "at": dt.datetime(2026, 1, 2, 3, 4, 5),
            "day": dt.date(2026, 1, 2), "clock": dt.time(1, 2, 3), "color": "red", "level": 1, "mixed": 2.5}
    value = adapter.validate_python(base)
    assert serializer(value) == adapter.dump_json(value)
    for field, other in (("at", MyDatetime(2026, 1, 2, 3, 4, 5)),
                         ("at", dt.datetime(2026, 6, 1, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))),
                         ("clock", dt.time(1, 2, 3, tzinfo=dt.timezone.utc))):
        changed = adapter.validate_python({**base, field: other})
        got = serializer(changed)
        assert got is None or got == adapter.dump_json(changed)
    # Written as pydantic writes them, whatever the path: a member's value, a time zone's offset.
    at = dt.datetime(2026, 6, 1, 12, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))
    assert adapter.dump_json(adapter.validate_python({**base, "at": at})).count(b"+02:00") == 1


@given(st.data())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_sqlmodel_models_equal_dump_json(compiled, data):
    """A SQLModel response model, given a table object (from_attributes, as an endpoint returning an ORM row
    gives FastAPI), and a table model itself as the response model."""
    module, _, by_path = compiled
    email = data.draw(EMAILS)
    try:
        user = module.User(email=email, full_name=data.draw(st.none() | st.text(max_size=20)),
                           created_at=data.draw(st.none() | st.datetimes(timezones=st.none() | st.just(dt.timezone.utc))))
        public = TypeAdapter(module.UserPublic).validate_python(user, from_attributes=True)
    except ValidationError:
        assume(False)
    expected = TypeAdapter(module.UserPublic).dump_json(public)
    assert by_path["/users/me"](public) == expected
    # pydantic writes a model's fields in its __dict__'s order, which SQLAlchemy sets in its own order for a
    # table object: the serializer answers when that is the fields' order, and declines otherwise.
    expected = TypeAdapter(module.User).dump_json(user)
    got = by_path["/users/table"](user)
    in_order = [key for key in vars(user) if key in module.User.model_fields] == list(module.User.model_fields)
    assert got == (expected if in_order else None), (expected, got)
    ordered = module.User.model_validate(user)  # validated from attributes: in field order
    assert by_path["/users/table"](ordered) == TypeAdapter(module.User).dump_json(ordered)
