"""A small CRUD API over SQLite (the standard library's sqlite3), written as a FastAPI app.

Serve it compiled:   astraapi build examples.items_api:app && astraapi run examples.items_api:app
Serve it in dev:     astraapi dev examples.items_api:app
The database file is $ITEMS_DB (default: .astraapi/items.sqlite3 under the current directory).
"""

import os
import sqlite3
import threading
from pathlib import Path
from typing import Optional

from pydantic import BaseModel, Field

from astraapi import FastAPI, HTTPException, Query

DB_PATH = Path(os.environ.get("ITEMS_DB", ".astraapi/items.sqlite3"))

app = FastAPI(title="Items API", version="1.0.0")


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    price: float = Field(ge=0)
    tags: list[str] = []
    description: Optional[str] = None


class Item(ItemIn):
    id: int


class Stats(BaseModel):
    count: int
    total_value: float


_local = threading.local()
_schema_lock = threading.Lock()


def db() -> sqlite3.Connection:
    """One connection per thread (sync endpoints run in a thread pool)."""
    connection = getattr(_local, "connection", None)
    if connection is None:
        DB_PATH.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(DB_PATH, timeout=10, isolation_level=None)
        connection.row_factory = sqlite3.Row
        with _schema_lock:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,"
                " price REAL NOT NULL, tags TEXT NOT NULL, description TEXT)"
            )
        _local.connection = connection
    return connection


def row_to_item(row: sqlite3.Row) -> dict:
    tags = row["tags"]
    return {
        "id": row["id"],
        "name": row["name"],
        "price": row["price"],
        "tags": tags.split("\x1f") if tags else [],
        "description": row["description"],
    }


def find_item(item_id: int) -> dict:
    row = db().execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        raise HTTPException(status_code=404, detail="Item not found")
    return row_to_item(row)


@app.get("/")
async def root():
    return {"message": "Hello World"}


@app.get("/items", response_model=list[Item])
def list_items(limit: int = Query(10, ge=1, le=100), offset: int = 0, q: Optional[str] = None):
    if q:
        rows = db().execute(
            "SELECT * FROM items WHERE name LIKE ? ORDER BY id LIMIT ? OFFSET ?", (f"%{q}%", limit, offset)
        )
    else:
        rows = db().execute("SELECT * FROM items ORDER BY id LIMIT ? OFFSET ?", (limit, offset))
    return [row_to_item(row) for row in rows]


@app.get("/items/{item_id}", response_model=Item)
def read_item(item_id: int):
    return find_item(item_id)


@app.post("/items", response_model=Item, status_code=201)
def create_item(item: ItemIn):
    cursor = db().execute(
        "INSERT INTO items (name, price, tags, description) VALUES (?, ?, ?, ?)",
        (item.name, item.price, "\x1f".join(item.tags), item.description),
    )
    return {"id": cursor.lastrowid, **item.model_dump()}


@app.put("/items/{item_id}", response_model=Item)
def replace_item(item_id: int, item: ItemIn):
    find_item(item_id)
    db().execute(
        "UPDATE items SET name = ?, price = ?, tags = ?, description = ? WHERE id = ?",
        (item.name, item.price, "\x1f".join(item.tags), item.description, item_id),
    )
    return {"id": item_id, **item.model_dump()}


@app.delete("/items/{item_id}")
def delete_item(item_id: int):
    find_item(item_id)
    db().execute("DELETE FROM items WHERE id = ?", (item_id,))
    return {"deleted": item_id}


@app.get("/stats", response_model=Stats)
async def stats():
    row = db().execute("SELECT COUNT(*) AS count, COALESCE(SUM(price), 0.0) AS total FROM items").fetchone()
    return Stats(count=row["count"], total_value=row["total"])
