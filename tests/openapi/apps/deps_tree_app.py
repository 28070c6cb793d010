"""A dependency tree: shared sub-dependencies with query, header and cookie parameters, a class
dependency, use_cache=False, special parameters that are not documented, a body in a dependency."""

from typing import Annotated, Union

from pydantic import BaseModel

from FRAMEWORK import BackgroundTasks, Body, Cookie, Depends, FastAPI, Header, Query, Request, Response

app = FastAPI()


class Item(BaseModel):
    name: str
    price: float


def query_extractor(q: Union[str, None] = None, request: Request = None):
    return q


def query_or_cookie_extractor(q: Annotated[str, Depends(query_extractor)],
                              last_query: Annotated[Union[str, None], Cookie()] = None):
    return q or last_query


async def common_parameters(q: Union[str, None] = None, skip: int = 0, limit: Annotated[int, Query(le=100)] = 100):
    return {"q": q, "skip": skip, "limit": limit}


class CommonQueryParams:
    def __init__(self, q: Union[str, None] = None, skip: int = 0, limit: int = 100):
        self.q = q


async def verify_token(x_token: Annotated[str, Header(description="The token")]):
    return x_token


async def verify_key(x_key: Annotated[str, Header()], token: Annotated[str, Depends(verify_token)]):
    return x_key


def item_body(item: Item, importance: Annotated[int, Body()]):
    return item


@app.get("/items/", dependencies=[Depends(verify_token), Depends(verify_key)])
async def read_items(commons: Annotated[dict, Depends(common_parameters)],
                     query: Annotated[str, Depends(query_or_cookie_extractor)],
                     again: Annotated[str, Depends(query_extractor, use_cache=False)],
                     background_tasks: BackgroundTasks, response: Response, request: Request):
    return commons


@app.get("/users/{user_id}")
async def read_users(user_id: int, commons: Annotated[CommonQueryParams, Depends()],
                     token: Annotated[str, Depends(verify_token)]):
    return {}


@app.put("/items/{item_id}")
async def update_item(item_id: int, item: Annotated[Item, Depends(item_body)], q: str | None = None):
    return {}


@app.post("/single")
async def single(item: Annotated[Item, Depends(item_body)]):
    return {}
