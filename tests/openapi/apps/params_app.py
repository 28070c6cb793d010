"""Path, query, header and cookie parameters: constraints, aliases, enums, Optional, lists."""

from enum import Enum
from typing import Annotated, Optional, Union
from uuid import UUID

from FRAMEWORK import Body, Cookie, FastAPI, Header, Path, Query

app = FastAPI(title="Params", version="2.0")


class Color(str, Enum):
    red = "red"
    green = "green"


class Level(int, Enum):
    low = 1
    high = 2


@app.get("/items/{item_id}")
def read_item(
    item_id: Annotated[int, Path(title="The item", ge=1, le=1000, description="Which item")],
    q: Annotated[Optional[str], Query(max_length=50, min_length=2, pattern="^[a-z]+$")] = None,
    size: float = Query(1.5, gt=0.0, lt=10, multiple_of=0.5),
    tags: list[str] = Query(default=[], alias="tag", description="Repeat for more"),
    ids: Annotated[Union[list[int], None], Query()] = None,
    short: bool = False,
    color: Color = Color.red,
    level: Optional[Level] = None,
):
    return {"item_id": item_id}


@app.get("/colors/{color}")
async def by_color(color: Color, token: UUID = Query(..., examples=["0f8fad5b-d9cb-469f-a165-70867728950e"])):
    return {"color": color}


@app.get("/headers")
def headers(
    user_agent: Annotated[Optional[str], Header()] = None,
    x_token: list[str] = Header(default=[]),
    strange_header: Optional[str] = Header(default=None, convert_underscores=False),
    session: Optional[str] = Cookie(default=None, description="Session cookie"),
    tracking_id: Annotated[str, Cookie(alias="tid", deprecated=True)] = "none",
):
    return {}


@app.get("/files/{file_path:path}")
def read_file(file_path: str, old: Optional[int] = Query(None, deprecated=True), hidden: int = Query(0, include_in_schema=False)):
    return {"file_path": file_path}


@app.get("/search")
def search(
    q: str = Query(..., title="Query text", example="abc"),
    page: Annotated[int, Query(ge=0, json_schema_extra={"x-unit": "pages"})] = 0,
    weight: Annotated[float, Query(ge=0.0, le=1.0)] = 0.5,
    sort: str = Query("asc", openapi_examples={"up": {"summary": "Ascending", "value": "asc"}, "down": {"value": "desc"}}),
):
    return {}


from decimal import Decimal


@app.get("/numbers/{level}")
def numbers(
    level: Level,
    amount: Annotated[Decimal, Query(max_digits=5, decimal_places=2)] = Decimal("1.50"),
    ratio: Annotated[float, Query(ge=-1, le=1)] = 0,
    picks: list[int] = Query(default_factory=lambda: [1, 2]),
    x_ids: Annotated[list[int], Header()] = [],
):
    return {}


@app.post("/optional-parts")
def optional_parts(a: Annotated[Optional[int], Body()] = None, b: Annotated[Optional[str], Body()] = None):
    return {}
