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

Like FastAPI's in-process client, a request returns once the app is done with it: the client waits
(bounded) for the request's task, so a `yield` dependency's exit code and background tasks have run,
and an exception raised there (or by a streamed item) is raised in the test. Sockets: the client
holds no reference cycle; its pooled keep-alive connections are closed on `with` exit, `close()`, or
when a client used without `with` is garbage collected (no `ResourceWarning`).

Known differences (docs/compat-differences.md): `request.client` is the real peer (`127.0.0.1`, an
ephemeral port), not `("testclient", 50000)`; the `date` and `server` headers the server writes are
removed from the responses the client returns (FastAPI's in-process client has neither);
`root_path=` is the server's root path for the client's requests (`request.scope["root_path"]`,
`base_url`, OpenAPI `servers`), not stripped from the path by the native router; the app runs on the
server's own thread and loop (asyncio), so `backend="trio"` is ignored, but each request is read in a copy
of the test's context (context variables set in the test reach the app, as in FastAPI's client).
`TestClient(asgi_app)` with any ASGI callable serves it mounted at the root of a host app. With
`raise_server_exceptions=False`, an app that fails after its answer started gives what was sent; a
WebSocket endpoint's error is raised when the test leaves its session whatever that setting says, as
Starlette's is (before that, with False, the session reads the dropped connection: `WebSocketDisconnect`
1006).
Needs httpx (an optional dependency, as in FastAPI).

`websocket_connect(path, subprotocols=..., headers=...)` opens a real WebSocket to the server (RFC
6455 client: masked frames over a socket) and returns Starlette's `WebSocketTestSession` API. A
handshake the app closes before accepting reaches the wire as uvicorn's 403; the client then raises
`WebSocketDisconnect` with the code and reason the app gave (the server records them for its test
clients, `astraapi.websockets.handshake_close_sink`), as Starlette's in-process client does.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
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
from astraapi.requests import server_root_path
from astraapi.websockets import WebSocketDisconnect, handshake_close_sink  # noqa: F401 (Starlette's testclient has it too)
from astraapi._testclient_websocket import (  # noqa: F401 (re-exported)
    WebSocketDenialResponse,
    WebSocketTestSession,
    _denial,
    _disconnect,
    open_websocket,
)

__all__ = ["TestClient", "WebSocketDenialResponse", "WebSocketTestSession"]

_DROPPED_HEADERS = frozenset({"date", "server"})


