"""`astraapi build` of an unchanged app does no work: the declarations' fingerprint and the digests
of the build's files (in manifest.json) show that nothing would change, so it neither analyses
the app nor emits, compiles or links (docs/compiled-mode.md, "The build command")."""

import json
import os
import re
import textwrap

import httpx

from support.servers import ServerProcess, run_cli

APP_SOURCE = textwrap.dedent(
    '''
    import os
    from typing import Optional

    from pydantic import BaseModel

    from astraapi import FastAPI

    app = FastAPI()


    class Gadget(BaseModel):
        id: int
        name: str
        note: Optional[str] = None


    @app.get(os.environ.get("GADGET_PATH", "/gadgets/{gadget_id}"), response_model=Gadget)
    def read_gadget(gadget_id: int):
        return {"id": gadget_id, "name": "g"}


    @app.get("/plain")
    def plain():
        return {"ok": True}
    '''
)

UP_TO_DATE = "nothing to analyse, emit, compile or link"


def make_app(tmp_path):
    (tmp_path / "gadgets.py").write_text(APP_SOURCE)
    return tmp_path


def build(folder, *extra, env=None, ref="gadgets:app"):
    done = run_cli(["build", ref, "--build-dir", "out", *extra], cwd=folder, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def summary_lines(stdout):
    """The summary without what depends on the run (times, files compiled, stage times)."""
    return [line for line in stdout.splitlines()
            if line.startswith("  ") and not line.startswith(("   ", "  output:"))]


def file_times(out):
    return {p: p.stat().st_mtime_ns for p in sorted(out.rglob("*")) if p.is_file()}


def test_an_unchanged_build_does_nothing_and_prints_the_same_summary(tmp_path):
    folder = make_app(tmp_path)
    cold = build(folder)
    assert UP_TO_DATE not in cold
    assert "[2/5] check      6 routes, 1 model\n" in cold  # the docs routes and the app's two
    assert re.search(r"\[3/5\] emit +\d+ files of C\+\+, \d+ rewritten", cold)
    assert re.search(r"stages: introspect [0-9.]+s, check [0-9.]+s, emit [0-9.]+s, compile [0-9.]+s, link [0-9.]+s",
                     cold)
    assert "generic path: 5 routes, no response model" in cold  # the docs routes and /plain, and why
    before = file_times(folder / "out")
    again = build(folder)
    assert UP_TO_DATE in again
    assert "gadgets:app in out/ is up to date" in again
    for stage in ("[2/5] check", "[3/5] emit", "[4/5] compile", "[5/5] link"):
        assert stage not in again  # no stage ran
    assert file_times(folder / "out") == before  # nothing was written, not even the manifest
    assert summary_lines(again) == summary_lines(cold)
    assert re.search(r"stages: import [0-9.]+s, verify [0-9.]+s", again)
    size = re.search(r"output: (\d+ KiB of C\+\+ in \d+ files, module \d+ KiB)", cold).group(1)
    assert size in again
    forced = build(folder, "--force")  # analyses and runs every stage, which find nothing to do
    assert "analysing the app: --force" in forced
    assert "[4/5] compile    0 of" in forced and "[5/5] link       up to date" in forced


def test_a_touched_source_file_is_still_unchanged_and_an_edited_one_is_built(tmp_path):
    folder = make_app(tmp_path)
    build(folder)
    source = folder / "gadgets.py"
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert UP_TO_DATE in build(folder)
    source.write_text(APP_SOURCE.replace("note: Optional[str] = None", "note: Optional[str] = None\n    extra: int = 0"))
    edited = build(folder)
    assert UP_TO_DATE not in edited
    assert "analysing the app: gadgets.py changed" in edited
    assert re.search(r"\[4/5\] compile +[1-9]\d* of \d+ files to compile", edited)
    assert UP_TO_DATE in build(folder)  # the new manifest holds the new fingerprint


def test_a_declaration_changed_through_the_environment_is_built(tmp_path):
    folder = make_app(tmp_path)
    build(folder)
    moved = build(folder, env={"GADGET_PATH": "/moved/{gadget_id}"})
    assert UP_TO_DATE not in moved and (
        "analysing the app: route GET /gadgets/{gadget_id} (read_gadget) is now GET /moved/{gadget_id} (read_gadget)"
        in moved)
    manifest = json.loads((folder / "out" / "manifest.json").read_text())
    assert any(route["path"] == "/moved/{gadget_id}"
               for route in json.loads((folder / "out" / "ir.json").read_text())["routes"])
    assert manifest["ir_hash"] in (folder / "out" / "generated" / "module.cpp").read_text().splitlines()[0]


def test_a_damaged_module_or_generated_file_is_named_and_rebuilt(tmp_path):
    folder = make_app(tmp_path)
    build(folder)
    out = folder / "out"
    module = out / "app_module.so"
    good_module = module.read_bytes()
    module.write_bytes(good_module[:-16] + b"\0" * 16)
    check = run_cli(["build", "gadgets:app", "--build-dir", "out", "--check"], cwd=folder)
    assert check.returncode == 1
    assert "out/app_module.so is not the one the build wrote" in check.stderr
    repaired = build(folder)
    assert "analysing the app: out/app_module.so is not the one the build wrote" in repaired
    assert "[5/5] link       linked" in repaired  # relinked from the cached objects
    assert "0 of" in repaired  # nothing recompiled
    assert module.read_bytes() == good_module
    assert run_cli(["build", "gadgets:app", "--build-dir", "out", "--check"], cwd=folder).returncode == 0

    source = out / "generated" / "module.cpp"
    good_source = source.read_text()
    source.write_text(good_source + "\n// edited by hand\n")
    rewritten = build(folder)
    assert "analysing the app: out/generated/module.cpp is not the one the build wrote" in rewritten
    assert source.read_text() == good_source
    (out / "ir.json").unlink()
    assert "analysing the app: out/ir.json is missing" in build(folder)
    assert (out / "ir.json").is_file()

    server = ServerProcess("gadgets:app", "compiled", cwd=folder, env=None, build_dir=out)
    server.start()
    try:
        response = httpx.get(f"{server.base_url}/gadgets/3")
        assert response.content == b'{"id":3,"name":"g","note":null}'
    finally:
        server.stop()


def test_other_compile_flags_or_another_app_reference_are_built(tmp_path):
    folder = make_app(tmp_path)
    build(folder)
    debug = build(folder, "--debug")
    assert "analysing the app: the compiler, its flags or AstraAPI's code generator changed" in debug
    assert re.search(r"\[4/5\] compile +[1-9]\d* of \d+ files to compile", debug)
    assert UP_TO_DATE in build(folder, "--debug")
    (folder / "more.py").write_text("from gadgets import app as other\n")
    renamed = build(folder, ref="more:other")
    assert "analysing the app: the build was made for gadgets:app" in renamed
    assert json.loads((folder / "out" / "manifest.json").read_text())["app_ref"] == "more:other"


def test_another_compiler_is_built(tmp_path):
    folder = make_app(tmp_path)
    build(folder)
    other = build(folder, env={"CXX": "g++"})
    assert "analysing the app: the compiler, its flags or AstraAPI's code generator changed" in other
