"""An app whose /docs and /redoc load their assets from the app (docs_offline=True)."""

from pydantic import BaseModel

from astraapi import FastAPI

app = FastAPI(title="Offline docs", docs_offline=True)


class Item(BaseModel):
    name: str
    price: float


@app.get("/items/{item_id}", summary="Read one item")
async def read_item(item_id: int) -> Item:
    return Item(name="x", price=1.0)


@app.post("/items", summary="Create an item")
async def create_item(item: Item) -> Item:
    return item
