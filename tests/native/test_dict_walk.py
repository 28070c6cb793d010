"""The compiled serializer's dict walk (runtime_cpp/src/app/dict_fields.cpp), which differs by CPython
version (3.11: the dict's entry table read directly; 3.12+: PyDict_Next), gives the bytes dynamic mode
and pydantic give for every dict shape: in order, reordered, extra or missing keys, deleted entries,
a resized table, a split (instance) dict, non-str keys, a dict subclass. scripts/test.sh runs this
folder on each supported Python."""

import json
import sys

import pytest

from support.paths import APPS_DIR, MODES

sys.path.insert(0, str(APPS_DIR))
import dict_walk_app  # noqa: E402


def _expected(shape: str) -> bytes:
    return dict_walk_app.Row.model_validate(dict_walk_app.SHAPES[shape]()).model_dump_json().encode()


@pytest.mark.parametrize("mode", MODES)
def test_every_dict_shape_serializes_as_pydantic_does(start_server, mode):
    httpx = pytest.importorskip("httpx")
    server = start_server("dict_walk_app:app", mode, cwd=APPS_DIR)
    with httpx.Client(base_url=server.base_url) as client:
        for shape in dict_walk_app.SHAPES:
            response = client.get(f"/one/{shape}")
            assert (shape, response.status_code, response.content) == (shape, 200, _expected(shape))
        many = client.get("/many")
        assert many.status_code == 200
        assert json.loads(many.content) == [json.loads(_expected(shape)) for shape in dict_walk_app.SHAPES]



def test_the_routes_are_compiled():
    """The test above exercises the dict walk only if compiled mode serializes these routes natively."""
    from astraapi.cli_routes import route_rows

    rows = {row.path: row for row in route_rows(dict_walk_app.app, "dict_walk_app:app")}
    assert rows["/one/{shape}"].compiled and rows["/many"].compiled, rows
