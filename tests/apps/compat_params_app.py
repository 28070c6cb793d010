"""Parameter models (query / header / cookie groups) and Ellipsis as "required", for the example-app set
(tests/compat/test_example_apps.py)."""

from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, Field

from astraapi import Body, Cookie, Depends, FastAPI, File, Form, Header, Path, Query

app = FastAPI()


class FilterParams(BaseModel):
    limit: int = Field(100, gt=0, le=100)
    offset: int = Field(0, ge=0)
    order_by: Literal["created_at", "updated_at"] = "created_at"
    tags: list[str] = []


class StrictFilter(BaseModel):
    model_config = {"extra": "forbid"}

    q: str | None = None
    page: int = 1


class CommonHeaders(BaseModel):
    host: str
    save_data: bool
    if_modified_since: str | None = None
    traceparent: str | None = None
    x_tag: list[str] = []


class Cookies(BaseModel):
    model_config = {"extra": "forbid"}

    session_id: str
    fatebook_tracker: str | None = None


class Item(BaseModel):
    name: str
    price: float


@app.get("/items/")
async def read_items(filter_query: Annotated[FilterParams, Query()]):
    return filter_query


@app.get("/strict/")
async def read_strict(filter_query: Annotated[StrictFilter, Query()]):
    return filter_query


@app.get("/headers/")
async def read_headers(headers: Annotated[CommonHeaders, Header()]):
    return headers


@app.get("/cookies/")
async def read_cookies(cookies: Annotated[Cookies, Cookie()]):
    return cookies


class Aliased(BaseModel):
    model_config = {"populate_by_name": True}

    user_agent: str = Field(alias="x-agent")
    x_trace_id: int = 0


@app.get("/optional/")
async def read_optional(filters: Annotated[StrictFilter | None, Query()] = None):
    return {"filters": filters}


@app.get("/raw-headers/")
async def read_raw_headers(headers: Annotated[Aliased, Header(convert_underscores=False)]):
    return headers


class Paging(BaseModel):
    page_size: int = Field(10, alias="pageSize", le=100)
    cursor: str | None = None


def paging(paging: Annotated[Paging, Query()]) -> Paging:
    return paging


@app.get("/dep-model/")
async def read_dep_model(page: Annotated[Paging, Depends(paging)], q: str | None = None):
    return {"page": page, "q": q}


class Loose(BaseModel):
    model_config = {"extra": "allow"}

    ids: list[int] = Field(default_factory=list, description="Item ids", examples=[[1, 2]])
    mode: str = Field("fast", deprecated=True)


class Choices(BaseModel):
    item_query: str = Field(validation_alias=AliasChoices("item-query", "itemQuery"))
    x_level: int = Field(0, validation_alias=AliasChoices("x_level", "level"))


@app.get("/choices/")
async def read_choices(choices: Annotated[Choices, Query()], hdr: Annotated[Choices, Header()]):
    return {"query": choices, "header": hdr}


@app.get("/plain-choices/")
async def read_plain_choices(
    item: Annotated[int, Query(validation_alias=AliasChoices("item", "itemId"))],
    token: Annotated[str | None, Header(validation_alias=AliasChoices("X-Token", "x_auth"))] = None,
    page: Annotated[int, Query(validation_alias=AliasChoices("p", "page"), ge=1)] = 1,
):
    return {"item": item, "token": token, "page": page}


class OptionalCookies(BaseModel):
    tracker: str | None = None
    visits: int = 0


@app.get("/loose/")
async def read_loose(loose: Annotated[Loose, Query()], mode: str = "slow"):
    return {"loose": loose.model_dump(), "mode": mode}


@app.get("/hidden/")
async def read_hidden(loose: Annotated[Loose, Query(include_in_schema=False)],
                      cookies: Annotated[OptionalCookies | None, Cookie()] = None,
                      dup: Annotated[CommonHeaders | None, Header()] = None):
    return {"ids": loose.ids, "cookies": cookies, "dup": dup}


