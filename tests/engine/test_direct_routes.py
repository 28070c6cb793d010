"""The direct call (astraapi/engine/direct.py) is taken exactly where it may be, in both modes, through a
real server: tests/apps/direct_routes_app.py's endpoints report whether engine code called them. The
bytes of direct answers are compared with FastAPI's in tests/compat (compat_direct_app)."""

from __future__ import annotations

import httpx
import pytest

from support.paths import APPS_DIR, MODES
from support.servers import run_cli

# Engine code calls these: the handler path for the first three, and for /awaits the task that awaits the
# coroutine the server created (tests/runtime/test_direct_call.py shows that part).
ALWAYS_HANDLER = ["/dependency", "/request", "/awaits", "/sync"]


def engine_called(server, path: str) -> bool:
    response = httpx.get(server.base_url + path, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["engine"]


@pytest.mark.parametrize("mode", MODES)
def test_routes_called_directly(start_server, mode):
    server = start_server("direct_routes_app:app", mode, cwd=APPS_DIR)
    # Compiled mode analyses each route on its first request (from the build): the first goes the handler path.
    for _ in range(2):
        for path in ["/plain", "/items/3?q=x", *ALWAYS_HANDLER]:
            engine_called(server, path)
    assert engine_called(server, "/plain") is False
    # Parameters need the build's decoder: dynamic mode decodes them on the handler path.
    assert engine_called(server, "/items/3?q=x") is (mode == "dynamic")
    for path in ALWAYS_HANDLER:
        assert engine_called(server, path) is True, path
    # A request the decoder declines is answered by the handler path, with FastAPI's 422.
    refused = httpx.get(server.base_url + "/items/three", timeout=10)
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["path", "item_id"]


@pytest.mark.parametrize("mode", MODES)
def test_a_non_2xx_status_code_is_declined_not_refused(start_server, mode):
    # The app starts (the direct call used to refuse it: "a direct route answers with a 2xx status")
    # and the route answers with its status from the handler path.
    server = start_server("direct_routes_app:app", mode, cwd=APPS_DIR)
    for _ in range(2):
        response = httpx.get(server.base_url + "/gone", timeout=10)
        assert response.status_code == 410 and response.json() == {"engine": True}


@pytest.mark.parametrize("mode", MODES)
def test_python_middleware_keeps_every_route_on_the_handler_path(start_server, mode):
    server = start_server("direct_routes_app:cors_app", mode, cwd=APPS_DIR)
    for _ in range(3):
        assert engine_called(server, "/plain") is True


@pytest.mark.parametrize("path, expected", [
    ("/plain", "direct call: yes"),
    ("/items/{item_id}", "direct call: yes"),
    ("/awaits", "direct call: yes (the server creates the coroutine; a task runs it)"),
    ("/dependency", "direct call: no: dependencies"),
    ("/request", "direct call: no: a Request parameter"),
    ("/sync", "direct call: no: a def endpoint runs in the thread pool"),
    ("/gone", "direct call: no: status_code=410"),
])
def test_inspect_says_which_routes_are_called_directly(tmp_path, path, expected):
    done = run_cli(["inspect", "direct_routes_app:app", "--route", path, "--build-dir", str(tmp_path)], cwd=APPS_DIR)
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout, done.stdout


def test_inspect_names_python_middleware(tmp_path):
    done = run_cli(["inspect", "direct_routes_app:cors_app", "--route", "/plain", "--build-dir", str(tmp_path)],
                   cwd=APPS_DIR)
    assert "direct call: no: Python middleware" in done.stdout, done.stdout
