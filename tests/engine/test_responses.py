"""Response models, returned Response objects, response classes, jsonable_encoder types, errors."""

from __future__ import annotations

import logging

import pytest

APP = """
import dataclasses
import datetime
import decimal
import enum
import uuid
from pathlib import PurePosixPath
from typing import Optional
from pydantic import BaseModel, Field
from FRAMEWORK import FastAPI, HTTPException
from FRAMEWORK.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

app = FastAPI()

class Color(enum.Enum):
    red = "red"
    blue = "blue"

class UserIn(BaseModel):
    username: str
    password: str
    email: str
    full_name: Optional[str] = None

class UserOut(BaseModel):
    username: str
    email: str
    full_name: Optional[str] = None

class Aliased(BaseModel):
    item_name: str = Field(serialization_alias="itemName")
    score: float = 0.5

@dataclasses.dataclass
class Point:
    x: float
    y: float

USER = {"username": "ann", "password": "secret", "email": "ann@example.com", "extra": 1}

@app.get("/user", response_model=UserOut)
async def user():
    return UserIn(**USER)

@app.get("/user-dict", response_model=UserOut)
def user_dict():
    return USER

@app.get("/user-annotated")
async def user_annotated() -> UserOut:
    return UserOut(username="bo", email="b@example.com", full_name="Bö")

@app.get("/users", response_model=list[UserOut])
async def users():
    return [USER, USER]

@app.get("/exclude-none", response_model=UserOut, response_model_exclude_none=True)
async def exclude_none():
    return USER

@app.get("/exclude-unset", response_model=Aliased, response_model_exclude_unset=True, response_model_by_alias=False)
async def exclude_unset():
    return Aliased(item_name="only")

@app.get("/bad-response", response_model=UserOut)
async def bad_response():
    return {"username": "x"}

@app.get("/aliased", response_model=Aliased)
async def aliased():
    return {"item_name": "n", "score": 1e16}

@app.get("/typed-floats")
async def typed_floats() -> dict[str, float]:
    return {"a": 1e16, "b": 2.5, "c": 1e-7}

@app.post("/user", response_model=UserOut, status_code=201)
async def create_user(user: UserIn):
    return user

@app.get("/types")
def types():
    return {
        "dt": datetime.datetime(2024, 1, 2, 3, 4, 5, 678000),
        "aware": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        "date": datetime.date(2024, 2, 29),
        "time": datetime.time(12, 30),
        "delta": datetime.timedelta(minutes=90),
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "dec_int": decimal.Decimal("10"),
        "dec_frac": decimal.Decimal("1.25"),
        "enum": Color.red,
        "set": {3},
        "frozen": frozenset(["a"]),
        "tuple": (1, 2),
        "bytes": b"raw",
        "path": PurePosixPath("/tmp/x"),
        "point": Point(1.0, 2.5),
        "model": UserOut(username="u", email="e"),
        5: "int key",
        "_sa_state": "dropped",
    }

@app.get("/nan")
async def nan():
    return {"x": float("nan")}

@app.get("/html", response_class=HTMLResponse)
async def html():
    return "<h1>héllo</h1>"

@app.get("/text", response_class=PlainTextResponse)
def text():
    return "plain"

@app.get("/explicit-json", response_class=JSONResponse, response_model=UserOut)
async def explicit_json():
    return USER

@app.get("/raw-response")
async def raw_response():
    return Response(content="custom", media_type="text/plain", headers={"X-Custom": "1"}, status_code=202)

@app.get("/json-response")
async def json_response():
    return JSONResponse({"a": "ü"}, status_code=418, headers={"x-tea": "pot"})

@app.delete("/no-content", status_code=204)
async def no_content():
    return None

@app.get("/crash")
async def crash():
    raise RuntimeError("boom")

@app.get("/crash-sync")
def crash_sync():
    return 1 / 0

@app.get("/http-error/{kind}")
async def http_error(kind: str):
    if kind == "str":
        raise HTTPException(status_code=404, detail="Item not found")
    if kind == "dict":
        raise HTTPException(status_code=400, detail={"code": "bad", "fields": ["a", "é"]})
    if kind == "list":
        raise HTTPException(status_code=409, detail=[1, 2])
    if kind == "headers":
        raise HTTPException(status_code=401, detail="Not authenticated", headers={"WWW-Authenticate": "Bearer"})
    if kind == "none":
        raise HTTPException(status_code=403)
    if kind == "nobody":
        raise HTTPException(status_code=304)
    return {"kind": kind}

@app.get("/http-error-sync")
def http_error_sync():
    raise HTTPException(status_code=418, detail="teapot")
"""


@pytest.fixture
def pair(make_pair):
    return make_pair(APP)


@pytest.mark.parametrize(
    "url",
    [
        "/user", "/user-dict", "/exclude-none", "/exclude-unset", "/user-annotated", "/users", "/aliased", "/typed-floats", "/types",
        "/html", "/text", "/explicit-json", "/raw-response", "/json-response",
        "/http-error/str", "/http-error/dict", "/http-error/list", "/http-error/headers",
        "/http-error/none", "/http-error/nobody", "/http-error/fine", "/http-error-sync",
    ],
)
def test_get_matches_fastapi(pair, url):
    pair.check("GET", url)


def test_response_model_filters_extra_fields(pair):
    _, _, body = pair.check("GET", "/user")
    assert body == b'{"username":"ann","email":"ann@example.com","full_name":null}'


def test_post_with_response_model(pair):
    pair.check("POST", "/user", headers={"content-type": "application/json"},
               content=b'{"username":"u","password":"p","email":"e@x.org"}')


def test_no_content(pair):
    assert pair.check("DELETE", "/no-content") == (204, [(b"content-type", b"application/json")], b"")


@pytest.mark.parametrize("url", ["/bad-response", "/nan", "/crash", "/crash-sync"])
def test_server_errors_are_logged_500s(pair, url, caplog):
    with caplog.at_level(logging.ERROR, logger="astraapi.error"):
        status, headers, body = pair.check("GET", url)
    assert status == 500 and body == b"Internal Server Error"
    records = [r for r in caplog.records if r.name == "astraapi.error"]
    assert records and records[-1].exc_info is not None
