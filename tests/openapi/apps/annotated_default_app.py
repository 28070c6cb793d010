"""`x: Annotated[T, metadata] = Body()` / `= Query()`: FastAPI puts the marker's field on T and leaves the
Annotated's other metadata out (a Discriminator, a constraint), while `Annotated[T, metadata, Body()]` keeps it."""

from typing import Annotated, Union

import annotated_types
from pydantic import BaseModel, Discriminator, Tag

from FRAMEWORK import Body, FastAPI, Query


class Cat(BaseModel):
    pet_type: str = "cat"
    meows: int


class Dog(BaseModel):
    pet_type: str = "dog"
    barks: float


def pet_type(value):
    return value.get("pet_type", "") if isinstance(value, dict) else getattr(value, "pet_type", "")


Pet = Annotated[Union[Annotated[Cat, Tag("cat")], Annotated[Dog, Tag("dog")]], Discriminator(pet_type)]

app = FastAPI()


@app.post("/assigned")
def assigned(pet: Pet = Body()):
    return pet


@app.post("/annotated")
def annotated(pet: Annotated[Pet, Body()]):
    return pet


@app.get("/limited")
def limited(q: Annotated[int, annotated_types.Gt(5)] = Query(), r: Annotated[int, annotated_types.Gt(5), Query()] = 9):
    return [q, r]
