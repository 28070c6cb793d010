"""The TestClient over the real server: an https base_url reaches the app as scheme https (through the
server's trusted-proxy X-Forwarded-Proto, 127.0.0.1 being trusted), and header values with whitespace around
them arrive without it, as over any HTTP connection (httpx would refuse to send them otherwise)."""

from __future__ import annotations

from astraapi import FastAPI, Request
from astraapi.middleware.httpsredirect import HTTPSRedirectMiddleware
from astraapi.testclient import TestClient


def test_https_base_url_is_seen_as_https():
    app = FastAPI()

    @app.get("/items/")
    def items(request: Request):
        return {"url": str(request.url), "scheme": request.url.scheme}

    client = TestClient(app, base_url="https://example.com", follow_redirects=False)
    assert client.get("/items/").json() == {"url": "https://example.com/items/", "scheme": "https"}
    redirect = client.get("/items")
    assert (redirect.status_code, redirect.headers["location"]) == (307, "https://example.com/items/")
    plain = TestClient(app, follow_redirects=False)
    assert plain.get("/items/").json()["scheme"] == "http"


def test_https_redirect_middleware_lets_https_through():
    app = FastAPI()
    app.add_middleware(HTTPSRedirectMiddleware)

    @app.get("/")
    def root():
        return "ok"

    assert TestClient(app, base_url="https://testserver").get("/").json() == "ok"
    redirect = TestClient(app).get("/", follow_redirects=False)
    assert (redirect.status_code, redirect.headers["location"]) == (307, "https://testserver/")


def test_header_values_arrive_without_surrounding_whitespace():
    app = FastAPI()

    @app.get("/")
    def echo(request: Request):
        return {"authorization": request.headers["authorization"], "x": request.headers["x-thing"]}

    client = TestClient(app)
    answer = client.get("/", headers={"Authorization": "Bearer  token ", "X-Thing": "\tinner  space\t"})
    assert answer.json() == {"authorization": "Bearer  token", "x": "inner  space"}
