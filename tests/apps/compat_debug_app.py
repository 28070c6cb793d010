"""FastAPI(debug=True): an unhandled exception answers with the traceback page, for the example-app set."""

from astraapi import FastAPI

app = FastAPI(debug=True)


@app.get("/boom")
async def boom():
    raise RuntimeError("it broke")


@app.get("/sync-boom")
def sync_boom():
    raise ValueError("sync broke <tag>")


@app.get("/ok")
def ok():
    return {"ok": True}


REQUESTS = [
    ("GET", "/ok", {}),
    ("GET", "/boom", {}),
    ("GET", "/boom", {"headers": {"accept": "text/html"}}),
    ("GET", "/sync-boom", {"headers": {"accept": "text/html,application/xhtml+xml"}}),
    ("GET", "/sync-boom", {}),
]