class _AppServer:
    """One app served on 127.0.0.1 from a background thread."""

    def __init__(self, app: Any) -> None:
        from astraapi.server.serve import prepare

        self.app = app
        self.routes_key = _routes_key(app)
        self.served = app if hasattr(app, "router") else _asgi_host(app)
        self.errors: list[BaseException] = []
        self.handshake_closes: list[tuple[int, int, Any]] = []
        self.users = 0
        self.lifespan_users = 0
        target = prepare(self.served, mode="dynamic", host="127.0.0.1", port=0)
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
        from astraapi.server.event_loop import new_event_loop
        from astraapi.server.worker import native_server

        server_error_sink.set(self.errors)  # inherited by every task the loop runs for this server
        handshake_close_sink.set(self.handshake_closes)
        try:
            loop = new_event_loop()
            asyncio.set_event_loop(loop)
            server = native_server(target)
        except BaseException as error:  # reported to the thread that waits for the server
            self._startup_error = error
            self._ready.set()
            return
        self.loop, self.port = loop, server.port
        self._native = server
        try:
            loop.add_reader(server.fileno(), server.poll)
            self._ready.set()
            loop.run_forever()
        finally:
            loop.remove_reader(self._native.fileno())
            self._native.close()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def reload(self) -> None:
        """Serve the routes the app declares now (a route added since, to the app or to an included router,
        which FastAPI serves live) without leaving the lifespan: a new native server on the same loop
        replaces the old one; the lifespan and its state (kept on the app's router) stay."""
        from astraapi.server.serve import prepare
        from astraapi.server.worker import native_server

        target = prepare(self.served, mode="dynamic", host="127.0.0.1", port=0)

        async def swap() -> None:
            assert self.loop is not None
            server = native_server(target)
            old, self._native = self._native, server
            self.loop.remove_reader(old.fileno())
            old.close()
            # the reader runs in the context it is added from: the one _run gives the server's tasks
            server_error_sink.set(self.errors)
            handshake_close_sink.set(self.handshake_closes)
            self.loop.add_reader(server.fileno(), server.poll)
            self.port = server.port

        self.run(swap())
        self.routes_key = _routes_key(self.app)

    def run(self, coroutine: Any) -> Any:
        """Run a coroutine on the server's loop and wait for its result."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def rebind_reader(self) -> None:
        """Register the server's reader again, from the running (loop) thread's current context."""
        assert self.loop is not None
        self.loop.remove_reader(self._native.fileno())
        self.loop.add_reader(self._native.fileno(), self._native.poll)

    def stop(self) -> None:
        if self.loop is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            if threading.current_thread() is not self._thread:  # a finalizer may run on the server's thread
                self._thread.join(timeout=10)


_servers: weakref.WeakKeyDictionary[Any, _AppServer] = weakref.WeakKeyDictionary()
_lock = threading.RLock()  # re-entrant: a client's finalizer may run from the GC while it is held


def _routes_key(app: Any) -> tuple[int, ...]:
    routes = getattr(app, "routes", None)
    router = getattr(app, "router", None)
    # the versions count changes of included routers (their routes are served live, FastAPI 0.165)
    version = router._get_routes_version() if hasattr(router, "_get_routes_version") else 0
    return (*(id(route) for route in routes), version) if routes is not None else ()


def _asgi_host(asgi: Any) -> Any:
    """An app that serves a plain ASGI application (not an AstraAPI app) on the test server: all of it
    mounted at the root, its lifespan run through the ASGI lifespan protocol."""
    from contextlib import asynccontextmanager

    from astraapi.applications import AstraAPI

    @asynccontextmanager
    async def lifespan(_: Any) -> Any:
        async with _asgi_lifespan(asgi):
            yield

    host = AstraAPI(openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan)
    host.mount("", asgi)
    return host


@contextlib.asynccontextmanager
async def _asgi_lifespan(asgi: Any) -> Any:
    """Drive `asgi`'s lifespan protocol (startup on enter, shutdown on exit), as Starlette's client does."""
    to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    from_app: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    async def send(message: dict[str, Any]) -> None:
        await from_app.put(message)

    async def run() -> None:
        try:
            await asgi({"type": "lifespan", "state": {}, "asgi": {"version": "3.0", "spec_version": "2.0"}},
                       to_app.get, send)
        finally:
            await from_app.put(None)

    task = asyncio.ensure_future(run())
    await to_app.put({"type": "lifespan.startup"})
    message = await from_app.get()
    if message is None or message["type"] == "lifespan.startup.failed":
        await task  # raises what the app raised
        raise RuntimeError(message["message"] if message else "the app's lifespan ended before its startup completed")
    try:
        yield
    finally:
        await to_app.put({"type": "lifespan.shutdown"})
        message = await from_app.get()
        if message is not None and message["type"] == "lifespan.shutdown.failed":
            await task
            raise RuntimeError(message.get("message", ""))
        await task


# Releases that found the lock held by another thread: a client's finalizer can run from the GC on a
# server thread while the lock's holder waits for that thread (`_acquire` starting a server), so a
# release never blocks on the lock; the next holder applies the deferred ones.
_deferred_releases: list[_AppServer] = []


def _apply_deferred() -> None:
    while _deferred_releases:
        _release_locked(_deferred_releases.pop())


def _acquire(app: Any) -> _AppServer:
    with _lock:
        _apply_deferred()
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
    if not _lock.acquire(blocking=False):
        _deferred_releases.append(server)  # list.append is atomic: no lock needed to hand it over
        return
    try:
        _apply_deferred()
        _release_locked(server)
    finally:
        _lock.release()


def _release_locked(server: _AppServer) -> None:
    server.users -= 1
    if server.users <= 0:
        server.stop()
        if _servers.get(server.app) is server:
            del _servers[server.app]


@atexit.register
def _stop_all() -> None:
    with _lock:
        _deferred_releases.clear()
        for server in list(_servers.values()):
            server.stop()
        _servers.clear()


class _Connection:
    """What a client shares with its transport and its finalizer: the app, and the server it holds.

    Kept apart from the client so that nothing the client owns points back at it: the client is
    freed as soon as the test drops it, and its finalizer (which must not reference the client)
    closes the pooled keep-alive sockets and releases the server."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.server: _AppServer | None = None
        self.in_lifespan = False
        self.raise_server_exceptions = True
        self.root_path = ""
        self.pool = httpx.HTTPTransport()

    def server_for_request(self) -> _AppServer:
        if self.server is None:
            self.server = _acquire(self.app)
        elif self.server.routes_key != _routes_key(self.app):
            if self.server.lifespan_users:  # inside the lifespan: the same loop serves the new routes
                self.server.reload()
            else:
                _release(self.server)
                self.server = _acquire(self.app)
        return self.server

    def close(self) -> None:
        """Close the pool's sockets and release the server (idempotent; also the GC finalizer)."""
        self.pool.close()
        server, self.server = self.server, None
        if server is not None:
            _release(server)

    def release(self) -> None:
        """The end of a `with` block: the pooled sockets closed and the server released, the client still
        usable (as Starlette's TestClient: a later request serves the app again, without its lifespan)."""
        self.close()
        self.pool = httpx.HTTPTransport()


