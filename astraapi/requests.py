"""`Request`: the endpoint's view of the request, a thin wrapper over the server's request object."""

from __future__ import annotations

import json
from contextvars import ContextVar
from typing import Any

from astraapi.datastructures import Address, Headers, QueryParams, State, parse_cookie_header


# The root path the server serves the app under (uvicorn's `--root-path`; `TestClient(root_path=...)` sets
# it for the requests of its client), for requests whose scope does not already carry one.
server_root_path: ContextVar[str] = ContextVar("astraapi_server_root_path", default="")


def root_path_of(native: Any, app: Any) -> str:
    """A request's ASGI `root_path`: its ASGI scope's (under an ASGI server, `app.root_path` already
    applied), else the app's `root_path=`, else the server's root path."""
    root = getattr(native, "root_path", None)
    if root is None:
        root = getattr(app, "root_path", "") or server_root_path.get()
    return root


class URL:
    """The request URL as Starlette builds it: `scheme://host/path?query`, the host taken from the
    Host header (`netloc` is empty when the request had none: the URL is then relative)."""

    __slots__ = ("path", "query", "scheme", "netloc")

    def __init__(self, path: str, query: str, scheme: str = "http", netloc: str = "") -> None:
        self.path = path
        self.query = query
        self.scheme = scheme  # "https" etc. when a trusted proxy says so (--proxy-headers)
        self.netloc = netloc

    @property
    def hostname(self) -> str | None:
        host = self.netloc.rpartition("@")[2]
        if host.startswith("["):
            return host[1:].partition("]")[0] or None
        return host.partition(":")[0] or None

    @property
    def port(self) -> int | None:
        host = self.netloc.rpartition("@")[2]
        if host.startswith("["):
            host = host.partition("]")[2]
        text = host.rpartition(":")[2] if ":" in host else ""
        return int(text) if text.isdigit() else None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (str, URL)) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __str__(self) -> str:
        relative = self.path + ("?" + self.query if self.query else "")
        return f"{self.scheme}://{self.netloc}{relative}" if self.netloc else relative

    def __repr__(self) -> str:
        return f"URL({str(self)!r})"


