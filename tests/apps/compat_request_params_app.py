"""Header, cookie and list parameters, enums, uuid, date, datetime and Decimal values read from the
query string, headers and cookies (what generated request decoders read in compiled mode), for the
example-app set. Values are echoed by repr, so their exact types and values are compared."""

import datetime
import decimal
import enum
import uuid
from typing import Annotated, Optional

from pydantic import AfterValidator

from astraapi import Cookie, FastAPI, Header, Query

app = FastAPI()


class Color(str, enum.Enum):
    red = "red"
    blue = "Blue"


class Size(enum.Enum):
    small = "s"
    large = "L"


@app.get("/headers/{kind}")
def headers(kind: Color, x_token: str = Header(), user_agent: Optional[str] = Header(None),
            x_count: int = Header(0, ge=0, multiple_of=2), x_other: Optional[bool] = Header(None, alias="X-Flag"),
            session: Optional[str] = Cookie(None), visits: int = Cookie(1, lt=1000),
            theme: Optional[Size] = Cookie(None), x_ids: list[int] = Header([])):
    return {name: repr(value) for name, value in locals().items() if name != "user_agent"}


@app.get("/lists")
def lists(tags: list[str] = Query([]), ids: Optional[list[int]] = Query(None, max_length=3),
          flags: list[bool] = Query(["true"]), sizes: Optional[list[Size]] = Query(None),
          needed: list[float] = Query(min_length=1)):
    tags.append("appended")  # the default list is a fresh copy per request
    return {name: repr(value) for name, value in locals().items()}


@app.get("/values/{key}")
def values(key: uuid.UUID, day: Optional[datetime.date] = None, at: Optional[datetime.datetime] = None,
           price: decimal.Decimal = decimal.Decimal("1.5"), color: Color = Color.red, flag: bool = False,
           step: Optional[int] = Query(None, multiple_of=5)):
    return {name: repr(value) for name, value in locals().items()}


@app.get("/pattern")
def pattern(code: str = Query("a1", pattern="^[a-z][0-9]$"), x_lang: Optional[str] = Header(None, pattern="^(en|fr)$")):
    return {"code": code, "x_lang": x_lang}


@app.get("/pattern-digits")
def pattern_digits(code: str = Query("1", pattern=r"^\d$")):  # \d differs between the regex engines: generic path
    return {"code": code}


@app.get("/validated")
def validated(x_name: Annotated[str, Header(), AfterValidator(str.upper)] = "none",
              n: Annotated[int, Query(), AfterValidator(abs)] = 0):  # validators: decoded on the generic path
    return {"x_name": x_name, "n": n}


KEY = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
REQUESTS = [
    ("GET", "/headers/red", {"headers": {"x-token": "t"}}),
    ("GET", "/headers/Blue", {"headers": {"x-token": "t", "x-count": "4", "x-flag": "YES", "x-ids": "7",
                                           "cookie": "session=abc; visits=12; theme=L"}}),
    ("GET", "/headers/blue", {"headers": {"x-token": "t"}}),
    ("GET", "/headers/red", {}),
    ("GET", "/headers/red", {"headers": {"x-token": "t", "x-count": "3"}}),
    ("GET", "/headers/red", {"headers": {"x-token": "t", "x-count": "-2"}}),
    ("GET", "/headers/red", {"headers": {"x-token": "t", "x-flag": "maybe"}}),
    ("GET", "/headers/red", {"headers": [("x-token", "t"), ("x-ids", "1"), ("x-ids", "x")]}),
    ("GET", "/headers/red", {"headers": [("x-token", "t"), ("x-ids", "1"), ("x-ids", "2")]}),
    ("GET", "/headers/red", {"headers": {"x-token": "t", "cookie": "visits=1000"}}),
    ("GET", "/headers/red", {"headers": {"x-token": "t", "cookie": "theme=XL; session=\"q\""}}),
    ("GET", "/headers/red", {"headers": {"x-token": "t", "cookie": "session = spaced ; session=last"}}),
    ("GET", "/lists?needed=1.5&needed=2", {}),
    ("GET", "/lists?needed=1&tags=a&tags=&ids=1&ids=2&flags=off&flags=On&sizes=s&sizes=L", {}),
    ("GET", "/lists", {}),
    ("GET", "/lists?needed=x", {}),
    ("GET", "/lists?needed=1&ids=1&ids=2&ids=3&ids=4", {}),
    ("GET", "/lists?needed=1&sizes=M&flags=2", {}),
    ("GET", f"/values/{KEY}", {}),
    ("GET", f"/values/{KEY.upper()}?day=2024-02-29&at=2024-02-29T10:11:12.5%2B01:00&price=007.50&color=Blue"
            "&flag=t&step=-15", {}),
    ("GET", f"/values/{KEY}?at=2024-02-29T10:11:12Z&price=-0", {}),
    ("GET", f"/values/{KEY}?day=2023-02-29", {}),
    ("GET", f"/values/{KEY}?day=20240229&at=1700000000&price=1e3", {}),
    ("GET", f"/values/{KEY}?color=red&step=7", {}),
    ("GET", "/values/not-a-uuid", {}),
    ("GET", f"/values/{KEY.replace('-', '')}", {}),
    ("GET", "/pattern?code=b2", {}),
    ("GET", "/pattern?code=22", {}),
    ("GET", "/pattern?code=c3", {"headers": {"x-lang": "fr"}}),
    ("GET", "/pattern", {"headers": {"x-lang": "de"}}),
    ("GET", "/pattern-digits?code=7", {}),
    ("GET", "/pattern-digits?code=x", {}),
    ("GET", "/validated?n=-3", {"headers": {"x-name": "abc"}}),
]
