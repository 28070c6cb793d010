"""app.frontend (FastAPI 0.165): a built single-page app in $FRONTEND_DIST, below the API routes."""

import os

from astraapi import FastAPI

app = FastAPI()


@app.get("/api/items")
def items():
    return {"items": [1, 2]}


@app.post("/api/items")
def create():
    return {"created": True}


@app.get("/api/things/")
def things():
    return ["a"]


app.frontend("/", directory=os.environ["FRONTEND_DIST"])
app.frontend("/admin", directory=os.environ["FRONTEND_ADMIN"], fallback="index.html")
