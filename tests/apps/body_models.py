"""Routes whose JSON bodies the compiled build decodes natively (generated body decoders),
and some it leaves to pydantic, for tests/api/test_body_decoders_served.py."""

from typing import Any, Optional

from pydantic import BaseModel, Field, field_validator

from astraapi import FastAPI


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


class Checked(BaseModel):
    value: int

    @field_validator("value")
    @classmethod
    def positive(cls, value: int) -> int:
        if value < 0:
            raise ValueError("negative")
        return value


app = FastAPI()


@app.post("/items")
async def create_item(item: Item):
    return {"item": item, "set": sorted(item.model_fields_set),
            "label_sets": [sorted(label.model_fields_set) for label in item.labels]}


@app.put("/items/{item_id}", response_model=Item)
def replace_item(item_id: int, item: Item, q: Optional[str] = None):
    return item


@app.post("/checked")
async def checked(body: Checked):
    return body
