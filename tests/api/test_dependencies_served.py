"""Dependencies, security, forms, background tasks, yield exit code and the lifespan on real
servers in both modes, answering as FastAPI does."""

from __future__ import annotations

import os

import httpx
import pytest

from support.deps_script import load_app, replay, write_app
from support.paths import MODES
from support.servers import wait_until

fastapi_testclient = pytest.importorskip("fastapi.testclient")


@pytest.fixture(scope="module")
def fastapi_results(tmp_path_factory):
    directory = tmp_path_factory.mktemp("fastapi_deps")
    os.environ.pop("DEPS_LOG", None)
    module = load_app(directory, "fastapi", "deps_app_fastapi")
    with fastapi_testclient.TestClient(module.app, raise_server_exceptions=False) as client:
        return replay(client)


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("deps_app")
    write_app(directory, "astraapi")
    return directory


@pytest.mark.parametrize("mode", MODES)
def test_dependencies_on_a_real_server(start_server, app_dir, tmp_path, fastapi_results, mode):
    log = tmp_path / "events.log"
    server = start_server("deps_app:app", mode, cwd=app_dir, env={"DEPS_LOG": str(log)})
    assert log.read_text().splitlines() == ["startup"]  # the lifespan ran before serving
    with httpx.Client(base_url=server.base_url) as client:
        ours = replay(client)
    for index, (expected, actual) in enumerate(zip(fastapi_results, ours)):
        assert actual == expected, f"request {index} differs from FastAPI"
    assert wait_until(lambda: log.read_text().count("exit") == 1)
    server.stop()
    assert log.read_text().splitlines() == ["startup", "enter", "background", "exit", "shutdown"]


def test_lifespan_runs_in_every_worker(start_server, app_dir, tmp_path):
    log = tmp_path / "events.log"
    server = start_server("deps_app:app", "compiled", cwd=app_dir, env={"DEPS_LOG": str(log)}, workers=2)
    assert wait_until(lambda: log.exists() and log.read_text().count("startup") == 2)
    with httpx.Client(base_url=server.base_url) as client:
        assert client.get("/me", headers={"authorization": "Bearer good"}).json()["greeting"] == "hello"
    server.stop()
    assert wait_until(lambda: log.read_text().count("shutdown") == 2)
