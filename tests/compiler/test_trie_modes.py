"""Route matching: the dynamic trie, the compiled module's trie and Starlette (FastAPI's router)
agree on every path, including precedence, 405s and trailing-slash redirects."""

import itertools

import pytest

from support.items_script import load_with_fastapi
from support.paths import APPS_DIR

_runtime = pytest.importorskip("astraapi._runtime")

from astraapi.compiler.build import BuildOptions, build  # noqa: E402
from astraapi.introspection.app import build_ir  # noqa: E402
from astraapi.ir.trie import build_trie_tables  # noqa: E402

SEGMENTS = ["", "items", "special", "users", "me", "orders", "7", "files", "a", "b.txt", "numbers",
            "42", "4.5", "x1", "ids", "12345678-1234-1234-1234-123456789abc", "slash", "multi", "ünï"]
METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS", "BREW", "QUERY", "PROPFIND"]


def candidate_paths():
    paths = {"/", "//", "/items//", "/files/", "/files", "/slash", "/slash/", "/multi/"}
    for length in (1, 2, 3):
        for parts in itertools.product(SEGMENTS, repeat=length):
            if length == 3 and parts[0] not in ("users", "files", "items"):
                continue
            paths.add("/" + "/".join(parts))
    return sorted(paths)


def starlette_oracle(app, method: str, path: str):
    """What Starlette's router decides, in the runtime's result shape."""
    from starlette.routing import Match

    from starlette.routing import Route

    # The OpenAPI and docs routes (Starlette routes) come first, as AstraAPI declares them too.
    routes = [route for route in app.router.routes if isinstance(route, Route)]

    def decide(candidate):
        scope = {"type": "http", "path": candidate, "method": method, "root_path": ""}
        partial = None
        for index, route in enumerate(routes):
            match, child = route.matches(scope)
            if match == Match.FULL:
                return (0, index, child["path_params"])
            if match == Match.PARTIAL and partial is None:
                partial = index
        return (1, partial) if partial is not None else None

    decided = decide(path)
    if decided is not None:
        return decided
    if path != "/":
        other = path.rstrip("/") if path.endswith("/") else path + "/"
        if decide(other) is not None:
            return (2, other)
    return (3,)


@pytest.fixture(scope="module")
def tries(tmp_path_factory):
    import importlib
    import sys

    sys.path.insert(0, str(APPS_DIR))
    try:
        ours = importlib.import_module("routing_app").app
    finally:
        sys.path.remove(str(APPS_DIR))
    ir = build_ir(ours, app_ref="routing_app:app")
    dynamic = build_trie_tables(ir).to_runtime()
    build_dir = tmp_path_factory.mktemp("routing_build")
    build(ir, BuildOptions(build_dir=build_dir))
    module = _runtime.load_app_module(str(build_dir / "app_module.so"), ir.ir_hash())
    reference = load_with_fastapi(APPS_DIR / "routing_app.py", build_dir / "unused.db").app
    return dynamic, module, reference


def test_dynamic_compiled_and_starlette_agree(tries):
    dynamic, module, reference = tries
    checked = 0
    for path in candidate_paths():
        for method in METHODS:
            expected = starlette_oracle(reference, method, path)
            got_dynamic = dynamic.match(method, path)
            got_compiled = module.trie.match(method, path)
            assert got_dynamic == got_compiled, (method, path)
            assert got_dynamic[:2] == expected[:2], (method, path, expected)
            if expected[0] == 0:
                assert list(got_dynamic[2]) == [str(v) for v in expected[2].values()], (method, path)
            checked += 1
    assert checked > 1000


DOCS_ROUTES = 4  # /openapi.json, /docs, /docs/oauth2-redirect, /redoc come first


def test_precedence_examples(tries):
    dynamic, _, _ = tries
    first = DOCS_ROUTES
    assert dynamic.match("GET", "/items/special")[:2] == (0, first + 3)  # /items/{item_id} was declared first
    assert dynamic.match("DELETE", "/items/special")[:2] == (0, first + 5)
    assert dynamic.match("POST", "/items/1") == (1, first + 3)  # 405 from the first partial match
    assert dynamic.match("GET", "/slash") == (2, "/slash/")
    assert dynamic.match("GET", "/files/a/b.txt") == (0, first + 8, ("a/b.txt",))
