"""Request bodies and response models: nesting, aliases, defaults, several body parameters."""

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Optional, Union

from pydantic import BaseModel, Field

from FRAMEWORK import Body, FastAPI

app = FastAPI()


class Kind(str, Enum):
    a = "a"
    b = "b"


class Image(BaseModel):
    url: str
    name: str = Field("unnamed", description="A name")


class Item(BaseModel):
    """An item on sale.

    More text.\fHidden after the form feed."""

    name: str = Field(..., min_length=1, examples=["Widget"])
    price: float = Field(gt=0, description="In euros")
    tax: Optional[float] = None
    tags: set[str] = set()
    images: Optional[list[Image]] = None
    kind: Kind = Kind.a
    item_code: str = Field("X", alias="itemCode")


class Amount(BaseModel):
    value: Decimal
    when: Optional[datetime] = None


class User(BaseModel):
    username: str
    full_name: Optional[str] = None


class Offer(BaseModel):
    name: str
    items: list[Item]
    ratio: float = 0.0


@app.post("/items", response_model=Item, status_code=201)
async def create_item(item: Item):
    return item


@app.put("/items/{item_id}")
def update_item(item_id: int, item: Item, user: User, importance: int = Body(gt=0)):
    return {}


@app.post("/embedded")
def embedded(item: Item = Body(embed=True)):
    return item


@app.post("/optional-body")
def optional_body(user: Optional[User] = None):
    return {}


@app.post("/amounts", response_model=Amount)
def amounts(amount: Amount):
    return amount


@app.post("/offers", response_model=list[Offer])
def offers(offer: Offer, limit: int = 10):
    return [offer]


@app.get("/users/{username}", response_model=Union[User, Image])
def user(username: str):
    return {"username": username}


@app.get("/mapping", response_model=dict[str, Image])
def mapping():
    return {}


@app.post("/raw")
def raw(payload: dict = Body(..., examples=[{"a": 1}]), data: list[int] = Body(...)):
    return payload


@app.get("/annotated")
def annotated() -> User:
    return User(username="x")
