"""A small shop: routers, parameters, validation, response models, dependencies with yield, security and
background tasks, for the example-app set (tests/compat/test_example_apps.py)."""

import asyncio
from typing import Annotated

from pydantic import BaseModel, Field

from astraapi import APIRouter, BackgroundTasks, Depends, FastAPI, HTTPException, Query, Response, status
from astraapi.responses import HTMLResponse, PlainTextResponse
from astraapi.security import HTTPBasic, HTTPBasicCredentials, OAuth2PasswordBearer

app = FastAPI(title="Shop", version="1.2.0")
oauth2 = OAuth2PasswordBearer(tokenUrl="token")
basic = HTTPBasic()
LOG: list[str] = []
DB: dict[int, dict] = {1: {"name": "Plumbus", "price": 3.5, "tags": ["home"]}}


class ItemIn(BaseModel):
    name: str = Field(min_length=1)
    price: float = Field(gt=0)
    tags: list[str] = []


class ItemOut(BaseModel):
    id: int
    name: str
    price: float
    tags: list[str]


def get_db():
    LOG.append("open")
    try:
        yield DB
    finally:
        LOG.append("close")


def current_user(token: Annotated[str, Depends(oauth2)]) -> str:
    if token != "secret":
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Invalid token", headers={"WWW-Authenticate": "Bearer"})
    return "alice"


items = APIRouter(prefix="/items", tags=["items"])


@items.get("/", response_model=list[ItemOut])
def list_items(db: Annotated[dict, Depends(get_db)], skip: int = 0, limit: Annotated[int, Query(le=10)] = 10):
    return [{"id": k, **v} for k, v in list(db.items())[skip:skip + limit]]


@items.get("/{item_id}", response_model=ItemOut, responses={404: {"description": "Not found"}})
def read_item(item_id: int, db: Annotated[dict, Depends(get_db)]):
    if item_id not in db:
        raise HTTPException(404, "Item not found")
    return {"id": item_id, **db[item_id]}


def audit(message: str) -> None:
    LOG.append(message)


@items.post("/", response_model=ItemOut, status_code=201)
def create_item(item: ItemIn, user: Annotated[str, Depends(current_user)], background: BackgroundTasks,
                db: Annotated[dict, Depends(get_db)]):
    item_id = max(db) + 1
    db[item_id] = item.model_dump()
    background.add_task(audit, f"{user} created {item_id}")
    return {"id": item_id, **db[item_id]}


@items.delete("/{item_id}", status_code=204)
def delete_item(item_id: int, user: Annotated[str, Depends(current_user)]):
    return None


app.include_router(items)


@app.get("/me")
def me(credentials: Annotated[HTTPBasicCredentials, Depends(basic)]):
    return {"username": credentials.username}


@app.get("/page", response_class=HTMLResponse)
def page():
    return "<h1>Shop</h1>"


@app.get("/text", response_class=PlainTextResponse)
def text(response: Response):
    response.headers["x-shop"] = "yes"
    response.set_cookie("visited", "1", max_age=60)
    return "plain"


@app.get("/log")
async def log():
    # A real server runs background tasks and yield exits after sending the answer, so they may interleave
    # with the next request's: wait until every session closed, then report what happened, order aside.
    for _ in range(500):
        if LOG.count("open") == LOG.count("close"):
            break
        await asyncio.sleep(0.01)
    return {"sessions": LOG.count("open"), "closed": LOG.count("close"),
            "audit": [entry for entry in LOG if entry not in ("open", "close")]}


REQUESTS = [
    ("GET", "/items/", {}),
    ("GET", "/items/?limit=11", {}),
    ("GET", "/items/1", {}),
    ("GET", "/items/99", {}),
    ("GET", "/items/abc", {}),
    ("POST", "/items/", {"json": {"name": "Gun", "price": 9.5}}),
    ("POST", "/items/", {"json": {"name": "Gun", "price": 9.5}, "headers": {"authorization": "Bearer secret"}}),
    ("POST", "/items/", {"json": {"name": "", "price": -1}, "headers": {"authorization": "Bearer secret"}}),
    ("POST", "/items/", {"json": {"name": "Gun", "price": 9.5}, "headers": {"authorization": "Bearer nope"}}),
    ("DELETE", "/items/1", {"headers": {"authorization": "Bearer secret"}}),
    ("GET", "/me", {}),
    ("GET", "/me", {"auth": ("bob", "pw")}),
    ("GET", "/page", {}),
    ("GET", "/text", {}),
    ("GET", "/log", {}),
    ("GET", "/openapi.json", {}),
]
