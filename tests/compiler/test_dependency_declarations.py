"""Problems inside dependencies are reported with the route and the dependency named; the
dependency tree round-trips through the IR dump."""

from __future__ import annotations

import textwrap

import pytest

from astraapi.introspection.app import build_ir
from astraapi.ir.nodes import AppIR
from astraapi.exceptions import DeclarationError


def _app(tmp_path, source: str):
    import importlib.util
    import sys

    path = tmp_path / "deps_decl_app.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location("deps_decl_app", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["deps_decl_app"] = module
    spec.loader.exec_module(module)
    return module.app


def test_problems_inside_dependencies(tmp_path):
    # `Later` is defined after the routes: the decorator cannot resolve the endpoints' annotations yet and
    # leaves every check (FastAPI's refusals included) to the analysis at start-up, which names the dependency.
    app = _app(tmp_path, """
        from __future__ import annotations

        from astraapi import Depends, FastAPI, Query

        app = FastAPI()

        def function_scoped():
            yield 1

        def request_scoped(x: int = Depends(function_scoped, scope="function")):
            yield x

        def bad_query(q: dict = Query()):
            return q

        @app.get("/scope")
        def scope(v: Later = Depends(request_scoped)):
            return v

        @app.get("/query")
        def query(v: Later = Depends(bad_query)):
            return v

        Later = int
    """)
    with pytest.raises(DeclarationError) as caught:
        build_ir(app)
    text = str(caught.value)
    assert 'has a scope of "request", it cannot depend on dependencies with scope "function"' in text
    assert "GET /query" in text and "dependency deps_decl_app:bad_query: Query parameter 'q'" in text
    assert "deps_decl_app.py:" in text


def test_dependency_tree_round_trips(tmp_path):
    app = _app(tmp_path, """
        from typing import Annotated
        from astraapi import Depends, FastAPI, Header, Security
        from astraapi.security import HTTPBearer

        app = FastAPI()
        bearer = HTTPBearer(description="tokens")

        def sub(x_id: Annotated[int, Header()]):
            return x_id

        async def gen(v: int = Depends(sub, use_cache=False)):
            yield v

        @app.get("/t", dependencies=[Security(bearer, scopes=["a"])])
        async def t(v: int = Depends(gen, max_concurrency=3)):
            return v
    """)
    ir = build_ir(app)
    again = AppIR.from_json(ir.to_json())
    assert again == ir
    route = next(r for r in again.routes if r.include_in_schema)  # after the four docs routes
    security, dependency = route.dependencies
    assert security.security_scheme_name == "HTTPBearer" and security.scopes == ("a",)
    assert security.security_scheme_json == '{"type":"http","description":"tokens","scheme":"bearer"}'
    assert (dependency.name, dependency.kind, dependency.max_concurrency) == ("v", "async_generator", 3)
    assert dependency.dependencies[0].use_cache is False
    assert dependency.dependencies[0].params[0].location == "header"
