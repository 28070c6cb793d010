"""Fixtures for the native runtime tests: astraapi._runtime over real sockets on 127.0.0.1.

Each server runs in a background thread with its own asyncio loop, the epoll descriptor
registered with loop.add_reader(fd, server.poll), exactly as a worker does. Everything a
test starts is stopped at teardown, with bounded waits.
"""

from __future__ import annotations

import pytest

from support.raw_server import Client, RunningServer, make_trie, strip_date


@pytest.fixture
def trie_of():
    return make_trie


@pytest.fixture
def serve():
    started: list[RunningServer] = []

    def start(handler, routes, **kwargs) -> RunningServer:
        s = RunningServer(handler, routes, **kwargs)
        started.append(s)
        return s

    yield start
    errors = []
    for s in started:
        s.stop()
        errors += s.errors
    assert not errors, f"poll() raised: {errors!r}"


@pytest.fixture
def connect():
    clients: list[Client] = []

    def open_client(port, timeout=5.0) -> Client:
        c = Client(port, timeout)
        clients.append(c)
        return c

    yield open_client
    for c in clients:
        c.close()


@pytest.fixture
def nodate():
    return strip_date
