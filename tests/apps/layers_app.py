"""An app that reports which astraapi modules its serving process has imported
(tests/architecture/test_layers.py): serving never imports the code generator."""

import sys

from pydantic import BaseModel

from astraapi import Depends, FastAPI

app = FastAPI()


class Item(BaseModel):
    name: str
    price: float


def token(q: str = "t") -> str:
    return q


@app.get("/items/{item_id}")
def read_item(item_id: int, q: str | None = None):
    return {"item_id": item_id, "q": q}


@app.post("/items")
async def create_item(item: Item, tag: str = Depends(token)):
    return {"item": item, "tag": tag}


@app.get("/modules")
def modules():
    return sorted(name for name in sys.modules if name == "astraapi" or name.startswith("astraapi."))