class HTTPConnection:
    """Wraps the native request (see docs/internals.md, `astraapi._runtime.Request`).

    `state` is per request (a copy of what the app's lifespan yielded, when it yielded a
    mapping); `app` is the application serving the request, when the engine knows it."""

    __slots__ = ("_native", "path_params", "_query_params", "_headers", "_cookies", "_json", "_state", "app",
                 "_form", "_receive", "__weakref__")

    def __init__(self, native: Any, path_params: Any = None, *, app: Any = None,
                 state: Any = None) -> None:
        self._receive: Any = None
        if isinstance(native, dict):
            # Starlette's `Request(scope, receive)` (a custom route class's `GzipRequest(request.scope,
            # request.receive)`): the request `receive` came from, else one read from the scope and `receive`.
            scope, receive = native, path_params
            native = getattr(receive, "native", None)
            if native is None:
                from astraapi.asgi.request import ASGIRequest

                native = ASGIRequest(scope, b"")
                self._receive = receive
            path_params = scope.get("path_params")
            app = app if app is not None else scope.get("app")
            if state is None:
                state = scope.get("state")
        self._native = native
        self.path_params: dict[str, Any] = path_params if path_params is not None else {}
        self._query_params: QueryParams | None = None
        self._headers: Headers | None = None
        self._cookies: dict[str, str] | None = None
        self._json: Any = None
        self._state: Any = state
        self._form: Any = None
        self.app = app

    @property
    def state(self) -> State:
        if not isinstance(self._state, State):
            # Below a Python middleware, one dict per request shared by every layer (Starlette's
            # scope["state"]): astraapi/middleware/chain.py InnerRequest.
            shared = getattr(self._native, "state_dict", None) if hasattr(self._native, "through_python") else None
            if shared is not None:
                self._state = State(shared)
            else:
                self._state = State(dict(self._state) if self._state else {})
        return self._state

    def _given_scope(self) -> dict[str, Any] | None:
        """The ASGI scope the request came with: an ASGI server's (astraapi.asgi.request), or the one a pure
        ASGI middleware on the native server passed down (astraapi.asgi.bridge); None for a plain native request."""
        native = self._native
        given = getattr(native, "asgi_scope", None)
        return given if given is not None else getattr(native, "scope", None)

    def _scope_key(self, key: str, middleware: str) -> Any:
        given = self._given_scope()
        if given is None or key not in given:
            raise AssertionError(f"{middleware} must be installed to access request.{key}")
        return given[key]

    @property
    def session(self) -> dict[str, Any]:
        """What Starlette's SessionMiddleware put in the scope (Starlette's assertion without it)."""
        return self._scope_key("session", "SessionMiddleware")

    @property
    def auth(self) -> Any:
        return self._scope_key("auth", "AuthenticationMiddleware")

    @property
    def user(self) -> Any:
        return self._scope_key("user", "AuthenticationMiddleware")

    @property
    def method(self) -> str:
        return self._native.method

    @property
    def scope(self) -> dict[str, Any]:
        """The ASGI scope: the one the request came with (an ASGI server's, or what an ASGI middleware passed
        down), else one built from the native request on each access (astraapi.asgi.scope.http_scope)."""
        scope = self._given_scope()
        if scope is None:
            from astraapi.asgi.scope import add_matched_route, http_scope

            scope = http_scope(self._native, self.app)
            scope["path_params"] = self.path_params
            scope["state"] = self.state
            add_matched_route(scope, self.app)
        return scope

    # Starlette's HTTPConnection is a Mapping over its scope (`request["path"]`): libraries read it so.
    def __getitem__(self, key: str) -> Any:
        return self.scope[key]

    def __iter__(self) -> Any:
        return iter(self.scope)

    def __len__(self) -> int:
        return len(self.scope)

    def __contains__(self, key: object) -> bool:
        return key in self.scope

    def get(self, key: str, default: Any = None) -> Any:
        return self.scope.get(key, default)

    def keys(self) -> Any:
        return self.scope.keys()

    def items(self) -> Any:
        return self.scope.items()

    def values(self) -> Any:
        return self.scope.values()

    @property
    def url(self) -> URL:
        return URL(self._native.path, self._native.query_string.decode("latin-1"),
                   getattr(self._native, "scheme", "http"), self.headers.get("host", ""))

    @property
    def base_url(self) -> URL:
        """The app's root as Starlette gives it: scheme, host, the app's root_path and "/" (under an ASGI
        server, the scope's `app_root_path` when a mount set it: the root of the outermost app)."""
        scope = getattr(self._native, "scope", None)
        root = scope["app_root_path"] if scope is not None and "app_root_path" in scope \
            else root_path_of(self._native, self.app)
        return URL(root if root.endswith("/") else root + "/", "", getattr(self._native, "scheme", "http"),
                   self.headers.get("host", ""))

    def url_for(self, name: str, /, **path_params: Any) -> URL:
        """The absolute URL of the route named `name` (Starlette's `request.url_for`)."""
        path = self.app.url_path_for(name, **path_params)
        root = root_path_of(self._native, self.app)  # this app's root: a mounted app's routes are below its mount
        return URL(root.rstrip("/") + path, "", getattr(self._native, "scheme", "http"), self.headers.get("host", ""))

    @property
    def query_params(self) -> QueryParams:
        if self._query_params is None:
            self._query_params = QueryParams(self._native.query_string)
        return self._query_params

    @property
    def headers(self) -> Headers:
        if self._headers is None:
            self._headers = Headers(list(self._native.headers))
        return self._headers

    @property
    def cookies(self) -> dict[str, str]:
        if self._cookies is None:
            header = self.headers.get("cookie")
            self._cookies = parse_cookie_header(header) if header else {}
        return self._cookies

    @property
    def client(self) -> Address | None:
        client = self._native.client
        return Address(*client) if client else None



