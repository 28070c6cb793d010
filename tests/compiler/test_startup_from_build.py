"""Compiled mode starts from the build: the serving IR, the module and the OpenAPI document come
from the build folder, checked against the app by a fingerprint of its declarations, and each
route is analysed on its first request (docs/compiled-mode.md, "Start-up")."""

import dataclasses
import importlib
import json
import logging
import os
import subprocess
import sys
import textwrap

import httpx
import pytest

from support.servers import ServerProcess, run_cli

APP_SOURCE = textwrap.dedent(
    '''
    import os
    from typing import Optional

    from pydantic import BaseModel

    from astraapi import FastAPI

    app = FastAPI(title="Start-up")


    class Widget(BaseModel):
        id: int
        name: str
        note: Optional[str] = None


    @app.get(os.environ.get("WIDGET_PATH", "/widgets/{widget_id}"), response_model=Widget, summary="Read")
    def read_widget(widget_id: int, q: Optional[str] = None):
        return {"id": widget_id, "name": q or "w"}


    @app.post("/widgets", response_model=Widget, status_code=201)
    async def create_widget(widget: Widget):
        return widget
    '''
)


def make_app(folder, name="startup_widgets", source=APP_SOURCE):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(source)
    return folder


def build(folder, ref="startup_widgets:app", *extra, env=None):
    done = run_cli(["build", ref, "--build-dir", "out", *extra], cwd=folder, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def run_refused(folder, ref="startup_widgets:app", env=None):
    done = run_cli(["run", ref, "--build-dir", "out", "--port", "0"], cwd=folder, env=env, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    return done.stderr


@pytest.fixture
def served(tmp_path):
    started = []

    def serve(folder, mode, env=None):
        server = ServerProcess("startup_widgets:app", mode, cwd=folder, env=env, build_dir=folder / "out")
        server.start()
        started.append(server)
        return server

    yield serve
    for server in started:
        server.stop()


def test_build_stores_the_fingerprint_and_the_openapi_document(tmp_path):
    done = build(make_app(tmp_path))
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    fingerprint = manifest["fingerprint"]
    assert [label for label, _ in fingerprint["routes"]][-2:] == [
        "GET /widgets/{widget_id} (read_widget)", "POST /widgets (create_widget)"]
    assert [os.path.basename(path) for path, *_ in fingerprint["files"]] == ["startup_widgets.py"]
    assert set(fingerprint["versions"]) == {"python", "pydantic", "astraapi", "fingerprint"}
    assert manifest["openapi"] == "openapi.json"
    document = json.loads((tmp_path / "out" / "openapi.json").read_text())
    assert document["info"]["title"] == "Start-up"
    assert list(document["paths"]) == ["/widgets/{widget_id}", "/widgets"]
    # the summary: stages, then what runs compiled and what does not
    for stage in ("[1/5] introspect", "[2/5] check", "[3/5] emit", "[4/5] compile", "[5/5] link"):
        assert stage in done.stdout
    assert "routes: 2 with a compiled serializer, 2 with a compiled request decoder, 4 with a generic " \
           "response path" in done.stdout
    assert "models: 1 with a compiled serializer, 0 on the generic path; 1 with a body decoder" in done.stdout
    assert ("generic path: 4 routes, no response model (the response is encoded generically): "
            "GET/HEAD /openapi.json (openapi), GET/HEAD /docs (swagger_ui_html), ") in done.stdout


def test_compiled_mode_serves_from_the_build_the_same_bytes_as_dynamic_mode(tmp_path, served):
    build(make_app(tmp_path))
    answers, outputs = {}, {}
    for mode in ("compiled", "dynamic"):
        server = served(tmp_path, mode)
        outputs[mode] = server.output
        with httpx.Client(base_url=server.base_url) as client:
            answers[mode] = [
                (r.status_code, [(k, v) for k, v in r.headers.items() if k != "date"], r.content)
                for r in (
                    client.get("/widgets/7?q=x"),
                    client.get("/widgets/abc"),
                    client.post("/widgets", json={"id": 1, "name": "n"}),
                    client.get("/openapi.json"),
                    client.get("/openapi.json"),
                )
            ]
    assert answers["compiled"] == answers["dynamic"]
    assert "not declared as it was" not in "".join(outputs["compiled"])  # the compiled code served
    assert answers["compiled"][0][2] == b'{"id":7,"name":"x","note":null}'


def test_an_edited_source_file_is_named_and_a_touched_one_is_not_a_change(tmp_path, served):
    build(make_app(tmp_path))
    path = tmp_path / "startup_widgets.py"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))  # touched: content unchanged
    server = served(tmp_path, "compiled")
    assert httpx.get(f"{server.base_url}/widgets/1").status_code == 200
    server.stop()
    assert "analysing" not in "".join(server.output)
    # an edit that leaves the declarations as they were: the app is analysed, its IR matches, it starts
    path.write_text(APP_SOURCE + "\n# a comment\n")
    server = served(tmp_path, "compiled")
    assert httpx.get(f"{server.base_url}/widgets/1").content == b'{"id":1,"name":"w","note":null}'
    server.stop()
    output = "".join(server.output)
    assert "WARNING:     startup_widgets.py changed since the build in " in output
    assert ("was made, but the app's declarations are the same: started by analysing the app; run `astraapi "
            "build startup_widgets:app` to start from the build again") in output
    check = run_cli(["build", "startup_widgets:app", "--build-dir", "out", "--check"], cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert "note: startup_widgets.py changed since the build: `astraapi run` will analyse" in check.stdout
    # an edit that changes them: refused, naming the file
    path.write_text(APP_SOURCE.replace("name: str", "name: str\n    size: int = 0"))
    stderr = run_refused(tmp_path)
    assert "is stale: startup_widgets.py changed" in stderr
    assert "run `astraapi build startup_widgets:app`" in stderr


def test_a_build_copied_with_its_project_to_another_folder_still_matches(tmp_path, served):
    import shutil

    build(make_app(tmp_path / "ci"))
    shutil.copytree(tmp_path / "ci", tmp_path / "deploy")  # the same files under another absolute path
    shutil.rmtree(tmp_path / "ci")
    server = served(tmp_path / "deploy", "compiled")
    assert httpx.get(f"{server.base_url}/widgets/3").content == b'{"id":3,"name":"w","note":null}'
    assert "not declared as it was" not in "".join(server.output)  # the compiled code is used


def test_a_declaration_changed_without_a_file_change_is_named(tmp_path):
    build(make_app(tmp_path))
    stderr = run_refused(tmp_path, env={"WIDGET_PATH": "/items/{widget_id}"})
    assert ("route GET /widgets/{widget_id} (read_widget) is now GET /items/{widget_id} (read_widget)"
            in stderr), stderr


def test_run_rebuild_builds_a_stale_build_then_serves_it(tmp_path, served):
    build(make_app(tmp_path))
    (tmp_path / "startup_widgets.py").write_text(APP_SOURCE.replace("note: Optional[str] = None",
                                                                     "note: Optional[str] = 'rebuilt'"))
    server = ServerProcess("startup_widgets:app", "compiled", cwd=tmp_path, env=None, build_dir=tmp_path / "out")
    server.command = lambda: [sys.executable, "-m", "astraapi", "run", "startup_widgets:app", "--rebuild",
                              "--host", "127.0.0.1", "--port", "0", "--build-dir", str(tmp_path / "out")]
    server.start()
    try:
        assert httpx.get(f"{server.base_url}/widgets/1").content == b'{"id":1,"name":"w","note":"rebuilt"}'
        output = "".join(server.output)
        assert "startup_widgets.py changed" in output and "building it (--rebuild)" in output
    finally:
        server.stop()
    assert run_cli(["build", "startup_widgets:app", "--build-dir", "out", "--check"], cwd=tmp_path).returncode == 0


def test_jobs_must_be_positive(tmp_path):
    make_app(tmp_path)
    done = run_cli(["build", "startup_widgets:app", "--build-dir", "out", "--jobs", "0"], cwd=tmp_path)
    assert done.returncode == 2 and "--jobs must be at least 1" in done.stderr


# --------------------------------------------------------------------------- in process


@pytest.fixture
def built_app(tmp_path, monkeypatch):
    """The app built by `astraapi build`, imported in this process under a unique name."""
    name = f"startup_inproc_{os.getpid()}_{tmp_path.name}".replace("-", "_")
    make_app(tmp_path, name)
    build(tmp_path, f"{name}:app")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    yield module.app, tmp_path / "out", name
    sys.modules.pop(name, None)


def test_prepare_in_compiled_mode_analyses_no_route_and_reads_the_built_document(built_app, monkeypatch):
    from astraapi.introspection import analyzer as introspect
    from astraapi.server.serve import prepare

    app, out, name = built_app

    def no_analysis(*args, **kwargs):
        raise AssertionError("compiled start-up analysed the app")

    with monkeypatch.context() as patch:
        patch.setattr(introspect._Analyzer, "run", no_analysis)
        patch.setattr(introspect._Analyzer, "_route", no_analysis)
        target = prepare(app, mode="compiled", host="127.0.0.1", port=0, app_ref=f"{name}:app", build_dir=out)
        executor = target.handler.__self__
        assert executor._plans == [None] * len(app.routes)
        built_document = app.openapi()
    assert built_document == json.loads((out / "openapi.json").read_text())
    app.openapi_schema = None
    app._built_openapi = None
    assert app.openapi() == built_document  # made from the app now: the same document


def test_a_route_whose_analysis_differs_from_the_build_runs_generically(built_app, caplog):
    from astraapi.server.build_loader import load_startup
    from astraapi.engine.executor import Executor

    app, out, name = built_app
    startup = load_startup(app, out, f"{name}:app")
    index = next(i for i, route in enumerate(app.routes) if route.name == "read_widget")
    assert startup.loaded.serializers.get(index) is not None
    executor = Executor(app, startup.ir, compiled_serializers=startup.loaded.serializers,
                        compiled_decoders=startup.loaded.decoders, lazy=True)
    plan = executor._first_request_plan(index)
    assert plan.ir == startup.ir.routes[index] and plan.response.compiled is not None and plan.decoder is not None
    # the same route, but the build's IR says something else (a change the fingerprint did not see)
    changed = dataclasses.replace(startup.ir.routes[index], summary="Another")
    routes = [changed if i == index else startup.ir.routes[i] for i in range(len(startup.ir.routes))]
    stale_ir = dataclasses.replace(startup.ir, routes=tuple(routes))
    executor = Executor(app, stale_ir, compiled_serializers=startup.loaded.serializers,
                        compiled_decoders=startup.loaded.decoders, lazy=True)
    with caplog.at_level(logging.WARNING, logger="astraapi"):
        plan = executor._first_request_plan(index)
    assert plan.ir.summary == "Read" and plan.response.compiled is None and plan.decoder is None
    assert "is not declared as it was when the app was built" in caplog.text


def test_start_up_reads_the_serving_ir_and_refuses_one_the_build_did_not_write(built_app):
    from astraapi.ir.build_layout import StaleBuildError
    from astraapi.server.build_loader import load_startup

    app, out, name = built_app
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["serving_ir"] == "serving_ir.jsonl"
    (out / "ir.json").unlink()  # the dump beside the code: start-up does not read it
    startup = load_startup(app, out, f"{name}:app")
    assert [route.path for route in startup.ir.routes][-2:] == ["/widgets/{widget_id}", "/widgets"]
    serving = out / "serving_ir.jsonl"
    serving.write_text(serving.read_text().replace('"summary":"Read"', '"summary":"Edited"'))
    with pytest.raises(StaleBuildError, match="serving_ir.jsonl is not the one the build wrote"):
        load_startup(app, out, f"{name}:app")


def test_a_build_made_before_serving_ir_jsonl_starts_from_ir_json(built_app):
    from astraapi.ir.build_layout import StaleBuildError
    from astraapi.server.build_loader import load_startup

    app, out, name = built_app
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for key in ("serving_ir", "serving_ir_sha256", "files", "summary", "inputs_key"):
        del manifest[key]
    manifest_path.write_text(json.dumps(manifest))
    (out / "serving_ir.jsonl").unlink()
    startup = load_startup(app, out, f"{name}:app")
    assert [route.path for route in startup.ir.routes][-2:] == ["/widgets/{widget_id}", "/widgets"]
    (out / "ir.json").write_text((out / "ir.json").read_text().replace('"Read"', '"Edited"'))
    with pytest.raises(StaleBuildError, match="ir.json is not the one the build wrote"):
        load_startup(app, out, f"{name}:app")


def test_fingerprint_differences_in_process(built_app):
    from astraapi.introspection import fingerprint

    app, out, _ = built_app
    stored = json.loads((out / "manifest.json").read_text())["fingerprint"]
    assert fingerprint.differences(app, stored) == []
    app.title = "Renamed"
    assert fingerprint.differences(app, stored) == ["the app's settings changed (title, servers, middleware, ...)"]
    app.title = "Start-up"

    @app.get("/extra")
    def extra():
        return {}

    assert fingerprint.differences(app, stored) == ["route GET /extra (extra) is new"]


# --------------------------------------------------------------------------- import cost


def _modules_after(code: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
                          capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_import_astraapi_loads_neither_pydantic_nor_asyncio_nor_the_native_module():
    loaded = _modules_after("import astraapi")
    assert {m for m in loaded if m.startswith("astraapi")} == {"astraapi", "astraapi._version"}
    assert not {m for m in loaded if m.split(".")[0] in ("pydantic", "pydantic_core", "asyncio", "json", "typing")}


def test_declaring_an_app_does_not_load_pydantic_the_engine_or_the_compiler():
    loaded = _modules_after(
        "from astraapi import FastAPI, APIRouter\n"
        "app = FastAPI()\nrouter = APIRouter(prefix='/r')\n"
        "@router.get('/x')\ndef x(): return {}\n"
        "app.include_router(router)"
    )
    assert not {m for m in loaded if m.split(".")[0] in ("pydantic", "asyncio")}
    assert not {m for m in loaded if m.startswith(("astraapi.compiler", "astraapi.introspection", "astraapi.ir.",
                                                  "astraapi.engine.executor",
                                                  "astraapi._runtime"))}


def test_every_top_level_name_still_imports():
    import astraapi

    for name in astraapi.__all__:
        assert getattr(astraapi, name) is not None
    namespace: dict = {}
    exec("from astraapi import *", namespace)
    assert namespace["FastAPI"] is namespace["AstraAPI"]
    assert astraapi.responses.JSONResponse.media_type == "application/json"


def test_the_check_stage_reports_every_problem_together_with_file_and_line():
    from astraapi import FastAPI
    from astraapi.compiler.build import BuildError, check_ir
    from astraapi.introspection.app import build_ir

    app = FastAPI()

    @app.get("/a/{x}y")
    def a(x: str):
        return 1

    @app.get("/b/{y:weird}")
    def b(y: str):
        return 1

    with pytest.raises(BuildError) as raised:
        check_ir(build_ir(app, openapi=False))
    lines = str(raised.value).splitlines()
    here = "tests/compiler/test_startup_from_build.py"
    assert lines[0] == "the app cannot be compiled:"
    assert lines[1].startswith(f"  {here}:") and "route 'a' path '/a/{x}y': a parameter must fill" in lines[1]
    assert lines[2].startswith(f"  {here}:") and "route 'b' path '/b/{y:weird}': unknown path convertor" in lines[2]


APPS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "apps")


@pytest.mark.parametrize("filename", sorted(f for f in os.listdir(APPS_DIR) if f.endswith(".py")))
def test_each_route_analysed_on_first_request_equals_the_built_ir(filename, monkeypatch, tmp_path):
    """Otherwise compiled mode would serve the route without its compiled code (see above)."""
    import importlib.util

    from astraapi.applications import AstraAPI
    from astraapi.introspection.app import analyze_route, build_ir, served_records
    from astraapi.ir.nodes import AppIR

    monkeypatch.syspath_prepend(APPS_DIR)
    # the folders the static-file and frontend apps read from their environment
    monkeypatch.syspath_prepend(os.path.join(os.path.dirname(APPS_DIR), "static"))
    from static_files import make_static_root, static_env_for

    for variable, value in static_env_for(make_static_root(tmp_path)).items():
        monkeypatch.setenv(variable, value)
    name = f"startup_roundtrip_{filename[:-3]}"
    spec = importlib.util.spec_from_file_location(name, os.path.join(APPS_DIR, filename))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if "sentry_sdk" in sys.modules:  # an app that calls sentry_sdk.init() at import (eco_sentry_app): its
        # client is global to the process; leaving it active would wrap every later in-process app in
        # sentry's middleware (astraapi/_sentry_compat.py)
        import sentry_sdk

        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)
    apps = [value for value in vars(module).values() if isinstance(value, AstraAPI)]
    assert apps
    for app in apps:
        ir = build_ir(app, openapi=False)
        text = json.dumps(json.loads(ir.to_json()), indent=2, ensure_ascii=False)  # as the build writes it
        served = AppIR.serving_from_json(text, ir.ir_hash())
        assert len(served.routes) == len(ir.routes) >= len(served_records(app))
        for index in range(len(ir.routes)):
            assert analyze_route(app, index).ir == served.routes[index]


def test_analysing_an_app_without_security_does_not_build_the_openapi_models():
    loaded = _modules_after(
        "from astraapi import FastAPI\nfrom astraapi.introspection.app import build_ir\n"
        "app = FastAPI()\n@app.get('/items/{i}')\ndef item(i: int, q: str = ''): return {}\n"
        "build_ir(app, openapi=False)"
    )
    assert "astraapi.openapi.models" not in loaded and "astraapi.security" not in loaded
