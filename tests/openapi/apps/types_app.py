"""Typing forms: TypedDict, discriminated unions, generic models, Optional responses, Enum tags."""

from enum import Enum
from typing import Annotated, Generic, Literal, Optional, TypeVar, Union

from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from FRAMEWORK import APIRouter, FastAPI

app = FastAPI()
T = TypeVar("T")


class Tags(Enum):
    cats = "cats"
    dogs = "dogs"


class Cat(BaseModel):
    pet_type: Literal["cat"]
    meows: int


class Dog(BaseModel):
    pet_type: Literal["dog"]
    barks: float


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = 0


class Movie(TypedDict):
    title: str
    year: int


@app.post("/pets", tags=[Tags.cats, Tags.dogs])
def add_pet(pet: Annotated[Union[Cat, Dog], Field(discriminator="pet_type")]) -> Page[Cat]:
    return Page[Cat](items=[])


@app.post("/movies")
def add_movie(movie: Movie) -> Optional[Movie]:
    return None


@app.head("/ping")
def ping_head():
    return None


@app.options("/ping")
def ping_options():
    return {}


router = APIRouter(prefix="/enum", tags=[Tags.dogs])


@router.get("/x", response_model=Optional[list[Dog]])
def enum_tagged():
    return None


app.include_router(router)


from datetime import timedelta

from pydantic import HttpUrl


class Link(BaseModel):
    url: HttpUrl
    ttl: timedelta = timedelta(hours=1)
    weights: dict[int, float] = {}
    parts: tuple[int, str] = (1, "a")
    rest: tuple[int, ...] = ()


@app.post("/links")
def links(weights: dict[int, float], link: Link) -> dict[str, Link]:
    return {}
