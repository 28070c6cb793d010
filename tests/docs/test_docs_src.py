"""Every example of the documentation site lives under docs_src/ and runs here (FastAPI's docs_src/tests
pattern): each Python example is imported and exercised with AstraAPI's TestClient (a real server on
127.0.0.1), one also in compiled mode; the CI, Docker, Kubernetes and nginx files are parsed and checked
against the commands and options they name."""

import importlib
import re
import shlex
import sys
from pathlib import Path

import pytest

from support.paths import REPO_DIR
from support.servers import run_cli

DOCS_SRC = REPO_DIR / "docs_src"
if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))

TestClient = pytest.importorskip("astraapi.testclient").TestClient


def _app(name: str):
    return importlib.import_module(f"docs_src.{name}").app


def test_first_app():
    with TestClient(_app("first_app.main")) as client:
        assert client.get("/").json() == {"message": "Hello World"}
        created = client.post("/items", json={"name": "Widget", "price": 9.5, "tags": ["a"]})
        assert created.status_code == 201 and created.json() == {"name": "Widget", "price": 9.5, "tags": ["a"]}
        assert client.get("/items/1?q=x").json()["name"] == "Widget"
        assert client.get("/items/abc").status_code == 422


@pytest.mark.parametrize("mode", ["dynamic", "compiled"])
def test_first_app_served_in_both_modes(start_server, mode):
    httpx = pytest.importorskip("httpx")
    server = start_server("docs_src.first_app.main:app", mode, cwd=REPO_DIR)
    with httpx.Client(base_url=server.base_url) as client:
        assert client.post("/items", json={"name": "W", "price": 1}).content == b'{"name":"W","price":1.0,"tags":[]}'
        assert client.get("/items/1").content == b'{"name":"W","price":1.0,"tags":[]}'


def test_dependencies():
    module = importlib.import_module("docs_src.guide.dependencies")
    module.EVENTS.clear()
    with TestClient(module.app) as client:
        assert client.get("/me", headers={"x-user": "alice"}).json() == {"name": "alice", "plan": "pro"}
        assert module.EVENTS == ["open", "close"]
        assert client.get("/me", headers={"x-user": "bob"}).status_code == 401
        assert client.get("/me").json()["detail"][0]["loc"] == ["header", "x-user"]


