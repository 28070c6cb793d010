"""Routes whose JSON bodies the compiled build decodes natively (generated body decoders),
and some it leaves to pydantic, for tests/api/test_body_decoders_served.py."""

import datetime
import enum
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, Field, field_validator

from astraapi import Body, FastAPI


class Tag(BaseModel):
    name: str = Field(min_length=1, max_length=8)
    weight: float = 1.0


class Item(BaseModel):
    name: str
    price: float = Field(gt=0)
    count: int = Field(default=1, ge=0, le=1000)
    tags: list[str] = []
    labels: list[Tag] = Field(default_factory=list)
    meta: dict[str, Any] = {}
    note: Optional[str] = None
    code: int = Field(default=0, alias="itemCode")


class Profile(BaseModel):
    name: str
    nickname: Optional[str] = None
    age: int = 0
    tags: list[str] = []
    code: int = Field(default=0, alias="profileCode")
    labels: list[Tag] = []


class Checked(BaseModel):
    value: int

    @field_validator("value")
    @classmethod
    def positive(cls, value: int) -> int:
        if value < 0:
            raise ValueError("negative")
        return value


class Color(str, enum.Enum):
    red = "red"
    blue = "blue"


class Wide(BaseModel):
    mode: Literal["a", 1, True] = "a"
    pair: tuple[int, str] = (0, "")
    many: tuple[float, ...] = ()
    unique: set[int] = set()
    frozen: frozenset[int] = frozenset()
    by_id: dict[int, str] = {}
    by_color: dict[Color, int] = {}
    at: Optional[datetime.time] = None
    span: datetime.timedelta = datetime.timedelta(0)
    either: Union[int, str] = 0
    number: Union[int, float] = 0
    tags: Union[Tag, list[Tag], None] = None


class Ambiguous(BaseModel):
    either: Union[Tag, Item]


app = FastAPI()


@app.post("/items")
async def create_item(item: Item):
    return {"item": item, "set": sorted(item.model_fields_set),
            "label_sets": [sorted(label.model_fields_set) for label in item.labels]}


@app.put("/items/{item_id}", response_model=Item)
def replace_item(item_id: int, item: Item, q: Optional[str] = None):
    return item


@app.post("/pair")
async def pair(item: Item, tag: Tag):
    return {"item": item, "tag": tag, "sets": [sorted(item.model_fields_set), sorted(tag.model_fields_set)]}


@app.post("/embedded")
def embedded(tag: Tag = Body(embed=True)):
    return tag


@app.post("/maybe")
async def maybe(tag: Optional[Tag] = None):
    return {"tag": tag, "set": sorted(tag.model_fields_set) if tag else None}


@app.post("/checked")
async def checked(body: Checked):
    return body


@app.post("/echo/unset", response_model=Profile, response_model_exclude_unset=True)
async def echo_unset(profile: Profile):
    return profile


@app.post("/echo/defaults", response_model=Profile, response_model_exclude_defaults=True)
async def echo_defaults(profile: Profile):
    return profile


@app.post("/echo/none", response_model=Profile, response_model_exclude_none=True)
def echo_none(profile: Profile):
    return profile


@app.post("/echo/names", response_model=Profile, response_model_by_alias=False)
async def echo_names(profile: Profile):
    return profile


@app.post("/echo/all", response_model=list[Profile], response_model_exclude_unset=True,
          response_model_exclude_defaults=True, response_model_exclude_none=True, response_model_by_alias=False)
async def echo_all(profile: Profile):
    return [profile, {"name": "second", "nickname": None, "age": 3}]


@app.post("/wide")
async def wide(body: Wide):
    return {"body": body, "set": sorted(body.model_fields_set),
            "types": {name: type(value).__name__ for name, value in body}}


@app.post("/ambiguous")
def ambiguous(body: Ambiguous):
    return body
