"""Field types real apps return (issue 14), for the example-app set (tests/compat/test_example_apps.py): e-mail
addresses, UUIDs, time-zone-aware and naive datetimes, dates, times, Enum / IntEnum / str-Enum members,
SecretStr (masked), SQLModel models (a table object returned through a public model, `from_attributes`),
as compiled mode writes them natively; values it leaves to pydantic (a ZoneInfo datetime, an offset with
seconds) too."""

import datetime as dt
import enum
import uuid
import zoneinfo
from typing import Optional

from pydantic import BaseModel, EmailStr, SecretStr
from sqlmodel import Field, SQLModel

from astraapi import FastAPI

app = FastAPI()


class Status(str, enum.Enum):
    pending = "pending"
    paid = "paid"


class Priority(enum.IntEnum):
    low = 1
    high = 5


class Order(BaseModel):
    id: uuid.UUID
    email: EmailStr
    status: Status
    priority: Priority
    created_at: dt.datetime
    ship_on: Optional[dt.date] = None
    at: Optional[dt.time] = None
    tags: list[Status] = []
    coupon: SecretStr = SecretStr("")


class UserBase(SQLModel):
    email: EmailStr = Field(unique=True, index=True, max_length=255)
    full_name: Optional[str] = Field(default=None, max_length=255)


class User(UserBase, table=True):
    __tablename__ = "compat_user"
    __table_args__ = {"extend_existing": True}  # the suite loads this source twice (AstraAPI, FastAPI)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    hashed_password: str
    created_at: Optional[dt.datetime] = None


class UserPublic(UserBase):
    id: uuid.UUID
    created_at: Optional[dt.datetime] = None


class UsersPublic(SQLModel):
    data: list[UserPublic]
    count: int


UTC = dt.timezone.utc
ORDERS = [
    {"id": uuid.UUID(int=7), "email": "ada@example.com", "status": Status.paid, "priority": Priority.high,
     "created_at": dt.datetime(2026, 11, 2, 9, 30, tzinfo=UTC), "ship_on": dt.date(2026, 11, 5),
     "at": dt.time(14, 0, 0, 250000), "tags": [Status.pending, Status.paid], "coupon": "SAVE10"},
    {"id": uuid.UUID("6f1d2c3b-8a9e-4b7c-9d0e-1f2a3b4c5d6e"), "email": "Bob@Example.com", "status": "pending",
     "priority": 1, "created_at": dt.datetime(2026, 11, 2, 9, 30, 0, 1, tzinfo=dt.timezone(dt.timedelta(hours=-5, minutes=-30)))},
    {"id": uuid.UUID(int=2**128 - 1), "email": "c@example.org", "status": "paid", "priority": 5,
     "created_at": dt.datetime(1, 1, 1)},
]
ODD = [  # left to pydantic by the native writer: a ZoneInfo, an offset with seconds
    {**ORDERS[0], "created_at": dt.datetime(2026, 6, 1, 12, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))},
    {**ORDERS[0], "created_at": dt.datetime(2026, 6, 1, 12, tzinfo=dt.timezone(dt.timedelta(seconds=3661)))},
]
USERS = [User(email=f"user{i}@example.com", full_name=None if i % 2 else f"User {i}", hashed_password="x",
              id=uuid.UUID(int=i + 1), created_at=dt.datetime(2026, 1, 1, i, tzinfo=UTC)) for i in range(3)]


@app.get("/orders", response_model=list[Order])
async def orders():
    return ORDERS


@app.get("/orders/odd", response_model=list[Order])
async def odd_orders():
    return ODD


@app.get("/orders/{index}", response_model=Order)
async def order(index: int):
    return ORDERS[index]


@app.get("/users/me", response_model=UserPublic)
def me():
    return USERS[0]


@app.get("/users", response_model=UsersPublic)
def users():
    return UsersPublic(data=USERS, count=len(USERS))


@app.get("/users/table", response_model=User)
def table_row():
    return USERS[1]


REQUESTS = [
    ("GET", "/orders", {}),
    ("GET", "/orders/odd", {}),
    ("GET", "/orders/1", {}),
    ("GET", "/orders/2", {}),
    ("GET", "/users/me", {}),
    ("GET", "/users", {}),
    ("GET", "/users/table", {}),
    ("GET", "/openapi.json", {}),
]
