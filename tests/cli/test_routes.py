"""`astraapi routes APP`: the table and its JSON form, on a fixture app (tests/cli/fixtures/routes_app.py)."""

import json
from pathlib import Path

from support.servers import run_cli

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _rows():
    done = run_cli(["routes", "routes_app:app", "--json"], cwd=FIXTURES)
    assert done.returncode == 0, done.stderr
    return {(tuple(row["methods"]), row["path"]): row for row in json.loads(done.stdout)}


def test_routes_json_lists_every_route_with_its_declaration_and_compilation():
    rows = _rows()
    source = (FIXTURES / "routes_app.py").read_text().splitlines()
    read = rows[(("GET",), "/users/{user_id}")]
    assert read["name"] == "read_user" and read["endpoint"] == "routes_app:read_user"
    assert read["file"] == "routes_app.py" and source[read["line"] - 1].startswith('@users.get("/{user_id}"')
    assert read["response_model"] == "User" and read["compiled"] is True and read["fallback"] is None
    create = rows[(("POST",), "/users/")]
    assert create["name"] == "make-user" and create["compiled"] is True
    hooked = rows[(("GET",), "/hooked")]
    assert hooked["compiled"] is False and "serializer" in hooked["fallback"], hooked
    plain = rows[(("GET",), "/plain")]
    assert plain["response_model"] is None and plain["compiled"] is False and "no response model" in plain["fallback"]
    mount = rows[(("ANY",), "/static/{path:path}")]
    assert mount["kind"] == "static" and mount["name"] == "static" and mount["compiled"] is False
    assert len(rows) == 5


def test_routes_table_has_a_row_per_route_and_a_summary():
    done = run_cli(["routes", "routes_app:app"], cwd=FIXTURES)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["METHOD", "PATH", "NAME", "DECLARED", "AT", "RESPONSE", "MODEL", "COMPILED"]
    user = next(line for line in lines if "/users/{user_id}" in line)
    assert user.split()[:3] == ["GET", "/users/{user_id}", "read_user"] and user.rstrip().endswith("yes")
    hooked = next(line for line in lines if "/hooked" in line)
    assert " no: " in hooked and "Hooked" in hooked
    assert lines[-1].startswith("5 routes, 2 with a compiled response serializer, 3 on the generic path")


def test_routes_reports_an_app_that_does_not_import():
    done = run_cli(["routes", "no_such_module:app"], cwd=FIXTURES)
    assert done.returncode == 2 and "astraapi: error:" in done.stderr and "no_such_module" in done.stderr
