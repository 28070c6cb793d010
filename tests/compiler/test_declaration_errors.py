"""Problems in route declarations are reported together, each with the user's file:line."""

from __future__ import annotations

import sys
import textwrap

import pytest

from astraapi.introspection.app import build_ir
from astraapi.exceptions import DeclarationError

# The declarations FastAPI refuses at the decorator are refused there too (tests/compat/test_declaration_checks.py);
# annotations that cannot be resolved yet when the route is declared (`Later`, defined at the end) leave every check
# to the analysis at start-up, which reports all problems together.
APP = textwrap.dedent(
    """
    from __future__ import annotations

    from typing import Annotated
    from pydantic import BaseModel
    from astraapi import FastAPI, Path, Query

    app = FastAPI()

    class Model(BaseModel):
        x: int

    @app.get("/items/{item_id}")
    def wrong_name(item_id: Annotated[int, Query()], later: Later = 1):
        return {}

    @app.get("/fine")
    def fine():
        return {}

    @app.get("/query-model")
    def query_model(m: list[Model] = Query(), later: Later = 1):  # a parameter model is one model, not a list
        return {}

    @app.get("/users/{user_id}")
    def annotated_default(user_id: Annotated[int, Path(gt=0)] = 3, later: Later = 1):
        return {}

    class NotSupported:
        pass

    @app.get("/odd")
    def odd(thing: NotSupported):
        return {}

    Later = int
    """
)


@pytest.fixture
def broken_app(tmp_path, monkeypatch):
    (tmp_path / "broken_app.py").write_text(APP)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("broken_app", None)
    import broken_app

    yield broken_app
    sys.modules.pop("broken_app", None)


def test_all_problems_reported_with_location(broken_app):
    with pytest.raises(DeclarationError) as caught:
        build_ir(broken_app.app)
    problems = caught.value.problems
    assert len(problems) == 4, problems
    wrong, query_model, annotated, odd = problems
    lines = APP.splitlines()

    def at(decorator: str) -> str:
        return f"broken_app.py:{lines.index(decorator) + 1}: "

    assert wrong.startswith(at('@app.get("/items/{item_id}")') + "GET /items/{item_id} (endpoint broken_app:wrong_name): ")
    assert "Cannot use `Query` for path param 'item_id'" in wrong
    assert query_model.startswith(at('@app.get("/query-model")')) and "Query parameter 'm'" in query_model
    assert annotated.startswith(at('@app.get("/users/{user_id}")')) and "default" in annotated
    assert odd.startswith(at('@app.get("/odd")')) and "NotSupported" in odd
    assert str(caught.value).startswith("4 problems in route declarations:")
