"""`astraapi dev`: the banner with the URLs, an error in the user's code shown with file:line while the
reloader keeps running (and reloads once it is fixed), and reload limited to the app's own files."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from astraapi.cli_dev import AppFilesFilter, describe_user_error, own_module_files

SERVING = re.compile(r"serving on http://127\.0\.0\.1:(\d+)")


class _Output:
    def __init__(self, process):
        self.lines: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(process,), daemon=True).start()

    def _read(self, process):
        for line in process.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()

    def wait_for(self, pattern: str, start: int = 0, timeout: float = 120) -> int:
        """The index of the first line from `start` matching `pattern` (waits for it)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for i in range(start, len(self.lines)):
                    if re.search(pattern, self.lines[i]):
                        return i
                left = deadline - time.monotonic()
                assert left > 0, f"no line matching {pattern!r} in:\n" + "".join(self.lines)
                self._changed.wait(left)


def _get(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
        return json.loads(response.read())


def test_dev_banner_error_and_reload(tmp_path):
    (tmp_path / "main.py").write_text('from astraapi import FastAPI\nimport helper\napp = FastAPI()\n\n\n'
                                      '@app.get("/")\ndef root():\n    return {"v": helper.V}\n')
    (tmp_path / "helper.py").write_text("V = 1\n")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "astraapi", "dev", "main:app", "--port", "0"],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = _Output(process)
    try:
        first = out.wait_for(r"^AstraAPI dev server \(dynamic mode\) for main:app")
        assert out.lines[first + 1].split() == ["app:", "http://127.0.0.1:<port", "chosen", "by", "the", "kernel>"]
        assert out.lines[first + 2].strip().startswith("docs:") and "/docs" in out.lines[first + 2]
        assert "reload:  on" in out.lines[first + 3]
        port = int(SERVING.search(out.lines[out.wait_for(SERVING.pattern, first)]).group(1))
        assert _get(port) == {"v": 1}

        (tmp_path / "helper.py").write_text("V = (\n")
        error = out.wait_for(r"astraapi dev: error in the app: helper\.py:1: SyntaxError", first + 1)
        out.wait_for(r"astraapi dev: waiting for a change to reload", error)
        assert process.poll() is None  # the reloader is still there

        (tmp_path / "helper.py").write_text("V = 2\n")
        again = out.wait_for(r"^AstraAPI dev server", error)
        port = int(SERVING.search(out.lines[out.wait_for(SERVING.pattern, again)]).group(1))
        assert _get(port) == {"v": 2}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_reload_filter_follows_the_apps_own_files(tmp_path):
    (tmp_path / "app.py").write_text("")
    (tmp_path / "unused.py").write_text("")
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "lib" / "dep.py").write_text("")
    listing = tmp_path / "files.txt"
    watch = AppFilesFilter(tmp_path, listing)
    change = 2  # watchfiles.Change.modified
    # before the app imported: any Python file of the project, not a virtual environment's
    assert watch(change, str(tmp_path / "unused.py")) and watch(change, str(tmp_path / "app.py"))
    assert not watch(change, str(tmp_path / ".venv" / "lib" / "dep.py"))
    assert not watch(change, str(tmp_path / "notes.txt"))
    listing.write_text(str((tmp_path / "app.py").resolve()))
    assert watch(change, str(tmp_path / "app.py")) and not watch(change, str(tmp_path / "unused.py"))


def test_own_module_files_are_the_projects_imported_modules():
    here = Path(__file__).resolve()
    files = own_module_files(here.parent)
    assert str(here) in files and all(Path(f).is_relative_to(here.parent) for f in files)


def test_user_error_names_the_users_line(tmp_path):
    source = tmp_path / "broken_app.py"
    source.write_text("def make():\n    return 1 / 0\n")
    code = compile(source.read_text(), str(source), "exec")
    namespace: dict = {}
    exec(code, namespace)
    try:
        namespace["make"]()
    except ZeroDivisionError as exc:
        text = describe_user_error(exc, tmp_path)
    assert text.splitlines()[0] == "astraapi dev: error in the app: broken_app.py:2: ZeroDivisionError: division by zero"
    assert "test_dev.py" not in text  # the framework's (here: the test's) frames are left out
