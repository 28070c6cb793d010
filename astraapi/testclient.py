"""`TestClient`: FastAPI's test client API (an `httpx.Client`), backed by a real AstraAPI server.

The app is served by the native server (`astraapi._runtime.Server`) on 127.0.0.1, port chosen
by the kernel, driven by an asyncio loop in a background thread: one server per app, shared by
every client of that app, rebuilt when the app's routes change, and closed when the last
client is closed or at interpreter exit. Requests go through the same parser, router and
engine as production, in dynamic mode.

As in FastAPI: `base_url` is "http://testserver" (requests carry `Host: testserver` unless
given, so redirect locations are the same), redirects are followed by default, `with
TestClient(app) as client:` runs the app's lifespan (startup on enter, shutdown on exit), and
with `raise_server_exceptions=True` (the default) an exception that made the server answer 500
is raised again in the test, after the response arrived.

Known differences: `request.client` is the real peer (`127.0.0.1`, an ephemeral port), not
`("testclient", 50000)`; the `date` and `server` headers the server writes are removed from the
responses the client returns (FastAPI's in-process client has neither); an exception raised in
a background task, after the response was sent, is logged but not raised in the test;
`root_path=` is stored but not applied to requests; `websocket_connect` raises NotImplementedError
(WebSocket routes are not served yet). Needs httpx (an optional dependency, as in FastAPI).
"""

from __future__ import annotations

import asyncio
import atexit
import threading
import weakref
from collections.abc import Mapping
from typing import Any

try:
    import httpx
except ModuleNotFoundError as error:  # httpx is an optional dependency, as with FastAPI
    raise ModuleNotFoundError(
        "astraapi.testclient needs httpx: pip install httpx (or astraapi[testclient])", name="httpx"
    ) from error

from astraapi.engine.responses import server_error_sink

__all__ = ["TestClient"]

_DROPPED_HEADERS = frozenset({"date", "server"})


class _AppServer:
    """One app served on 127.0.0.1 from a background thread."""

    def __init__(self, app: Any) -> None:
        from astraapi.server.serve import prepare

        self.app = app
        self.routes_key = _routes_key(app)
        self.errors: list[BaseException] = []
        self.users = 0
        self.lifespan_users = 0
        target = prepare(app, mode="dynamic", host="127.0.0.1", port=0)
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.port = 0
        self._thread = threading.Thread(target=self._run, args=(target,), name="astraapi-testserver", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            raise self._startup_error

    def _run(self, target: Any) -> None:
        from astraapi import _runtime
        from astraapi.server.event_loop import new_event_loop

        server_error_sink.set(self.errors)  # inherited by every task the loop runs for this server
        try:
            loop = new_event_loop()
            asyncio.set_event_loop(loop)
            server = _runtime.Server(target.handler, target.make_trie(), target.host, target.port,
                                     **target.config.server_kwargs())
            server.route_unmatched = target.route_unmatched
        except BaseException as error:  # reported to the thread that waits for the server
            self._startup_error = error
            self._ready.set()
            return
        self.loop, self.port = loop, server.port
        try:
            loop.add_reader(server.fileno(), server.poll)
            self._ready.set()
            loop.run_forever()
        finally:
            loop.remove_reader(server.fileno())
            server.close()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def run(self, coroutine: Any) -> Any:
        """Run a coroutine on the server's loop and wait for its result."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def stop(self) -> None:
        if self.loop is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)


_servers: weakref.WeakKeyDictionary[Any, _AppServer] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _routes_key(app: Any) -> tuple[int, ...]:
    return tuple(id(route) for route in app.routes)


def _acquire(app: Any) -> _AppServer:
    with _lock:
        server = _servers.get(app)
        if server is not None and server.routes_key != _routes_key(app) and server.lifespan_users == 0:
            server.stop()  # the app changed since: serve what it declares now
            users, server = server.users, None
        else:
            users = 0
        if server is None:
            server = _servers[app] = _AppServer(app)
            server.users = users
        server.users += 1
        return server


def _release(server: _AppServer) -> None:
    with _lock:
        server.users -= 1
        if server.users <= 0:
            server.stop()
            if _servers.get(server.app) is server:
                del _servers[server.app]


@atexit.register
def _stop_all() -> None:
    with _lock:
        for server in list(_servers.values()):
            server.stop()
        _servers.clear()


class _Transport(httpx.BaseTransport):
    """Sends each request to the app's server, keeping the URL's host in the Host header."""

    def __init__(self, client: TestClient) -> None:
        self._client = client
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        server = self._client._server_for_request()
        forwarded = httpx.Request(request.method, request.url.copy_with(scheme="http", host="127.0.0.1",
                                                                        port=server.port),
                                  headers=request.headers, stream=request.stream, extensions=request.extensions)
        del server.errors[:]
        response = self._inner.handle_request(forwarded)
        response.read()
        for name in _DROPPED_HEADERS:
            if name in response.headers:
                del response.headers[name]
        if server.errors and self._client.raise_server_exceptions:
            error = server.errors[0]
            del server.errors[:]
            response.close()
            raise error
        return response

    def close(self) -> None:
        self._inner.close()


class TestClient(httpx.Client):
    """FastAPI's `TestClient(app)`: an httpx client for the app (see the module docstring)."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        app: Any,
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        root_path: str = "",
        backend: str = "asyncio",
        backend_options: dict[str, Any] | None = None,
        cookies: Any = None,
        headers: Mapping[str, str] | None = None,
        follow_redirects: bool = True,
        client: tuple[str, int] = ("testclient", 50000),
    ) -> None:
        self.app = app
        self.app_state: dict[str, Any] = {}
        self.raise_server_exceptions = raise_server_exceptions
        self.root_path = root_path
        self._server: _AppServer | None = None
        self._in_lifespan = False
        all_headers = {"user-agent": "testclient"}
        if headers is not None:
            all_headers.update(headers)
        super().__init__(
            base_url=base_url,
            headers=all_headers,
            transport=_Transport(self),
            follow_redirects=follow_redirects,
            cookies=cookies,
        )

    def _server_for_request(self) -> _AppServer:
        if self._server is None:
            self._server = _acquire(self.app)
        elif self._server.routes_key != _routes_key(self.app) and not self._in_lifespan:
            _release(self._server)
            self._server = _acquire(self.app)
        return self._server

    def websocket_connect(self, url: str, subprotocols: Any = None, **kwargs: Any) -> Any:
        from astraapi.websockets import WEBSOCKETS_NOT_SUPPORTED

        raise NotImplementedError(WEBSOCKETS_NOT_SUPPORTED)

    def __enter__(self) -> TestClient:
        server = self._server_for_request()
        server.lifespan_users += 1
        self._in_lifespan = True
        try:
            server.run(self.app.router.startup())
        except BaseException:
            server.lifespan_users -= 1
            self._in_lifespan = False
            raise
        self.app_state = dict(getattr(self.app.router, "lifespan_state", None) or {})
        return self

    def __exit__(self, *args: Any) -> None:
        server = self._server
        try:
            if server is not None and self._in_lifespan:
                try:
                    server.run(self.app.router.shutdown())
                finally:
                    server.lifespan_users -= 1
                    self._in_lifespan = False
        finally:
            self.close()

    def close(self) -> None:
        super().close()
        server, self._server = self._server, None
        if server is not None:
            _release(server)
