from pydantic import BaseModel

from astraapi import FastAPI

app = FastAPI()


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


ITEMS: dict[int, Item] = {}


@app.get("/")
async def root():
    return {"message": "Hello World"}


@app.post("/items", response_model=Item, status_code=201)
def create_item(item: Item):
    ITEMS[len(ITEMS) + 1] = item
    return item


@app.get("/items/{item_id}", response_model=Item)
def read_item(item_id: int, q: str | None = None):
    return ITEMS[item_id]
