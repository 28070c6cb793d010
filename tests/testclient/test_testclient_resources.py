"""The TestClient closes what it opens: keep-alive sockets are closed on `with` exit, on `close()`,
and when a client used without `with` is dropped (no reference cycle keeps it alive), so suites run
with `filterwarnings = error` (FastAPI's own, and many users') see no `ResourceWarning`."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import weakref

from astraapi import FastAPI
from astraapi.testclient import TestClient

app = FastAPI()


@app.get("/")
def root():
    return {"a": 1}


def test_a_dropped_client_is_freed_without_the_cycle_collector():
    gc.disable()
    try:
        client = TestClient(app)
        assert client.get("/").json() == {"a": 1}
        pool = client._connection.pool
        ref = weakref.ref(client)
        del client
        assert ref() is None  # freed by reference counting: nothing it owns points back at it
        assert pool._pool.connections == []  # and its finalizer closed the pooled socket
    finally:
        gc.enable()


def test_with_exit_closes_the_pooled_sockets():
    with TestClient(app) as client:
        assert client.get("/").json() == {"a": 1}
        assert len(client._connection.pool._pool.connections) == 1
    assert client._connection.pool._pool.connections == []
    assert client._server is None


def test_no_resource_warning_under_filterwarnings_error(tmp_path):
    (tmp_path / "test_leaky.py").write_text(textwrap.dedent('''
        import gc
        from astraapi import FastAPI
        from astraapi.testclient import TestClient

        app = FastAPI()

        @app.get("/")
        def root():
            return {"a": 1}

        def test_without_with():
            client = TestClient(app)
            assert client.get("/").json() == {"a": 1}
            assert client.get("/").json() == {"a": 1}

        def test_with_block():
            with TestClient(app) as client:
                assert client.get("/").status_code == 200

        def test_next_one_collects():
            gc.collect()
    '''))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error",
         "-W", "error::ResourceWarning", "-W", "error::pytest.PytestUnraisableExceptionWarning", "test_leaky.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout
    assert "ResourceWarning" not in run.stdout + run.stderr


def test_a_release_from_another_thread_never_waits_for_the_lock():
    """A client's finalizer can run from the GC on a server thread that is starting while the lock's
    holder (`_acquire`) waits for it: the release is handed over instead of waiting (a deadlock, seen
    as a 30 s timeout in FastAPI's suite), and applied by the next holder of the lock."""
    import threading

    from astraapi import testclient

    other = FastAPI()

    @other.get("/")
    def other_root():
        return {"b": 2}

    client = TestClient(other)
    assert client.get("/").json() == {"b": 2}
    server = client._connection.server
    assert testclient._servers.get(other) is server
    held, done = threading.Event(), threading.Event()

    def holder():  # holds the lock as _acquire does while a server starts
        with testclient._lock:
            held.set()
            done.wait(timeout=60)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(timeout=60)
        closer = threading.Thread(target=client.close)
        closer.start()
        closer.join(timeout=60)
        assert not closer.is_alive()  # it did not wait for the lock
        assert testclient._servers.get(other) is server  # not released yet: handed over
    finally:
        done.set()
        thread.join()
    with TestClient(app) as again:  # the next holder of the lock applies the release
        assert again.get("/").json() == {"a": 1}
    assert testclient._servers.get(other) is None
