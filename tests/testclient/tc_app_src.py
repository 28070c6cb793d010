"""A small app written once against FRAMEWORK, for the TestClient differential tests."""

from contextlib import asynccontextmanager
from typing import Annotated, Union

from pydantic import BaseModel

from FRAMEWORK import Cookie, Depends, FastAPI, Form, Header, HTTPException, Request, Response
from FRAMEWORK.responses import PlainTextResponse, RedirectResponse
from FRAMEWORK.security import HTTPBasic, HTTPBasicCredentials, OAuth2PasswordBearer

events = []


@asynccontextmanager
async def lifespan(app):
    events.append("startup")
    yield {"db": "ready"}
    events.append("shutdown")


app = FastAPI(lifespan=lifespan)
basic = HTTPBasic()
bearer = OAuth2PasswordBearer(tokenUrl="token")


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


@app.get("/")
def root():
    return {"hello": "world"}


@app.get("/items/{item_id}")
async def read_item(item_id: int, q: Union[str, None] = None):
    return {"item_id": item_id, "q": q}


@app.post("/items/", status_code=201)
async def create_item(item: Item):
    return item


@app.get("/headers")
def headers(x_token: Annotated[Union[str, None], Header()] = None, user_agent: Annotated[str, Header()] = "",
            session: Annotated[Union[str, None], Cookie()] = None, request: Request = None):
    return {"x_token": x_token, "ua": user_agent, "session": session, "host": request.headers.get("host"),
            "path": request.url.path, "url": str(request.url)}


@app.get("/set-cookie")
def set_cookie(response: Response):
    response.set_cookie("session", "abc")
    return {"ok": True}


@app.get("/redirect")
def redirect():
    return RedirectResponse("/items/5")


@app.get("/text", response_class=PlainTextResponse)
def text():
    return "plain"


@app.get("/missing")
def missing():
    raise HTTPException(status_code=404, detail={"why": "gone"}, headers={"x-error": "1"})


@app.get("/boom")
def boom():
    raise ValueError("boom from the endpoint")


@app.get("/basic")
def read_basic(credentials: Annotated[HTTPBasicCredentials, Depends(basic)]):
    return {"user": credentials.username}


@app.get("/me")
def me(token: Annotated[str, Depends(bearer)]):
    return {"token": token}


@app.post("/login")
def login(username: Annotated[str, Form()], password: Annotated[str, Form()]):
    return {"username": username}


@app.get("/state")
def state(request: Request):
    return {"db": getattr(request.state, "db", None)}
