"""Mounts and frontends in the App IR and the route trie: declaration-order precedence with the
routes, every method for a mount, the frontend's low-priority pass after 405s and trailing-slash
redirects, url_path_for; and declaration errors that say what is wrong."""

from __future__ import annotations

import pytest

from astraapi import APIRouter, FastAPI
from astraapi.introspection.app import build_ir
from astraapi.ir.trie import build_trie_tables
from astraapi.routing import NoMatchFound
from astraapi.staticfiles import StaticFiles


@pytest.fixture()
def app(tmp_path):
    (tmp_path / "files").mkdir()
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "index.html").write_text("x")
    app = FastAPI(openapi_url=None)

    @app.get("/static/before")
    def before():
        return 1

    app.mount("/static", StaticFiles(directory=tmp_path / "files"), name="static")

    @app.get("/static/after")
    def after():
        return 2

    @app.get("/api/items")
    def items():
        return 3

    router = APIRouter(prefix="/v1")
    router.mount("/assets", StaticFiles(directory=tmp_path / "files"), name="assets")
    app.include_router(router, prefix="/pre")
    app.frontend("/", directory=tmp_path / "dist")
    return app


def _match(app, method, path):
    ir = build_ir(app, openapi=False)
    result = build_trie_tables(ir).to_runtime().match(method, path)
    if result[0] == 0:
        route = ir.routes[result[1]]
        return ("found", route.mount or route.name, result[2])
    return {1: ("405",), 2: ("redirect", result[1] if len(result) > 1 else None), 3: ("404",)}[result[0]]


@pytest.mark.parametrize(("method", "path", "expected"), [
    ("GET", "/static/before", ("found", "before", ())),
    ("GET", "/static/after", ("found", "static", ("after",))),
    ("DELETE", "/static/x/y.css", ("found", "static", ("x/y.css",))),
    ("PROPFIND", "/static/x", ("found", "static", ("x",))),
    ("GET", "/static/", ("found", "static", ("",))),
    ("GET", "/static", ("redirect", "/static/")),
    ("GET", "/pre/v1/assets/a.js", ("found", "static", ("a.js",))),
    ("GET", "/api/items", ("found", "items", ())),
    ("POST", "/api/items", ("405",)),
    ("GET", "/api/items/", ("redirect", "/api/items")),
    ("GET", "/api/other", ("found", "frontend", ("api/other",))),
    ("POST", "/anything/at/all", ("found", "frontend", ("anything/at/all",))),
    ("GET", "/", ("found", "frontend", ("",))),
])
def test_trie_precedence(app, method, path, expected):
    assert _match(app, method, path) == expected


def test_ir_records_mounts(app):
    ir = build_ir(app, openapi=False)
    mounts = [(r.path, r.mount, r.name) for r in ir.routes if r.mount]
    assert mounts == [("/static/{path:path}", "static", "static"), ("/pre/v1/assets/{path:path}", "static", "assets"),
                      ("/{path:path}", "frontend", "")]
    assert ir.routes[-1].index == len(ir.routes) - 1  # frontends come after every route


def test_url_path_for(app):
    assert app.url_path_for("static", path="/css/a.css") == "/static/css/a.css"
    assert app.url_path_for("assets", path="a.js") == "/pre/v1/assets/a.js"
    assert app.url_path_for("items") == "/api/items"
    with pytest.raises(NoMatchFound):
        app.url_path_for("static")
    with pytest.raises(NoMatchFound):
        app.url_path_for("nothing", path="x")


def test_mounting_an_unsupported_app_is_refused():
    async def asgi_app(scope, receive, send):
        pass

    app = FastAPI()
    with pytest.raises(NotImplementedError, match="mounts astraapi.staticfiles.StaticFiles and AstraAPI"):
        app.mount("/sub", asgi_app)


def test_missing_directories_are_refused(tmp_path):
    with pytest.raises(RuntimeError, match="does not exist"):
        StaticFiles(directory=tmp_path / "nope")
    app = FastAPI()
    with pytest.raises(RuntimeError, match="Frontend directory"):
        app.frontend("/", directory=tmp_path / "nope", check_dir=True)
    (tmp_path / "d").mkdir()
    with pytest.raises(RuntimeError, match="fallback file 'index.html'"):
        app.frontend("/", directory=tmp_path / "d", fallback="index.html", check_dir=True)


def test_packages_directories(tmp_path, monkeypatch):
    package = tmp_path / "mypkg"
    (package / "statics").mkdir(parents=True)
    (package / "assets").mkdir()
    (package / "__init__.py").write_text("")
    (package / "statics" / "a.txt").write_text("from statics")
    (package / "assets" / "b.txt").write_text("from assets")
    monkeypatch.syspath_prepend(str(tmp_path))
    files = StaticFiles(packages=["mypkg", ("mypkg", "assets")])
    assert files.lookup_path("a.txt")[0] == str((package / "statics" / "a.txt").resolve())
    assert files.lookup_path("b.txt")[0] == str((package / "assets" / "b.txt").resolve())
    assert files.lookup_path("../__init__.py") == ("", None)
    with pytest.raises(AssertionError, match="could not be found"):
        StaticFiles(packages=["no_such_package_here"])


def test_url_path_for_reaches_into_sub_applications():
    sub = FastAPI(openapi_url=None)

    @sub.get("/items/{item_id}")
    def read_item(item_id: int):
        return item_id

    app = FastAPI(openapi_url=None)
    app.mount("/named", sub, name="api")
    app.mount("/anon", sub)
    assert app.url_path_for("api:read_item", item_id=3) == "/named/items/3"
    assert app.url_path_for("read_item", item_id=4) == "/anon/items/4"
    with pytest.raises(NoMatchFound):
        app.url_path_for("api:nothing")
