"""An app served under a root path: the served document names it as a server, the pages link under it."""

from FRAMEWORK import FastAPI

app = FastAPI(root_path="/api/v1", servers=[{"url": "https://example.com"}])


@app.get("/ping")
def ping():
    return {"pong": True}