_SETTLE_TIMEOUT = 30.0


async def _tasks() -> set[asyncio.Task[Any]]:
    return asyncio.all_tasks()


async def _bind(server: _AppServer, root_path: str) -> set[asyncio.Task[Any]]:
    """Serve the next requests in the calling test's context, and with its client's `root_path`.

    This coroutine runs in a copy of the context of the thread that sent it (`run_coroutine_threadsafe`);
    the server's reader is registered again from here, so the server handles what it reads next in a copy
    of that context: the test's context variables reach the app, as with FastAPI's in-process client
    (the values are shared, so an object the app changes is the test's object). Returns the tasks
    running now (see `_settle`)."""
    server_error_sink.set(server.errors)
    handshake_close_sink.set(server.handshake_closes)
    server_root_path.set(root_path)
    server.rebind_reader()
    return asyncio.all_tasks()


_ENGINE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "engine") + os.sep


def _is_request_task(task: asyncio.Task[Any]) -> bool:
    """A task the engine runs for an HTTP request (not a WebSocket session, not a task the app spawned)."""
    coroutine = task.get_coro()
    code = getattr(coroutine, "cr_code", None)
    return (code is not None and code.co_filename.startswith(_ENGINE_DIR)
            and code.co_name != "run_websocket")


async def _settle(before: set[asyncio.Task[Any]]) -> None:
    """Wait (bounded) for the request tasks the engine started since `before`."""
    started = [task for task in asyncio.all_tasks() if task not in before and _is_request_task(task)]
    if started:
        await asyncio.wait(started, timeout=_SETTLE_TIMEOUT)


async def _settle_websockets() -> None:
    """Wait (briefly) for the server's WebSocket session tasks, so a closed session's outcome is recorded."""
    sessions = [task for task in asyncio.all_tasks()
                if getattr(getattr(task.get_coro(), "cr_code", None), "co_name", "") == "run_websocket"]
    if sessions:
        await asyncio.wait(sessions, timeout=2.0)


_OWS = " \t"


def _wire_headers(request: httpx.Request) -> list[tuple[bytes, bytes]]:
    """The request's headers as the server receives them: each value without the whitespace around it (HTTP
    excludes it from the field value, RFC 9110 5.5; the client library refuses to send it). For an https
    base_url, the scheme goes to the server as a trusted proxy gives it (X-Forwarded-Proto from 127.0.0.1:
    `request.url`, redirects and HTTPSRedirect see https), the connection itself being plain HTTP."""
    headers = [(name, value.strip(_OWS.encode())) for name, value in request.headers.raw]
    if request.url.scheme == "https" and not any(name.lower() == b"x-forwarded-proto" for name, _ in headers):
        headers.append((b"x-forwarded-proto", b"https"))
    return headers


