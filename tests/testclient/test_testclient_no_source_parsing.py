"""The TestClient's server thread never parses source (`ast.parse`, which `inspect.getsourcelines` uses
for classes): on CPython 3.11 the AST constructor's recursion counter is shared between threads
(gh-106905), so a parse there while the test thread formats a traceback can crash pytest with
`INTERNALERROR SystemError: AST constructor recursion depth mismatch`."""

from __future__ import annotations

import ast
import importlib.util
import sys
import textwrap
import threading

from astraapi.introspection import source_lines
from astraapi.testclient import TestClient

APP = textwrap.dedent('''
    from pydantic import BaseModel
    from astraapi import Depends, FastAPI

    class Item(BaseModel):
        name: str

    class Outer:
        class Nested(BaseModel):
            size: int

    class Pagination:
        def __init__(self, skip: int = 0, limit: int = 10):
            self.skip, self.limit = skip, limit

    app = FastAPI()

    @app.post("/items")
    async def create(item: Item, nested: Outer.Nested, page: Pagination = Depends()):
        return {"name": item.name, "size": nested.size, "skip": page.skip}
''')


def test_serving_under_the_test_client_parses_no_source_on_other_threads(tmp_path, monkeypatch):
    path = tmp_path / "parse_free_app.py"
    path.write_text(APP)
    spec = importlib.util.spec_from_file_location("parse_free_app", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "parse_free_app", module)
    spec.loader.exec_module(module)

    parsed_on: list[str] = []
    real_parse = ast.parse

    def recording_parse(*args, **kwargs):
        parsed_on.append(threading.current_thread().name)
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(ast, "parse", recording_parse)
    with TestClient(module.app) as client:
        response = client.post("/items?skip=3", json={"item": {"name": "a"}, "nested": {"size": 2}})
    assert response.status_code == 200, response.text
    assert response.json() == {"name": "a", "size": 2, "skip": 3}
    assert [name for name in parsed_on if name != threading.main_thread().name] == []
    # and the declaration lines are still found, without a parse
    assert source_lines.class_line(module.Item) == 5
    assert source_lines.class_line(module.Outer.Nested) == 9
    assert source_lines.class_line(module.Pagination) == 12
    assert parsed_on == []  # no parse at all, on any thread
