"""Body models of the wider field types (literals, tuples, sets, keyed dicts, time, timedelta,
unions) whose IR and generated body decoders are kept as golden files."""

import collections
import datetime
import enum
import uuid
from typing import Literal, Optional, Union

from pydantic import BaseModel

from astraapi import FastAPI

app = FastAPI(title="Bodies")


class Color(str, enum.Enum):
    red = "red"
    blue = "blue"


class Line(BaseModel):
    sku: str
    quantity: int = 1


class Order(BaseModel):
    status: Literal["new", "paid", 0, True, None] = "new"
    point: tuple[float, float]
    codes: tuple[int, ...] = ()
    flags: set[Color] = set()
    seen: frozenset[uuid.UUID] = frozenset()
    queue: collections.deque[int] = collections.deque()
    by_id: dict[int, Line] = {}
    by_color: dict[Color, list[str]] = {}
    opens: Optional[datetime.time] = None
    ttl: datetime.timedelta = datetime.timedelta(0)
    ref: Union[int, str] = 0
    amount: Union[int, float] = 0
    lines: Union[Line, list[Line], None] = None


class Either(BaseModel):
    value: Union[Line, Order]


@app.post("/orders")
def create_order(order: Order):
    return None


@app.post("/either")
def either(body: Either):
    return None