class _Transport(httpx.BaseTransport):
    """Sends each request to the app's server, keeping the URL's host in the Host header."""

    def __init__(self, connection: _Connection) -> None:
        self._connection = connection

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        connection = self._connection
        server = connection.server_for_request()
        forwarded = httpx.Request(request.method, request.url.copy_with(scheme="http", host="127.0.0.1",
                                                                        port=server.port),
                                  headers=_wire_headers(request), stream=request.stream,
                                  extensions=request.extensions)
        del server.errors[:]
        before = server.run(_bind(server, connection.root_path))
        response = None
        received: list[bytes] = []
        try:
            response = connection.pool.handle_request(forwarded)
            try:
                received.extend(response.iter_raw())
            finally:
                response.close()
        except httpx.TransportError:  # the server cut the answer short: its error explains why
            server.run(_settle(before))
            if server.errors and connection.raise_server_exceptions:
                raise server.errors.pop(0) from None
            if response is None or not server.errors:
                raise
            # The app failed after its answer started (raise_server_exceptions=False): as FastAPI's in-process
            # client does, the response is what was sent before the failure.
            del server.errors[:]
            partial = httpx.Response(response.status_code, headers=[
                (name, value) for name, value in response.headers.multi_items()
                if name.lower() not in ("content-length", "transfer-encoding", *_DROPPED_HEADERS)],
                stream=httpx.ByteStream(b"".join(received)), request=request, extensions=response.extensions)
            partial.read()
            return partial
        # the bytes as received (decoded by their content-encoding when read, as before), no header added
        response = httpx.Response(response.status_code, headers=response.headers,
                                  stream=httpx.ByteStream(b"".join(received)), request=forwarded,
                                  extensions=response.extensions)
        response.read()
        # As FastAPI's in-process client returns once the app returned: let the request's task finish
        # (`yield` dependencies' exit code, background tasks), so an error raised there is raised here.
        server.run(_settle(before))
        for name in _DROPPED_HEADERS:
            if name in response.headers:
                del response.headers[name]
        if server.errors and connection.raise_server_exceptions:
            error = server.errors[0]
            del server.errors[:]
            raise error
        del server.errors[:]  # not raised: not kept either (their tracebacks hold the request's objects)
        return response

    def close(self) -> None:
        self._connection.close()


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
        self._connection = _Connection(app)
        self.raise_server_exceptions = raise_server_exceptions
        self._connection.root_path = root_path
        # Closes the keep-alive sockets and releases the server when a client used without `with`
        # (and never closed) is garbage collected, or at interpreter exit.
        self._finalizer = weakref.finalize(self, self._connection.close)
        all_headers = {"user-agent": "testclient"}
        if headers is not None:
            all_headers.update(headers)
        super().__init__(
            base_url=base_url,
            headers=all_headers,
            transport=_Transport(self._connection),
            follow_redirects=follow_redirects,
            cookies=cookies,
        )

    @property
    def raise_server_exceptions(self) -> bool:
        return self._connection.raise_server_exceptions

    @raise_server_exceptions.setter
    def raise_server_exceptions(self, value: bool) -> None:
        self._connection.raise_server_exceptions = value

    @property
    def root_path(self) -> str:
        return self._connection.root_path

    @root_path.setter
    def root_path(self, value: str) -> None:
        self._connection.root_path = value

    @property
    def _server(self) -> _AppServer | None:
        return self._connection.server

    def _server_for_request(self) -> _AppServer:
        return self._connection.server_for_request()

    def websocket_connect(self, url: str, subprotocols: Any = None, **kwargs: Any) -> WebSocketTestSession:
        """Open a WebSocket to the app (Starlette's signature: `headers=`, `params=`, `cookies=`...)."""
        server = self._server_for_request()
        request = self.build_request("GET", url, headers=kwargs.get("headers"), params=kwargs.get("params"),
                                     cookies=kwargs.get("cookies"))
        target = request.url.raw_path.decode("ascii")
        lines = [f"GET {target} HTTP/1.1"]
        skip = {"connection", "upgrade", "sec-websocket-key", "sec-websocket-version", "sec-websocket-protocol",
                "accept-encoding", "content-length", "transfer-encoding"}
        for name, value in request.headers.multi_items():
            if name.lower() not in skip:
                lines.append(f"{name}: {value}")
        del server.errors[:]
        server.run(_bind(server, self.root_path))
        status, headers, body, sock, reader = open_websocket(server.port, target, lines[1:], subprotocols)
        if status != 101:
            local_port = sock.getsockname()[1]
            sock.close()
            self._raise_server_error(server)
            for entry in list(server.handshake_closes):
                if entry[0] == local_port:
                    server.handshake_closes.remove(entry)
                    if entry[1] is None:  # the app sent a denial response
                        raise _denial(status, headers, body)
                    raise _disconnect(code=entry[1], reason=entry[2])
            if status == 403:  # no WebSocket route for the path: Starlette's router closes with 1000
                raise _disconnect(code=1000)
            raise _denial(status, headers, body)
        return WebSocketTestSession(self, server, sock, reader, headers)

    def _raise_server_error(self, server: _AppServer, *, always: bool = False) -> None:
        if server.errors and (always or self.raise_server_exceptions):
            error = server.errors[0]
            del server.errors[:]
            raise error

    def __enter__(self) -> TestClient:
        server = self._server_for_request()
        server.lifespan_users += 1
        self._connection.in_lifespan = True
        try:
            server.run(server.served.router.startup())
        except BaseException:
            server.lifespan_users -= 1
            self._connection.in_lifespan = False
            raise
        self.app_state = dict(getattr(server.served.router, "lifespan_state", None) or {})
        return self

    def __exit__(self, *args: Any) -> None:
        server = self._server
        try:
            if server is not None and self._connection.in_lifespan:
                try:
                    server.run(server.served.router.shutdown())
                finally:
                    server.lifespan_users -= 1
                    self._connection.in_lifespan = False
        finally:
            self._connection.release()

    def close(self) -> None:
        super().close()  # closes the transport: the pool's sockets, and the server is released
        self._connection.close()
