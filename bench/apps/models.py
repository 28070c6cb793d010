"""Pydantic models and fixed data shared by every benchmark app (no framework imports)."""

from typing import Optional

from pydantic import BaseModel


class Item(BaseModel):
    item_id: int
    q: Optional[str] = None
    price: float
    tags: list[str]


class ItemIn(BaseModel):
    name: str
    price: float
    tags: list[str] = []
    description: Optional[str] = None


class Part(BaseModel):
    id: int
    name: str
    price: float
    in_stock: bool
    tags: list[str]


class Catalog(BaseModel):
    name: str
    count: int
    parts: list[Part]


# 50 nested models, validated into Catalog on every request (as a response_model does).
CATALOG = {
    "name": "catalog",
    "count": 50,
    "parts": [
        {"id": i, "name": f"part-{i}", "price": i * 1.25, "in_stock": i % 3 != 0, "tags": ["a", "b"]}
        for i in range(50)
    ],
}

# About 10 KB of JSON, compressible as real listings are: the gzip route's body.
REPORT = {
    "rows": [
        {"id": i, "name": f"row number {i}", "status": "active" if i % 2 else "archived", "score": i * 0.5}
        for i in range(150)
    ]
}


# --- The real-app route set (issue 14): an authenticated user, a page of orders, a created order.
# Values as a database layer hands them over: UUIDs, time-zone-aware datetimes, e-mail addresses, enums.

import enum
import uuid
from datetime import datetime, timedelta, timezone

from pydantic import EmailStr


class OrderStatus(str, enum.Enum):
    pending = "pending"
    paid = "paid"
    shipped = "shipped"


class UserOut(BaseModel):
    id: uuid.UUID
    email: EmailStr
    full_name: Optional[str] = None
    is_active: bool = True
    created_at: datetime


class OrderIn(BaseModel):
    product_id: int
    quantity: int
    note: Optional[str] = None


class OrderOut(BaseModel):
    id: uuid.UUID
    customer_email: EmailStr
    product_id: int
    quantity: int
    total: float
    status: OrderStatus
    created_at: datetime
    note: Optional[str] = None


_EPOCH = datetime(2026, 11, 2, 9, 30, 0, tzinfo=timezone.utc)
TOKEN = "bench-token-4f1c"  # the bearer token of the one user (Authorization: Bearer <TOKEN>)
USER = {"id": uuid.UUID("6f1d2c3b-8a9e-4b7c-9d0e-1f2a3b4c5d6e"), "email": "ada@example.com",
        "full_name": "Ada Lovelace", "is_active": True, "created_at": _EPOCH}
ORDERS = [
    {"id": uuid.UUID(int=0x1234_5678_9ABC_DEF0 * (i + 1)), "customer_email": f"customer{i}@example.com",
     "product_id": 1000 + i, "quantity": 1 + i % 4, "total": 19.99 * (1 + i % 4),
     "status": list(OrderStatus)[i % 3], "created_at": _EPOCH + timedelta(minutes=7 * i, microseconds=1500 * i),
     "note": None if i % 2 else f"gift wrap {i}"}
    for i in range(100)
]
NEW_ORDER_ID = uuid.UUID("0b5e7c1a-2d3f-4e5a-8b9c-0d1e2f3a4b5c")
