"""Value types and response edge cases (UUIDs, datetimes, decimals, sets, unions, aliases, 204s, response
validation errors), for the example-app set (tests/compat/test_example_apps.py)."""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Literal, Union

from pydantic import BaseModel, Field

from astraapi import Body, FastAPI, Header, HTTPException, Query, Response
from astraapi.responses import HTMLResponse, PlainTextResponse

app = FastAPI()


class Money(BaseModel):
    amount: Decimal
    currency: Literal["EUR", "USD"] = "EUR"


class Event(BaseModel):
    id: uuid.UUID
    at: dt.datetime
    day: dt.date
    duration: dt.timedelta
    tags: set[str] = set()
    price: Money | None = None
    ratio: float = 0.5


class Cat(BaseModel):
    kind: Literal["cat"] = "cat"
    lives: int = 9


class Dog(BaseModel):
    kind: Literal["dog"] = "dog"
    good: bool = True


class Aliased(BaseModel):
    model_config = {"populate_by_name": True}

    full_name: str = Field(alias="fullName")
    nick: str | None = Field(default=None, serialization_alias="nickName")


@app.post("/events", response_model=Event)
def echo_event(event: Event):
    return event


@app.get("/pets/{kind}", response_model=Union[Cat, Dog])
def pet(kind: str):
    return {"kind": kind}


@app.post("/aliased", response_model=Aliased)
def aliased(body: Aliased):
    return body


@app.post("/aliased-raw", response_model=Aliased, response_model_by_alias=False)
def aliased_raw(body: Aliased):
    return body


@app.get("/numbers")
def numbers(values: Annotated[list[float], Query()] = [], flag: bool = False):
    return {"values": values, "sum": sum(values), "flag": flag, "big": 1e16, "small": 1e-7, "third": 1 / 3}


@app.get("/no-content", status_code=204)
def no_content():
    return None


@app.delete("/empty", status_code=204, response_class=Response)
def empty():
    return Response(status_code=204)


@app.get("/broken", response_model=Money)
def broken():
    return {"amount": "lots"}


@app.get("/teapot")
def teapot(x_mood: Annotated[str | None, Header()] = None):
    raise HTTPException(418, detail=["short", "and stout"], headers={"x-mood": x_mood or "none"})


@app.get("/html", response_class=HTMLResponse)
def html():
    return "<p>é</p>"


@app.get("/text", response_class=PlainTextResponse, status_code=201)
def text():
    return "created\n"


@app.put("/embed")
def embed(item: Annotated[Money, Body(embed=True)], note: Annotated[str, Body()] = "n"):
    return {"item": item, "note": note}


EVENT = {"id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "at": "2024-05-01T10:00:00+02:00", "day": "2024-05-01",
         "duration": "PT1H30M", "tags": ["a"], "price": {"amount": "9.90"}, "ratio": 3}

REQUESTS = [
    ("POST", "/events", {"json": EVENT}),
    ("POST", "/events", {"json": {**EVENT, "id": "nope", "at": "yesterday", "duration": -1.5}}),
    ("POST", "/events", {"json": [1, 2]}),
    ("POST", "/events", {"content": b"", "headers": {"content-type": "application/json"}}),
    ("POST", "/events", {"content": b'{"id": 1,}', "headers": {"content-type": "application/json"}}),
    ("POST", "/events", {"content": b'{"a":1}', "headers": {"content-type": "text/plain"}}),
    ("GET", "/pets/cat", {}),
    ("GET", "/pets/dog", {}),
    ("GET", "/pets/fish", {}),
    ("POST", "/aliased", {"json": {"fullName": "Ann", "nick": "a"}}),
    ("POST", "/aliased", {"json": {"full_name": "Ann"}}),
    ("POST", "/aliased-raw", {"json": {"fullName": "Ann"}}),
    ("GET", "/numbers?values=1.5&values=2&values=-0.0&flag=yes", {}),
    ("GET", "/numbers?values=inf", {}),
    ("GET", "/numbers?values=x&flag=maybe", {}),
    ("GET", "/no-content", {}),
    ("DELETE", "/empty", {}),
    ("GET", "/broken", {}),
    ("GET", "/teapot", {"headers": {"x-mood": "calm"}}),
    ("GET", "/html", {}),
    ("GET", "/text", {}),
    ("PUT", "/embed", {"json": {"item": {"amount": 1.25}}}),
    ("PUT", "/embed", {"json": {"amount": 1.25}}),
    ("OPTIONS", "/html", {}),
    ("GET", "/openapi.json", {}),
]
