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