@app.get("/required/{item_id}")
async def read_required(
    item_id: Annotated[int, Path(...)],
    q: Annotated[str, Query(...)],
    n: int = Query(default=...),
    plain: str = ...,
    token: str = Header(...),
    session: str = Cookie(...),
):
    return {"item_id": item_id, "q": q, "n": n, "plain": plain, "token": token, "session": session}


@app.post("/body/")
async def create(item: Item = Body(...), note: str = Body(default=...)):
    return {"item": item, "note": note}


@app.post("/form/")
async def create_form(name: str = Form(...), upload: bytes = File(default=...)):
    return {"name": name, "size": len(upload)}


REQUESTS = [
    ("GET", "/items/", {}),
    ("GET", "/items/?limit=5&offset=2&order_by=updated_at&tags=a&tags=b", {}),
    ("GET", "/items/?limit=0&order_by=x&offset=-1", {}),
    ("GET", "/items/?unknown=1&limit=3", {}),
    ("GET", "/strict/?q=x&page=2", {}),
    ("GET", "/strict/?q=x&tool=plumbus", {}),
    ("GET", "/strict/", {}),
    ("GET", "/headers/", {"headers": {"save-data": "true", "if-modified-since": "now", "x-tag": "a"}}),
    ("GET", "/headers/", {"headers": {"save_data": "true"}}),
    ("GET", "/headers/", {}),
    ("GET", "/headers/", {"headers": {"save-data": "maybe", "traceparent": "t"}}),
    ("GET", "/optional/", {}),
    ("GET", "/optional/?page=3", {}),
    ("GET", "/optional/?other=3", {}),
    ("GET", "/optional/?page=x", {}),
    ("GET", "/raw-headers/", {"headers": {"x-agent": "a", "x_trace_id": "5"}}),
    ("GET", "/raw-headers/", {"headers": {"user_agent": "a", "x-trace-id": "5"}}),
    ("GET", "/raw-headers/", {"headers": {"x_trace_id": "z"}}),
    ("GET", "/dep-model/?pageSize=5&q=x", {}),
    ("GET", "/dep-model/?page_size=5&cursor=c", {}),
    ("GET", "/dep-model/?pageSize=500", {}),
    ("GET", "/loose/?ids=1&ids=2&other=x&other=y&mode=m", {}),
    ("GET", "/loose/?ids=a", {}),
    ("GET", "/hidden/?ids=3", {"cookies": {"visits": "2"}, "headers": {"x-tag": "t"}}),
    ("GET", "/hidden/", {"cookies": {"other": "1"}, "headers": {"save-data": "no", "host": "h"}}),
    ("GET", "/hidden/", {"cookies": {"visits": "many"}}),
    ("GET", "/choices/?itemQuery=a&level=2", {"headers": {"item-query": "h", "x_level": "3"}}),
    ("GET", "/choices/?item-query=a&itemQuery=b", {"headers": {"itemquery": "h", "level": "x"}}),
    ("GET", "/choices/", {}),
    ("GET", "/plain-choices/?itemId=3&page=0", {"headers": {"x_auth": "t"}}),
    ("GET", "/plain-choices/?item=x&itemId=4&p=2", {"headers": {"x-token": "u"}}),
    ("GET", "/plain-choices/", {}),
    ("GET", "/cookies/", {"cookies": {"session_id": "abc"}}),
    ("GET", "/cookies/", {"cookies": {"session_id": "abc", "santa_tracker": "x"}}),
    ("GET", "/cookies/", {}),
    ("GET", "/required/3?q=a&n=2&plain=p", {"headers": {"token": "t"}, "cookies": {"session": "s"}}),
    ("GET", "/required/3", {}),
    ("GET", "/required/x?n=y", {}),
    ("POST", "/body/", {"json": {"item": {"name": "a", "price": 1.5}, "note": "n"}}),
    ("POST", "/body/", {"json": {"item": {"name": "a"}}}),
    ("POST", "/body/", {}),
    ("POST", "/form/", {"data": {"name": "n"}, "files": {"upload": ("u.bin", b"abc")}}),
    ("POST", "/form/", {"data": {"name": "n"}}),
    ("GET", "/openapi.json", {}),
]
