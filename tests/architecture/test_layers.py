"""The layers of docs/internals.md ("Layers"), checked on the sources and on a serving process:
serving (dynamic or compiled) never imports the code generator (astraapi.compiler); the compiler
package imports no app or serving layer at module level; the module-level import graph of astraapi/
has no cycle."""

from __future__ import annotations

import httpx
import pytest

from support import import_graph
from support.paths import APPS_DIR, MODES

SERVING_LAYERS = ("astraapi.applications", "astraapi.routing", "astraapi.engine", "astraapi.server")


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


@pytest.mark.parametrize("mode", MODES)
def test_serving_imports_nothing_of_the_code_generator(start_server, mode):
    server = start_server("layers_app:app", mode, cwd=APPS_DIR)
    assert httpx.get(server.base_url + "/items/3?q=x", timeout=10).json() == {"item_id": 3, "q": "x"}
    created = httpx.post(server.base_url + "/items?q=k", json={"name": "a", "price": 1.5}, timeout=10)
    assert created.json() == {"item": {"name": "a", "price": 1.5}, "tag": "k"}
    assert httpx.get(server.base_url + "/openapi.json", timeout=10).status_code == 200
    loaded = httpx.get(server.base_url + "/modules", timeout=10).json()
    assert "astraapi.engine.executor" in loaded  # the list is the serving process's
    assert [name for name in loaded if _within(name, ("astraapi.compiler",))] == []


def test_the_compiler_imports_no_app_or_serving_layer_at_module_level():
    edges = import_graph.graph()
    reaches = {(module, target) for module, targets in edges.items() if _within(module, ("astraapi.compiler",))
               for target in targets if _within(target, SERVING_LAYERS)}
    assert sorted(reaches) == []


def test_the_front_half_imports_neither_the_compiler_nor_serving_at_module_level():
    edges = import_graph.graph()
    reaches = {(module, target) for module, targets in edges.items()
               if _within(module, ("astraapi.ir", "astraapi.introspection"))
               for target in targets if _within(target, ("astraapi.compiler", "astraapi.engine", "astraapi.server"))}
    assert sorted(reaches) == []


def test_the_engine_never_imports_serving_even_lazily():
    """The engine serves both servers (the native one and the ASGI entry): what it needs of serving
    (a mounted app's middlewares) is handed to it (Executor(wrap_handler=...))."""
    reaches = {(name, target) for name, path in import_graph.modules().items() if _within(name, ("astraapi.engine",))
               for target in import_graph.every_import(path) if _within(target, ("astraapi.server",))}
    assert sorted(reaches) == []


def test_the_module_level_import_graph_has_no_cycle():
    edges = import_graph.graph()
    assert "astraapi.introspection.app" in edges["astraapi.engine.executor"]  # the graph is read
    assert import_graph.cycles(edges) == []


def test_the_cycle_finder_finds_a_cycle():
    assert import_graph.cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_graph.cycles({"a": {"b"}, "b": set()}) == []
