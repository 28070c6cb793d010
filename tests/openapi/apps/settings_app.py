"""App-level OpenAPI settings: one schema per model, custom operation ids, custom URLs."""

from typing import Optional

from pydantic import BaseModel, computed_field

from FRAMEWORK import APIRouter, FastAPI


def custom_id(route) -> str:
    return f"{route.tags[0] if route.tags else 'default'}-{route.name}"


app = FastAPI(separate_input_output_schemas=False, generate_unique_id_function=custom_id,
              openapi_url="/api/schema.json", docs_url="/api/docs", redoc_url=None, title="Réglages ✓",
              swagger_ui_parameters={"syntaxHighlight": False, "docExpansion": "none"},
              swagger_ui_init_oauth={"clientId": "client<id>", "usePkceWithAuthorizationCodeGrant": True})


class Item(BaseModel):
    name: str
    description: Optional[str] = None


class Rect(BaseModel):
    w: int
    h: int

    @computed_field
    @property
    def area(self) -> int:
        return self.w * self.h


@app.post("/items", tags=["items"])
def create(item: Item, other: Item) -> Item:
    return item


@app.post("/rects")
def rect(r: Rect) -> Rect:
    return r


router = APIRouter(tags=["r"])


@router.get("/r/{x}")
def in_router(x: int) -> Item:
    return Item(name="x")


app.include_router(router)
