"""`Annotated[T, Marker()] = ...`: required in AstraAPI; FastAPI 0.165 takes the Ellipsis as the default
(fastapi/fastapi#9861), a difference on purpose listed in docs/compat-differences.md."""

from typing import Annotated

from astraapi import Body, FastAPI, Header, Query

app = FastAPI()


@app.get("/query")
def read_query(q: Annotated[int, Query()] = ...):
    return {"q": q}


@app.get("/header")
def read_header(x_token: Annotated[str, Header()] = ...):
    return {"x_token": x_token}


@app.post("/body")
def create(item: Annotated[dict, Body()] = ...):
    return item
