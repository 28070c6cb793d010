"""astraapi.testclient.TestClient against FastAPI's TestClient on the same app source."""

from __future__ import annotations

import importlib.util
import sys
import warnings

import pytest

from astraapi import BackgroundTasks, Depends, WebSocket  # annotations of endpoints declared in tests below

warnings.filterwarnings("ignore", category=DeprecationWarning)

from pathlib import Path

SOURCE = Path(__file__).with_name("tc_app_src.py")


def _load(framework: str, directory: Path):
    name = f"tc_app_{framework}"
    if name in sys.modules:
        return sys.modules[name]
    path = directory / f"{name}.py"
    path.write_text(SOURCE.read_text().replace("FRAMEWORK", framework))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    pytest.importorskip("fastapi")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient as FastAPIClient
    from astraapi.testclient import TestClient

    directory = tmp_path_factory.mktemp("tc")
    reference, ours = _load("fastapi", directory), _load("astraapi", directory)
    with FastAPIClient(reference.app, raise_server_exceptions=False) as a, \
            TestClient(ours.app, raise_server_exceptions=False) as b:
        yield a, b


REQUESTS = [
    ("GET", "/", {}),
    ("GET", "/items/3?q=x", {}),
    ("GET", "/items/abc", {}),
    ("GET", "/items/3/", {}),
    ("POST", "/items/", {"json": {"name": "a", "price": 1.5}}),
    ("POST", "/items/", {"json": {"name": "a"}}),
    ("POST", "/items/", {"content": b"{bad", "headers": {"content-type": "application/json"}}),
    ("GET", "/headers", {"headers": {"x-token": "t", "cookie": "session=s1"}}),
    ("GET", "/headers", {"headers": {"host": "example.com"}}),
    ("GET", "/headers?a=1&b=%20x", {}),
    ("GET", "/set-cookie", {}),
    ("GET", "/redirect", {}),
    ("GET", "/redirect", {"follow_redirects": False}),
    ("GET", "/text", {}),
    ("GET", "/missing", {}),
    ("GET", "/nowhere", {}),
    ("DELETE", "/", {}),
    ("GET", "/boom", {}),
    ("GET", "/basic", {}),
    ("GET", "/basic", {"auth": ("alice", "secret")}),
    ("GET", "/me", {}),
    ("GET", "/me", {"headers": {"authorization": "Bearer tok"}}),
    ("POST", "/login", {"data": {"username": "u", "password": "p"}}),
    ("POST", "/login", {"data": {"username": "u"}}),
    ("GET", "/state", {}),
    ("HEAD", "/", {}),
]


def _view(response):
    headers = [(k, v) for k, v in response.headers.multi_items() if k not in ("date", "server")]
    return response.status_code, headers, response.content, str(response.url), [
        (r.status_code, r.headers.get("location")) for r in response.history]


@pytest.mark.parametrize(("method", "path", "options"), REQUESTS, ids=[f"{m} {p}" for m, p, _ in REQUESTS])
def test_same_answers_as_fastapi(pair, method, path, options):
    reference, ours = pair
    assert _view(ours.request(method, path, **options)) == _view(reference.request(method, path, **options))


def test_cookies_persist_like_fastapi(pair):
    for client in pair:
        client.cookies.clear()
        client.get("/set-cookie")
    assert [_view(c.get("/headers")) for c in pair][1] == [_view(c.get("/headers")) for c in pair][0]


def test_lifespan_runs_with_the_context_manager(tmp_path):
    from astraapi.testclient import TestClient

    module = _load("astraapi", tmp_path)
    module.events.clear()
    client = TestClient(module.app)
    assert client.get("/").status_code == 200
    assert module.events == []
    client.close()
    with TestClient(module.app) as client:
        assert module.events == ["startup"]
        assert client.get("/state").json() == {"db": "ready"}
    assert module.events == ["startup", "shutdown"]


