"""astraapi._runtime.Trie: FastAPI/Starlette matching semantics over trie.h tables."""

from __future__ import annotations

import pytest

from astraapi import _runtime

UUID = "123e4567-e89b-12d3-a456-426614174000"


def test_declaration_order_wins(trie_of):
    t = trie_of([(("GET",), "/users/{id}"), (("GET",), "/users/me")])
    assert t.match("GET", "/users/me") == (0, 0, ("me",))
    t = trie_of([(("GET",), "/users/me"), (("GET",), "/users/{id}")])
    assert t.match("GET", "/users/me") == (0, 0, ())
    assert t.match("GET", "/users/7") == (0, 1, ("7",))


def test_full_match_beats_earlier_partial(trie_of):
    t = trie_of([(("POST",), "/items/{id}"), (("GET",), "/items/{id}")])
    assert t.match("GET", "/items/1") == (0, 1, ("1",))
    assert t.match("PUT", "/items/1") == (1, 0)  # the first partial gives the Allow header


def test_405_from_first_partial(trie_of):
    t = trie_of([(("GET",), "/a/{x}"), (("POST", "PUT"), "/a/b"), (("DELETE",), "/a/{x:int}")])
    assert t.match("PATCH", "/a/b") == (1, 0)
    assert t.match("POST", "/a/b") == (0, 1, ())
    assert t.match("DELETE", "/a/5") == (0, 2, ("5",))
    assert t.match("PATCH", "/a/5") == (1, 0)


def test_unknown_method_is_partial(trie_of):
    t = trie_of([(("GET",), "/a")])
    assert t.match("PROPFIND", "/a") == (1, 0)
    assert t.match("get", "/a") == (1, 0)  # methods are case-sensitive


def test_extension_methods_match_by_name(trie_of):
    """A method without a bit of its own (QUERY, PROPFIND, a custom one) matches a route whose methods
    name it, and is partial (405) on a route that declares only other extension methods."""
    t = trie_of([(("QUERY",), "/a"), (("PROPFIND", "CUSTOM"), "/a"), (("GET",), "/a"), (("COPY",), "/b/{x}")])
    assert t.match("QUERY", "/a") == (0, 0, ())
    assert t.match("PROPFIND", "/a") == (0, 1, ())
    assert t.match("CUSTOM", "/a") == (0, 1, ())
    assert t.match("GET", "/a") == (0, 2, ())
    assert t.match("LOCK", "/a") == (1, 0)
    assert t.match("CUST", "/a") == (1, 0)  # a prefix of a declared name is not that name
    assert t.match("COPY", "/b/1") == (0, 3, ("1",))
    assert t.match("QUERY", "/b/1") == (1, 3)
    assert t.match("GET", "/b/1") == (1, 3)


@pytest.mark.parametrize("kind,ok,bad", [
    ("str", ["a", "a b", "1.5", "é"], [""]),
    ("int", ["0", "123", "007"], ["", "-1", "1.0", "a", "1a"]),
    ("float", ["1", "1.5", "0.25"], ["", ".5", "1.", "1.5.2", "-1.0", "1e5"]),
    ("uuid", [UUID], [UUID.upper(), UUID[:-1], UUID.replace("-", ""), "x" * 36]),
])
def test_param_kinds(trie_of, kind, ok, bad):
    t = trie_of([(("GET",), "/v/{p:%s}" % kind), (("GET",), "/v/{p}/tail")])
    for value in ok:
        assert t.match("GET", "/v/" + value) == (0, 0, (value,)), value
    for value in bad:
        assert t.match("GET", "/v/" + value)[0] != 0, value


def test_path_kind_consumes_rest(trie_of):
    t = trie_of([(("GET",), "/files/{p:path}"), (("GET",), "/other")])
    assert t.match("GET", "/files/a/b/c.txt") == (0, 0, ("a/b/c.txt",))
    assert t.match("GET", "/files/") == (0, 0, ("",))
    assert t.match("GET", "/files//x/") == (0, 0, ("/x/",))
    assert t.match("GET", "/files")[0] == 2  # -> /files/ by the trailing-slash redirect


def test_root_and_trailing_slash_routes(trie_of):
    t = trie_of([(("GET",), "/"), (("GET",), "/a/"), (("GET",), "/b")])
    assert t.match("GET", "/") == (0, 0, ())
    assert t.match("GET", "/a/") == (0, 1, ())
    assert t.match("GET", "/b") == (0, 2, ())


def test_redirect_toggle_both_ways(trie_of):
    t = trie_of([(("GET",), "/a/"), (("POST",), "/b")])
    assert t.match("GET", "/a") == (2, "/a/")
    assert t.match("GET", "/b/") == (2, "/b")     # partial match on the toggled path still redirects
    assert t.match("GET", "/b//") == (2, "/b")    # rstrip('/') like Starlette
    assert t.match("GET", "/c") == (3,)
    assert t.match("GET", "/") == (3,)
    assert t.match("GET", "//") == (3,)


def test_redirect_off(trie_of):
    t = trie_of([(("GET",), "/a/")], redirect_slashes=False)
    assert t.match("GET", "/a") == (3,)


def test_no_match_cases(trie_of):
    t = trie_of([(("GET",), "/a/{x}/c")])
    assert t.match("GET", "/a//c") == (3,)
    assert t.match("GET", "") == (3,)
    assert t.match("GET", "a/b/c") == (3,)
    assert t.match("GET", "/a/b/c") == (0, 0, ("b",))


def test_many_params_in_order(trie_of):
    t = trie_of([(("GET",), "/{a}/{b:int}/x/{c:float}/{d:path}")])
    assert t.match("GET", "/q/1/x/2.5/r/s") == (0, 0, ("q", "1", "2.5", "r/s"))


def test_static_preferred_only_by_index(trie_of):
    routes = [(("GET",), "/{a}/{b}"), (("GET",), "/x/y"), (("GET",), "/x/{b}")]
    t = trie_of(routes)
    assert t.match("GET", "/x/y") == (0, 0, ("x", "y"))


def test_invalid_tables_rejected():
    ok_nodes = [(0, 1, 0, 0, 0, 0, 0), (1, 0, 0, 0, 0, 1, 0)]
    _runtime.Trie.from_tables(ok_nodes, [("a", 1)], [], [0], [(1, "GET", 0)], True)
    with pytest.raises(ValueError):
        _runtime.Trie.from_tables(ok_nodes, [("a", 5)], [], [0], [(1, "GET", 0)], True)  # child out of range
    with pytest.raises(ValueError):
        _runtime.Trie.from_tables(ok_nodes, [("a", 1)], [], [3], [(1, "GET", 0)], True)  # route out of range
    with pytest.raises(ValueError):
        _runtime.Trie.from_tables([], [], [], [], [], True)  # no root
    with pytest.raises(ValueError):  # unsorted edges
        _runtime.Trie.from_tables([(0, 2, 0, 0, 0, 0, 0), (2, 0, 0, 0, 0, 0, 0), (2, 0, 0, 0, 0, 0, 0)],
                                  [("bb", 1), ("a", 2)], [], [], [], True)
    with pytest.raises(ValueError):  # min_route too large (would prune a real match)
        _runtime.Trie.from_tables([(0, 1, 0, 0, 0, 0, 1), (1, 0, 0, 0, 0, 1, 0)], [("a", 1)], [], [0],
                                  [(1, "GET", 0)], True)


def test_matches_compiler_tables_if_available():
    trie_mod = pytest.importorskip("astraapi.ir.trie")
    assert trie_mod.split_path("/") == [""] and trie_mod.split_path("/a/b/") == ["a", "b", ""]
