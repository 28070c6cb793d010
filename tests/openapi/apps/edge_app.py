"""Less common declarations: dataclasses, Literal, dates, bytes, model config examples, media types."""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from http import HTTPStatus
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from FRAMEWORK import Body, FastAPI, Header, Query

app = FastAPI(title="Edge", version="0.0.1", description="Ünïcödé ✓ description")


@dataclass
class Point:
    x: float
    y: float = 0.0
    labels: list[str] = field(default_factory=list)


class Config(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"key": "a", "value": 1}]})

    key: str = Field(description="The key", max_length=20)
    value: Any = None
    raw: Optional[bytes] = None


class Wrapper(BaseModel):
    config: Config
    points: list[Point] = []
    mode: Literal["fast", "slow"] = "fast"


@app.post("/points", status_code=HTTPStatus.ACCEPTED)
def points(point: Point) -> Point:
    return point


@app.get("/when")
def when(day: date, at: Optional[time] = None, since: Annotated[Optional[datetime], Query()] = None,
         kind: Literal["a", "b"] = "a", flag: Annotated[bool, Query(description="A flag")] = True,
         x_request_id: Annotated[Optional[str], Header(alias="X-Request-ID")] = None):
    return {}


@app.put("/config/{key}", responses={200: {"model": Config, "description": "The config"}})
def put_config(key: str, config: Config = Body(media_type="application/vnd.config+json")):
    return config


@app.post("/wrap", response_model=Wrapper, response_model_exclude_none=True)
def wrap(wrapper: Wrapper, note: Annotated[Optional[str], Body()] = None,
         count: Annotated[int, Body(ge=0, deprecated=True)] = 1):
    return wrapper


@app.get("/deprecated", deprecated=True, summary="Old", tags=["old", "legacy"])
def old(q: Annotated[Optional[str], Query(deprecated="use r")] = None):
    return {}


@app.get("/none", response_model=None)
def none() -> dict:
    return {}


@app.post("/upload-bytes")
def upload_bytes(data: bytes = Body(...)):
    return {}


@app.get("/no-params", status_code=202, response_description="Accepted for later")
async def no_params():
    return None


class Pet(BaseModel):
    name: str


@app.post("/aliased")
def aliased(pet: Pet = Body(alias="animal", title="The pet"), owner: str = Body(alias="ownerName", max_length=9)):
    return {}


@app.post("/single-titled")
def single_titled(pet: Annotated[Pet, Body(title="Only pet", description="A pet", examples=[{"name": "Rex"}])]):
    return {}


@app.post("/single-example")
def single_example(pet: Pet = Body(openapi_examples={"rex": {"summary": "A dog", "value": {"name": "Rex"}}})):
    return {}
