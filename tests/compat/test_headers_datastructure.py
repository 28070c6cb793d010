"""`Headers`/`MutableHeaders` are built and read as Starlette's are (libraries and middlewares build them
from a mapping, `raw=` or `scope=`), compared with Starlette's own classes on the same input."""

import pytest
from starlette.datastructures import Headers as StarletteHeaders

from astraapi.datastructures import Headers, MutableHeaders

RAW = [(b"content-type", b"text/plain"), (b"x-tag", b"a"), (b"x-tag", b"b")]


def views(headers) -> tuple:
    return (list(headers), headers.keys(), headers.values(), headers.items(), len(headers), dict(headers),
            headers.getlist("X-Tag"), headers.get("CONTENT-TYPE"), "x-tag" in headers, repr(headers))


@pytest.mark.parametrize("make", [
    lambda cls: cls({"Content-Type": "text/plain", "X-Tag": "a"}),
    lambda cls: cls(raw=list(RAW)),
    lambda cls: cls(scope={"headers": tuple(RAW)}),
    lambda cls: cls(),
], ids=["mapping", "raw", "scope", "empty"])
def test_views_match_starlette(make):
    assert views(make(Headers)) == views(make(StarletteHeaders))


def test_scope_headers_become_a_shared_list():
    scope = {"headers": tuple(RAW)}
    headers = MutableHeaders(scope=scope)
    headers["x-added"] = "1"
    assert scope["headers"][-1] == (b"x-added", b"1")


def test_mutablecopy_equality_and_one_source():
    headers = Headers({"a": "1"})
    copy = headers.mutablecopy()
    assert copy == headers and copy is not headers
    copy["b"] = "2"
    assert copy != headers and "b" not in headers
    assert Headers(raw=[(b"a", b"1"), (b"b", b"2")]) == Headers(raw=[(b"b", b"2"), (b"a", b"1")])
    with pytest.raises(TypeError):
        Headers({"a": "1"}, raw=[])
