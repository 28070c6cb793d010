"""The build's request decoder reads the parameters of a route's dependency tree (each dependency's own
path, query, header and cookie parameters, under ir.nodes.dependency_key names), and the general path
hands each node what the generic validation would have given it (engine/route_plan.py, bind_decoder).
Served behaviour, both modes against FastAPI: tests/apps/compat_deps_tree_app.py."""

from __future__ import annotations

import asyncio
import importlib
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astraapi.compiler.build import BuildOptions, build
from astraapi.engine.dependencies import RequestContext
from astraapi.engine.executor import Executor
from astraapi.introspection.app import build_ir
from astraapi.server.build_loader import load_build

APP = textwrap.dedent(
    """
    from typing import Annotated, Optional
    from astraapi import Cookie, Depends, FastAPI, Header, Query, Request
    from astraapi.security import APIKeyHeader

    app = FastAPI()
    key = APIKeyHeader(name="x-key", auto_error=False)

    class Paging:
        def __init__(self, offset: int = 0, limit: Annotated[int, Query(ge=1, le=50)] = 10):
            self.offset = offset
            self.limit = limit

    async def session(sid: Annotated[Optional[str], Cookie()] = None, tags: Annotated[list[str], Query()] = []):
        return {"sid": sid, "tags": tags}

    async def user(request: Request, s: Annotated[dict, Depends(session)],
                   x_token: Annotated[str, Header()] = "anon", k: Annotated[Optional[str], Depends(key)] = None):
        return {"token": x_token, "session": s, "key": k}

    @app.get("/shops/{shop}/orders")
    async def orders(shop: int, page: Annotated[Paging, Depends()], who: Annotated[dict, Depends(user)],
                     q: Optional[str] = None):
        return None
    """
)

KEYS = ["offset", "limit", "tags", "q", "other"]
VALUES = st.one_of(st.integers(-5, 80).map(str), st.sampled_from(["", "x", "1.5", "+3", "007", "é"]))


class FakeRequest:
    method = "GET"
    path = "/shops/1/orders"
    body = b""
    client = ("127.0.0.1", 1)

    def __init__(self, query_string: bytes, headers: list):
        self.query_string = query_string
        self.headers = headers


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dependency_decoders")
    (folder / "dependency_decoder_app.py").write_text(APP)
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module("dependency_decoder_app")
    finally:
        sys.path.remove(str(folder))
    ir = build_ir(module.app, app_ref="dependency_decoder_app:app")
    build(ir, BuildOptions(build_dir=folder / "build"))
    loaded = load_build(ir, folder / "build")
    route = next(route.index for route in ir.routes if route.path == "/shops/{shop}/orders")
    assert route in loaded.decoders, "a route with dependencies gets a request decoder"
    plan = Executor(module.app, ir, compiled_decoders=loaded.decoders)._plans[route]
    assert plan.decoder is not None and plan.root.decoded_keys is not None
    return module.app, plan, loaded.decoders[route]


def _solve(app, plan, request, path_params, decoded):
    from astraapi.engine.dependencies import Solver

    ctx = RequestContext(request, path_params, plan.path_names, app, plan.ir.path)
    ctx.decoded = decoded
    values, errors = asyncio.run(Solver(app).solve(plan.root, ctx))
    if "page" in values:
        values["page"] = vars(values["page"])
    return values, errors


def test_dependency_parameters_are_decoded(built):
    _, _, decoder = built
    decoded = decoder(b"offset=2&limit=5&tags=a&tags=b", ("7",), None,
                      [(b"x-token", b"t"), (b"cookie", b"sid=s1")])
    # node 1: Paging; 2: user; 3: session; 4: the API key scheme (nothing to decode)
    assert decoded == {"shop": 7, "1.offset": 2, "1.limit": 5, "2.x_token": "t", "3.sid": "s1", "3.tags": ["a", "b"]}
    assert decoder(b"limit=0", ("7",), None, []) is None  # a failed constraint: the generic path answers


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(KEYS), VALUES), max_size=5),
       st.sampled_from([[], [(b"x-token", b"tok")], [(b"cookie", b"sid=1; other=2"), (b"x-key", b"k")]]))
def test_decoded_tree_agrees_with_the_generic_path(built, pairs, headers):
    app, plan, decoder = built
    query = "&".join(f"{key}={value}" for key, value in pairs).encode()
    request = FakeRequest(query, headers)
    decoded = decoder(query, ("3",), None, headers)
    generic = _solve(app, plan, request, ("3",), None)
    if decoded is None:
        return
    assert not generic[1], f"the decoder accepted what the generic path rejects: {query!r} {generic[1]}"
    assert _solve(app, plan, request, ("3",), decoded) == generic
