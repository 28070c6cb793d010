"""StaticFiles mounts, a FileResponse and url_for, over the files in $STATIC_ROOT (tests/static)."""

import os

from astraapi import FastAPI, Request
from astraapi.responses import FileResponse
from astraapi.staticfiles import StaticFiles

ROOT = os.environ["STATIC_ROOT"]

app = FastAPI()


@app.get("/api/items")
def items():
    return {"items": [1, 2]}


@app.get("/static/shadowed.txt")
def shadowed():
    return {"route": "declared before the mount wins"}


app.mount("/static", StaticFiles(directory=os.path.join(ROOT, "static")), name="static")
app.mount("/site", StaticFiles(directory=os.path.join(ROOT, "site"), html=True), name="site")
app.mount("/follow", StaticFiles(directory=os.path.join(ROOT, "static"), follow_symlink=True), name="follow")


@app.get("/site/after-the-mount")
def after_mount():
    return {"route": "declared after the mount: the mount answers"}


@app.get("/download")
def download():
    return FileResponse(os.path.join(ROOT, "static", "big.bin"), filename="big.bin")


@app.get("/text-file")
def text_file():
    return FileResponse(os.path.join(ROOT, "static", "a.css"))


@app.get("/url")
def url(request: Request):
    return {"static": str(request.url_for("static", path="/css/a.css")),
            "path": app.url_path_for("site", path="docs/")}