def test_raise_server_exceptions(tmp_path):
    from astraapi.testclient import TestClient

    module = _load("astraapi", tmp_path)
    client = TestClient(module.app)
    with pytest.raises(ValueError, match="boom from the endpoint"):
        client.get("/boom")
    assert client.get("/").status_code == 200  # the client still works afterwards
    quiet = TestClient(module.app, raise_server_exceptions=False)
    response = quiet.get("/boom")
    assert response.status_code == 500 and response.text == "Internal Server Error"
    client.close()
    quiet.close()


def test_defaults_match_fastapi(tmp_path):
    from astraapi.testclient import TestClient

    module = _load("astraapi", tmp_path)
    with TestClient(module.app, headers={"x-token": "h"}) as client:
        assert str(client.base_url) == "http://testserver"
        assert client.follow_redirects is True
        body = client.get("/headers").json()
        assert body["host"] == "testserver" and body["ua"] == "testclient" and body["x_token"] == "h"
        assert body["path"] == "/headers"


def test_one_server_per_app_stopped_by_the_last_close():
    from astraapi import FastAPI, testclient

    app = FastAPI()

    @app.get("/")
    def root():
        return {}

    first, second = testclient.TestClient(app), testclient.TestClient(app)
    assert first.get("/").status_code == second.get("/").status_code == 200
    server = first._server
    assert server is second._server and server._thread.is_alive()
    first.close()
    assert server._thread.is_alive() and second.get("/").status_code == 200
    second.close()
    assert not server._thread.is_alive()
    with pytest.raises(testclient.WebSocketDisconnect):  # no WebSocket route: closed, as Starlette's router does
        testclient.TestClient(app).websocket_connect("/ws")


def test_routes_added_later_are_served(tmp_path):
    from astraapi import FastAPI
    from astraapi.testclient import TestClient

    app = FastAPI()
    client = TestClient(app)
    assert client.get("/late").status_code == 404

    @app.get("/late")
    def late():
        return {"late": True}

    assert client.get("/late").json() == {"late": True}
    client.close()


def test_a_call_returns_after_background_tasks_and_dependency_exits():
    """As FastAPI's in-process client: what runs after the response was sent is over when the call returns."""
    import asyncio

    from astraapi import FastAPI
    from astraapi.testclient import TestClient

    app = FastAPI()
    events: list[str] = []

    async def session():
        events.append("open")
        yield
        await asyncio.sleep(0.05)
        events.append("close")

    async def slow_task(name: str):
        await asyncio.sleep(0.1)
        events.append(name)

    @app.post("/jobs", dependencies=[Depends(session)])
    def jobs(tasks: BackgroundTasks):
        tasks.add_task(slow_task, "async task")
        tasks.add_task(events.append, "sync task")
        return {"queued": 2}

    with TestClient(app) as client:
        assert client.post("/jobs").json() == {"queued": 2}
        assert sorted(events) == ["async task", "close", "open", "sync task"]


def test_the_client_stays_usable_after_its_with_block():
    """Starlette's TestClient leaves the HTTP client open when the `with` block (the lifespan) ends."""
    from astraapi import FastAPI
    from astraapi.testclient import TestClient

    app = FastAPI()

    @app.get("/")
    async def root():
        return {"ok": True}

    client = TestClient(app)
    with client:
        assert client.get("/").json() == {"ok": True}
    assert client.get("/").json() == {"ok": True}
    with client:
        assert client.get("/").status_code == 200
    client.close()



@pytest.mark.parametrize("raise_server_exceptions", [True, False])
def test_websocket_endpoint_errors_are_raised_in_the_test(raise_server_exceptions):
    """A WebSocket endpoint's exception is raised when the session ends, whatever
    `raise_server_exceptions` says (Starlette's session raises its application's error)."""
    from astraapi import FastAPI
    from astraapi.testclient import TestClient

    app = FastAPI()

    @app.websocket("/ws")
    async def failing(websocket: WebSocket):
        await websocket.accept()
        raise ValueError("websocket failed")

    client = TestClient(app, raise_server_exceptions=raise_server_exceptions)
    with pytest.raises(ValueError, match="websocket failed"):
        with client.websocket_connect("/ws"):
            pass
    client.close()
