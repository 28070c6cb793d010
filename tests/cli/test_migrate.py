"""`astraapi migrate PATH [--diff | --write]` on fixture project trees (tests/cli/fixtures/), and a round trip:
a FastAPI project migrated into a temporary folder passes its own tests under AstraAPI, with FastAPI and
Starlette made unimportable."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from astraapi.migrate import migrate_source
from support.servers import run_cli

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MIXED = FIXTURES / "mixed"


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def test_summary_reports_what_it_cannot_rewrite_with_file_and_line_and_writes_nothing():
    before = _tree(MIXED)
    done = run_cli(["migrate", str(MIXED)], cwd=FIXTURES)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"6 Python files under {MIXED}, 2 to change (19 import statements)" in out
    assert "  pkg/api.py: 16 import statements" in out and "  pkg/sub/tests.py: 3 import statements" in out
    assert ("pkg/api.py:22: from starlette.routing import Mount: astraapi provides no module for starlette.routing"
            in out)
    assert ("pkg/api.py:23: from fastapi.middleware.wsgi import WSGIMiddleware: astraapi provides no module for "
            "fastapi.middleware.wsgi") in out
    assert "pkg/api.py:24: from fastapi.openapi.utils import get_openapi, no_such_name: astraapi.openapi.utils " \
           "has no no_such_name" in out
    assert "pkg/sub/broken.py:" in out and "not parsed" in out
    assert "pyproject.toml:3: " in out and "depends on FastAPI" in out
    assert _tree(MIXED) == before


def test_diff_shows_the_rewrite_and_writes_nothing():
    before = _tree(MIXED)
    done = run_cli(["migrate", str(MIXED), "--diff"], cwd=FIXTURES)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "--- a/pkg/api.py" in lines and "+++ b/pkg/api.py" in lines
    assert "-import os, fastapi  # two modules on one line" in lines
    assert "+import os, astraapi  # two modules on one line" in lines
    assert "+from astraapi import status as codes" in lines
    assert "+from astraapi.exceptions import HTTPException as StarletteHTTPException" in lines
    assert "+code = astraapi.status.HTTP_200_OK" in lines
    assert not any(line.startswith(("-from .", "+from .")) for line in lines)  # relative imports untouched
    assert _tree(MIXED) == before


def test_write_rewrites_in_place_keeps_the_rest_and_is_idempotent(tmp_path):
    project = tmp_path / "mixed"
    shutil.copytree(MIXED, project)
    before = _tree(project)
    done = run_cli(["migrate", str(project), "--write"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "2 changed (19 import statements)" in done.stdout
    after = _tree(project)
    assert {name for name in before if before[name] != after[name]} == {"pkg/api.py", "pkg/sub/tests.py"}
    api = after["pkg/api.py"]
    assert api.startswith('# -*- coding: utf-8 -*-\n"""The API module."""\nimport os, astraapi  # two modules')
    for kept in ("from .sub import helpers  # relative: untouched\n", "import fastapi_utils  # another package",
                 "from starlette.routing import Mount  # not provided: reported\n",
                 "from fastapi.middleware.wsgi import WSGIMiddleware  # not provided: reported\n",
                 "from astraapi import FastAPI as Application, Depends   # aliased\n",
                 "from astraapi.responses import (\n    HTMLResponse,  # pages\n    JSONResponse,\n)\n",
                 "app = astraapi.FastAPI(   # a call keeps its layout\n    title=\"Mixed\",\n)\n",
                 "import astraapi.security as sec\n", "scheme = sec.OAuth2PasswordBearer(",
                 "print(app.fastapi, os.sep, astraapi.__name__)\n"):
        assert kept in api, kept
    assert "import astraapi.encoders\n\n    return astraapi.encoders.jsonable_encoder({})" in after["pkg/sub/tests.py"]
    again = run_cli(["migrate", str(project), "--diff"], cwd=tmp_path)
    assert again.returncode == 0 and "0 to change (0 import statements)" in again.stdout
    assert "---" not in again.stdout and _tree(project) == after


def test_the_codemod_is_a_fixed_point_on_every_fixture_file():
    for path in FIXTURES.rglob("*.py"):
        if path.name == "broken.py":
            continue
        once, _, _ = migrate_source(path.read_text(), path.name)
        twice, rewritten, _ = migrate_source(once, path.name)
        assert (path, twice, rewritten) == (path, once, 0)


def test_uses_of_a_module_left_as_it_was_keep_their_name():
    source = ("import fastapi\nimport fastapi.middleware.wsgi\n"
              "a = fastapi.FastAPI()\nb = fastapi.middleware.wsgi.WSGIMiddleware\nc = fastapi.middleware.cors\n")
    after, rewritten, problems = migrate_source(source, "m.py")
    assert after == ("import astraapi\nimport fastapi.middleware.wsgi\n"
                     "a = astraapi.FastAPI()\nb = fastapi.middleware.wsgi.WSGIMiddleware\nc = astraapi.middleware.cors\n")
    assert rewritten == 1 and [(p.line, p.statement) for p in problems] == [(2, "import fastapi.middleware.wsgi")]


def test_a_missing_path_is_an_error(tmp_path):
    done = run_cli(["migrate", str(tmp_path / "nowhere")], cwd=tmp_path)
    assert done.returncode == 2 and "no such file or folder" in done.stdout


def _blocker(tmp_path: Path) -> Path:
    """A folder that makes `import fastapi` and `import starlette` fail (first on PYTHONPATH)."""
    blocked = tmp_path / "blocked"
    for name in ("fastapi", "starlette"):
        (blocked / name).mkdir(parents=True)
        (blocked / name / "__init__.py").write_text(f"raise ImportError('{name} imported after the migration')\n")
    return blocked


def _pytest(project: Path, pythonpath: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in __import__("os").environ.items() if k != "PYTHONPATH"}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=600)


def test_round_trip_the_migrated_fastapi_project_passes_its_own_tests(tmp_path):
    project = tmp_path / "fastapi_shop"
    shutil.copytree(FIXTURES / "fastapi_shop", project)
    done = run_cli(["migrate", str(project), "--write"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "not rewritten" not in done.stdout, done.stdout
    assert "requirements.txt:1: fastapi==0.165.0" in done.stdout
    for path in project.rglob("*.py"):
        text = path.read_text()
        assert "import fastapi" not in text and "from fastapi" not in text and "from starlette" not in text, path
    ran = _pytest(project, str(_blocker(tmp_path)))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "4 passed" in ran.stdout


def test_the_fixture_project_passes_its_own_tests_under_fastapi(tmp_path):
    """The round trip's starting point is a working FastAPI project."""
    pytest.importorskip("fastapi")
    project = tmp_path / "fastapi_shop"
    shutil.copytree(FIXTURES / "fastapi_shop", project)
    ran = _pytest(project, None)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "4 passed" in ran.stdout