class Request(HTTPConnection):
    # _body_limit: the max_body_size in force where this request object is used (the route's, or the
    # app's in a Python middleware), set by the engine; reading a longer body raises the limiter's 413
    # (astraapi.engine.body_limit).
    __slots__ = ("_body_read", "_body_limit")

    def _read(self) -> bytes:
        native = self._native
        limit = getattr(self, "_body_limit", None)
        if limit is not None:
            from astraapi.engine.body_limit import check_read, mark_consumed

            check_read(native, limit)
            mark_consumed(native)
        return native.body

    async def _loaded(self) -> bytes:
        """`_read` once the body is there: under an ASGI server a request's body is read when first asked
        for (astraapi.asgi.request.ASGIRequest.load_body)."""
        if getattr(self._native, "body_pending", False):
            await self._native.load_body()
        return self._read()

    async def body(self) -> bytes:
        receive = self._receive
        if receive is not None:  # made as Request(scope, receive) from an ASGI receive: read it once
            self._receive = None
            chunks = []
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    break
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            self._native.body = b"".join(chunks)
        body = await self._loaded()
        self._body_read = True
        return body

    @property
    def receive(self) -> Any:
        """Starlette's `request.receive`: here the whole body (the server has read it) in one message,
        then `http.disconnect`. `Request(request.scope, request.receive)` is a request over the same one."""
        return _Receive(self._native)

    async def stream(self) -> Any:
        """The body in pieces, as Starlette's `request.stream()` yields them (the server has read the whole
        body: after `body()`, the body then b""; before, the body when not empty, then b"")."""
        body = await self._loaded()
        if body or getattr(self, "_body_read", False):
            yield body
        yield b""

    async def is_disconnected(self) -> bool:
        listen = getattr(self._native, "start_listening", None)
        if listen is not None:  # under an ASGI server: the disconnect listener, if not started yet
            listen(reading=True)
        return not getattr(self._native, "connected", True)

    def form(self, *, max_files: int | float = 1000, max_fields: int | float = 1000,
             max_part_size: int = 1024 * 1024) -> _FormReader:
        """The body as a form (urlencoded or multipart; other types give an empty form), parsed once: later
        calls get the first result whatever their limits. `await request.form()`, or
        `async with request.form() as form:` to close its uploaded files on leaving the block."""
        return _FormReader(self, {"max_files": max_files, "max_fields": max_fields, "max_part_size": max_part_size})

    async def json(self) -> Any:
        if self._json is None:
            self._json = json.loads(await self._loaded())
        return self._json


class _FormReader:
    """What `Request.form()` returns: awaitable (the form), and an async context manager that closes the
    form's files on exit (as Starlette's `request.form()` is both)."""

    __slots__ = ("_request", "_limits", "_form")

    def __init__(self, request: Request, limits: dict[str, Any]) -> None:
        self._request = request
        self._limits = limits
        self._form: Any = None

    def _read(self) -> Any:
        request = self._request
        if request._form is None:
            from astraapi.engine.form import read_form

            request._form = read_form(request._read(), list(request._native.headers), self._limits)
        return request._form

    def __await__(self) -> Any:
        return self._coroutine().__await__()

    async def _coroutine(self) -> Any:
        await self._request._loaded()
        return self._read()

    async def __aenter__(self) -> Any:
        await self._request._loaded()
        self._form = self._read()
        return self._form

    async def __aexit__(self, *exc_info: Any) -> None:
        await self._form.close()


class _Receive:
    """`request.receive` over a request whose body the server has read (`native`: that request)."""

    __slots__ = ("native", "_sent")

    def __init__(self, native: Any) -> None:
        self.native = native
        self._sent = False

    async def __call__(self) -> dict[str, Any]:
        if self._sent:
            return {"type": "http.disconnect"}
        self._sent = True
        if getattr(self.native, "body_pending", False):
            await self.native.load_body()
        return {"type": "http.request", "body": self.native.body, "more_body": False}
