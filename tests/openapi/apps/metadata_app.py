"""Operation metadata: tags, summary, description, deprecated, operation ids, responses, classes."""

from typing import Optional

from pydantic import BaseModel

from FRAMEWORK import FastAPI, status
from FRAMEWORK.responses import HTMLResponse, PlainTextResponse, RedirectResponse

app = FastAPI(
    title="Metadata",
    description="An API with **metadata**.",
    summary="Short summary",
    version="3.1.4",
    terms_of_service="https://example.com/terms/",
    contact={"name": "Team", "url": "https://example.com/contact/", "email": "team@example.com"},
    license_info={"name": "Apache 2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0.html"},
    openapi_tags=[
        {"name": "items", "description": "Item operations"},
        {"name": "users", "description": "Users", "externalDocs": {"description": "More", "url": "https://example.com/"}},
    ],
    servers=[{"url": "https://api.example.com", "description": "Production"}],
)


class Message(BaseModel):
    detail: str


class Item(BaseModel):
    name: str
    price: Optional[float] = None


@app.get("/items/{item_id}", tags=["items"], summary="Read one item", response_description="The item",
         responses={404: {"model": Message, "description": "Not found"}, "4XX": {"description": "Client trouble"},
                    302: {"description": "Moved"}})
def read_item(item_id: int) -> Item:
    """Read an item.

    With **markdown**.
    \f
    Not shown.
    """
    return Item(name="x")


@app.post("/items", tags=["items"], status_code=status.HTTP_201_CREATED, operation_id="makeItem",
          deprecated=True, description="Explicit description")
def create_item(item: Item) -> Item:
    return item


@app.delete("/items/{item_id}", tags=["items"], status_code=204)
def delete_item(item_id: int) -> None:
    return None


@app.get("/hidden", include_in_schema=False)
def hidden():
    return {}


@app.get("/html", response_class=HTMLResponse, tags=["pages"])
def html():
    return "<p>hi</p>"


@app.get("/text", response_class=PlainTextResponse, responses={200: {"content": {"text/csv": {}}}})
def text():
    return "a,b"


@app.get("/redirect", response_class=RedirectResponse)
def redirect():
    return "/items"


@app.get("/extra", openapi_extra={"x-custom": {"a": 1}, "parameters": [{"name": "x", "in": "query", "schema": {"type": "string"}}]},
         responses={"default": {"model": Message}, 500: {"description": "Boom", "content": {"application/json": {"example": {"detail": "x"}}}}})
def extra(q: Optional[str] = None):
    return {}


@app.get("/users/me", tags=["users"], responses={422: {"description": "Custom validation"}})
def me(verbose: bool = False):
    return {}