def test_security():
    with TestClient(_app("guide.security")) as client:
        missing = client.get("/users/me")
        assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
        assert client.get("/users/me", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert client.get("/users/me", headers={"Authorization": "Bearer secret-token"}).json() == {"user": "alice"}
        assert "OAuth2PasswordBearer" in client.get("/openapi.json").json()["components"]["securitySchemes"]


def test_middleware():
    with TestClient(_app("guide.middleware")) as client:
        response = client.get("/ping", headers={"origin": "https://example.com"})
        assert response.json() == {"pong": True}
        assert response.headers["access-control-allow-origin"] == "https://example.com"
        assert "content-encoding" not in response.headers  # smaller than minimum_size
        report = client.get("/report", headers={"accept-encoding": "gzip"})
        assert report.headers["content-encoding"] == "gzip" and len(report.json()["rows"]) == 100
        preflight = client.options("/ping", headers={"origin": "https://example.com",
                                                     "access-control-request-method": "GET"})
        assert preflight.status_code == 200


def test_responses():
    with TestClient(_app("guide.responses")) as client:
        assert client.get("/products/pen").json() == {"name": "pen", "price": 9.5}
        assert client.get("/products/ghost").json() == {"detail": "No such product"}
        sold = client.get("/products/sold-out")
        assert sold.status_code == 409 and sold.json() == {"detail": "sold-out is out of stock"}
        page = client.get("/page")
        assert page.text == "<h1>Hello</h1>" and page.headers["content-type"] == "text/html; charset=utf-8"
        assert client.get("/robots.txt").text.startswith("User-agent: *")


def test_background():
    module = importlib.import_module("docs_src.guide.background")
    module.SENT.clear()
    with TestClient(module.app) as client:
        assert client.post("/signup?email=ann@example.com").json() == {"ok": True}
        assert module.SENT == ["ann@example.com: Welcome"]


def test_websockets():
    with TestClient(_app("guide.websockets")) as client:
        with client.websocket_connect("/ws") as ws:
            ws.send_text("hi")
            assert ws.receive_text() == "echo: hi"


def test_testing_example_tests_pass():
    module = importlib.import_module("docs_src.testing.test_main")
    assert module.app is _app("testing.main")
    module.test_read_item()
    module.test_read_item_validation()


def test_health_probes_follow_the_lifespan():
    module = importlib.import_module("docs_src.deployment.health")
    with TestClient(module.app) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").json() == {"status": "ready"}
        assert "/readyz" not in client.get("/openapi.json").json()["paths"]
    assert module.STATE["ready"] is False
    client = TestClient(module.app)  # no `with`: no lifespan, never ready
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json() == {"status": "starting"}
    client.close()


def test_tuning_example_shows_a_compiled_and_a_generic_route():
    from astraapi.cli_routes import route_rows

    rows = {row.path: row for row in route_rows(_app("compiled.tuning"), "docs_src.compiled.tuning:app")}
    assert rows["/points"].compiled and rows["/points"].decoder is None
    assert not rows["/tags"].compiled and "validator" in rows["/tags"].fallback
    assert not rows["/raw"].compiled and "no response model" in rows["/raw"].fallback
    done = run_cli(["routes", "docs_src.compiled.tuning:app"], cwd=REPO_DIR)
    assert done.returncode == 0 and "/points" in done.stdout, done.stderr


# -- the non-Python examples ---------------------------------------------------------------------------------


def _cli_options(command: str) -> set[str]:
    from astraapi.cli import _parser

    sub = _parser()._subparsers._group_actions[0].choices[command]
    return {option for action in sub._actions for option in action.option_strings}


def _check_astraapi_command(line: str) -> None:
    words = shlex.split(line)
    assert words[0] == "astraapi", line
    from astraapi.cli import _parser

    _parser().parse_args(words[1:])  # exits (SystemExit) on an unknown command or option


def test_ci_jobs_run_build_check():
    yaml = pytest.importorskip("yaml")
    github = yaml.safe_load((DOCS_SRC / "ci" / "github-actions.yml").read_text())
    steps = [step.get("run") for step in github["jobs"]["build-check"]["steps"] if "run" in step]
    gitlab = yaml.safe_load((DOCS_SRC / "ci" / "gitlab-ci.yml").read_text())["astraapi-build"]["script"]
    for commands in (steps, gitlab):
        assert "astraapi build app.main:app --check" in commands
        for command in commands:
            if command.startswith("astraapi"):
                _check_astraapi_command(command)
    cache = next(step for step in github["jobs"]["build-check"]["steps"] if step.get("uses", "").startswith(
        "actions/cache"))
    from astraapi.compiler.build import DEFAULT_BUILD_DIR

    assert cache["with"]["path"] == str(DEFAULT_BUILD_DIR)


def test_dockerfile_and_kubernetes_agree_with_the_server():
    docker = (DOCS_SRC / "deployment" / "Dockerfile").read_text()
    cmd = re.search(r'^CMD (\[.*?\])$', docker.replace("\\\n", ""), re.M | re.S)
    import json

    _check_astraapi_command(shlex.join(json.loads(cmd.group(1))))
    for run in re.findall(r"^RUN (astraapi .*)$", docker, re.M):
        for part in run.split(" && "):
            _check_astraapi_command(part)
    graceful = float(re.search(r'"--graceful-timeout", "([0-9.]+)"', docker).group(1))
    yaml = pytest.importorskip("yaml")
    deployment, service = yaml.safe_load_all((DOCS_SRC / "deployment" / "kubernetes.yaml").read_text())
    pod = deployment["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] > graceful + 5  # the preStop sleep, then the drain
    container = pod["containers"][0]
    health = importlib.import_module("docs_src.deployment.health").app
    paths = {route.path for route in health.routes}
    assert {container["livenessProbe"]["httpGet"]["path"], container["readinessProbe"]["httpGet"]["path"]} <= paths
    assert service["spec"]["ports"][0]["targetPort"] == container["ports"][0]["containerPort"] == 8000


def test_nginx_example_forwards_what_proxy_headers_read():
    conf = (DOCS_SRC / "deployment" / "nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-For" in conf and "proxy_set_header X-Forwarded-Proto" in conf
    assert {"--proxy-headers", "--forwarded-allow-ips"} <= _cli_options("run")
