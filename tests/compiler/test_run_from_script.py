"""`app.run(mode="compiled")` in a script run as `python main.py` (the app lives in `__main__`)
serves the build that `astraapi build main:app` made, with its compiled code, and runs the
script's module once (docs/compiled-mode.md, "Start-up")."""

import subprocess
import sys
import textwrap

import httpx
import pytest

from support.servers import ServerProcess, run_cli

SCRIPT = textwrap.dedent(
    '''
    import sys

    from pydantic import BaseModel

    from astraapi import FastAPI

    print("module body ran as", __name__, flush=True)

    app = FastAPI()


    class Item(BaseModel):
        id: int
        name: str


    @app.get("/items/{item_id}", response_model=Item)
    def read_item(item_id: int):
        return {"id": item_id, "name": "thing", "hidden": 1}


    @app.post("/items")
    def create_item(item: Item):
        # The compiled body decoder builds the instance: it must be this module's Item.
        return {"same_class": type(item) is Item, "module": type(item).__module__, "name": item.name}


    if __name__ == "__main__":
        app.run(host="127.0.0.1", port=0, mode="compiled", build_dir="out")
    '''
)


class ScriptServer(ServerProcess):
    def __init__(self, cwd, args):
        super().__init__("script", "compiled", cwd=cwd, env=None, build_dir=None)
        self.args = args

    def command(self):
        return [sys.executable, *self.args]


def serve_script(cwd, *args):
    server = ScriptServer(cwd, args)
    server.start()
    return server


def check_serves_the_build(server, module_name):
    try:
        response = httpx.get(f"{server.base_url}/items/5")
        assert response.content == b'{"id":5,"name":"thing"}'
        created = httpx.post(f"{server.base_url}/items", json={"id": 1, "name": "new"})
        assert created.json() == {"same_class": True, "module": "__main__", "name": "new"}
    finally:
        server.stop()
    output = "".join(server.output)
    assert output.count("module body ran as") == 1, output  # not imported a second time
    assert "module body ran as __main__" in output
    assert "not declared as it was" not in output and "WARNING" not in output, output


def test_python_main_py_serves_the_build_of_main_app(tmp_path):
    (tmp_path / "main.py").write_text(SCRIPT)
    built = run_cli(["build", "main:app", "--build-dir", "out"], cwd=tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    assert "1 with a body decoder" in built.stdout
    check_serves_the_build(serve_script(tmp_path, "main.py"), "main")


def test_python_m_package_module_serves_the_build_of_that_module(tmp_path):
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "api.py").write_text(SCRIPT)
    built = run_cli(["build", "shop.api:app", "--build-dir", "out"], cwd=tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    check_serves_the_build(serve_script(tmp_path, "-m", "shop.api"), "shop.api")


def test_without_a_build_the_script_is_told_what_to_run(tmp_path):
    (tmp_path / "main.py").write_text(SCRIPT)
    done = subprocess.run([sys.executable, "main.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "no compiled build in out/: run `astraapi build main:app` first" in done.stderr


@pytest.mark.parametrize("how", ["-c", "stdin"])
def test_an_app_declared_without_a_module_file_gets_a_clear_refusal(tmp_path, how):
    source = SCRIPT.replace('if __name__ == "__main__":', "if True:")
    if how == "-c":
        done = subprocess.run([sys.executable, "-c", source], cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)
    else:
        done = subprocess.run([sys.executable, "-"], input=source, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)
    assert done.returncode != 0
    assert "declared in __main__ without a module file to build it from" in done.stderr
    assert "astraapi build <module>:app" in done.stderr
