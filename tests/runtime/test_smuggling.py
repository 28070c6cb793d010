"""The smuggling/framing table (smuggling_vectors.py) against the native server: each vector
gets the answer the RFC calls for, the connection is closed where it must be, and the handler
sees exactly the requests the vector legitimately holds (never the smuggled `/admin`)."""

from __future__ import annotations

import pytest

from support.raw_server import RunningServer
from smuggling_vectors import VECTORS, exchange

ROUTES = [(("GET", "HEAD", "POST"), "/"), (("GET",), "/admin")]


class Recorder:
    def __init__(self):
        self.seen = []

    def handler(self, request, route, params):
        self.seen.append((request.method, request.path, request.body))
        return 200, None, b"{}"


@pytest.fixture(scope="module")
def target():
    recorder = Recorder()
    server = RunningServer(recorder.handler, ROUTES)
    yield server, recorder
    server.stop()
    assert not server.errors


def test_table_is_big_enough():
    assert len(VECTORS) >= 30
    assert len({v.id for v in VECTORS}) == len(VECTORS)


@pytest.mark.parametrize("vector", VECTORS, ids=[v.id for v in VECTORS])
def test_vector(target, vector):
    server, recorder = target
    recorder.seen.clear()
    status, closed, data = exchange(server.port, vector.raw, quiet=0.4)
    assert (status, closed) == (vector.status, vector.closed), data[:200]
    assert tuple(recorder.seen) == vector.seen
    assert all(path != "/admin" for _, path, _ in recorder.seen)
    if vector.status is not None and vector.status >= 400:
        assert data.count(b"HTTP/1.1 ") == 1, data  # one answer, nothing parsed after it
        assert b"\r\nconnection: close\r\n" in data
