"""Starlette's types where the app's environment has Starlette, without depending on it.

AstraAPI never imports Starlette: everything here looks Starlette's classes up in `sys.modules`,
so an app that does not use Starlette pays nothing and imports nothing. When the app (or a
library it uses) has imported Starlette, its objects are accepted (docs/internals.md, "Starlette
interoperability"):

- `register()` makes AstraAPI's request, WebSocket and datastructure classes virtual subclasses of
  Starlette's ABCs (`Request`, `WebSocket`, `HTTPConnection`, `Headers`, `MutableHeaders`,
  `QueryParams`, `FormData` are `collections.abc.Mapping`s, hence ABCs), so
  `isinstance(request, starlette.requests.Request)` holds. It runs when an app is created and
  when it starts serving (the exception dispatcher is built), and is idempotent.
- Starlette responses returned by an endpoint, a dependency or an exception handler are adopted
  (`adopt_response`): the engine gets the same status, headers, body, body iterator or file and
  background it would get from AstraAPI's class of the same name (the bytes are Starlette's own:
  Starlette rendered them when the response was made).
- `starlette.exceptions.HTTPException` is looked up as AstraAPI's `StarletteHTTPException`
  (`http_exception_key`): a handler registered for either catches both, as in FastAPI.
- Starlette's CORS, GZip, TrustedHost and HTTPSRedirect middlewares are mapped to the native ones
  (`native_middleware`).
- The exceptions the test client raises (`WebSocketDisconnect`, `WebSocketDenialResponse`) are also
  Starlette's classes when Starlette's module is loaded (`raised_class`): `except` and `pytest.raises`
  match on real subclassing, which an ABC registration cannot give. Uploaded files likewise
  (`upload_file_class`).
"""

from __future__ import annotations

import sys
from typing import Any

# Starlette's response classes once registered (empty while Starlette is not loaded): the engine
# checks `isinstance(raw, FOREIGN_RESPONSES)` only for a value that is not an AstraAPI Response.
FOREIGN_RESPONSES: tuple[type, ...] = ()

_registered: set[str] = set()

# (Starlette module, class) -> (AstraAPI module, class): AstraAPI's class becomes a virtual subclass.
_VIRTUAL_SUBCLASSES = (
    ("starlette.requests", "HTTPConnection", "astraapi.requests", "HTTPConnection"),
    ("starlette.requests", "Request", "astraapi.requests", "Request"),
    ("starlette.websockets", "WebSocket", "astraapi.websockets", "WebSocket"),
    ("starlette.datastructures", "Headers", "astraapi.datastructures", "Headers"),
    ("starlette.datastructures", "MutableHeaders", "astraapi.datastructures", "MutableHeaders"),
    ("starlette.datastructures", "QueryParams", "astraapi.datastructures", "QueryParams"),
    ("starlette.datastructures", "FormData", "astraapi.datastructures", "FormData"),
)


def _class(module: str, name: str) -> Any:
    loaded = sys.modules.get(module)
    return getattr(loaded, name, None) if loaded is not None else None


def register() -> None:
    """Accept Starlette's types for the Starlette modules loaded now (each module once)."""
    global FOREIGN_RESPONSES
    if "starlette" not in sys.modules:
        return
    for module, name, own_module, own_name in _VIRTUAL_SUBCLASSES:
        key = f"{module}.{name}"
        if key in _registered:
            continue
        theirs = _class(module, name)
        if theirs is None:
            continue
        ours = _class(own_module, own_name)
        if ours is None:
            __import__(own_module)
            ours = _class(own_module, own_name)
        theirs.register(ours)
        _registered.add(key)
    if not FOREIGN_RESPONSES:
        response = _class("starlette.responses", "Response")
        if response is not None:
            FOREIGN_RESPONSES = (response,)


_RAISED: dict[tuple[type, type], type] = {}


def upload_file_class(ours: type) -> type:
    """The class of the uploaded files the form parser makes (`ours`: AstraAPI's UploadFile): itself, or while
    Starlette's datastructures are loaded a subclass of it and of Starlette's UploadFile (made once, ours first
    in the MRO: its methods serve), so `isinstance(upload, starlette.datastructures.UploadFile)` holds as under
    FastAPI. Starlette's class is no ABC: a registration cannot give that."""
    return raised_class(ours, "starlette.datastructures", "UploadFile")  # type: ignore[arg-type]


def raised_class(ours: type[BaseException], module: str, name: str) -> type[BaseException]:
    """The class to raise for AstraAPI's exception class `ours`: `ours` itself, or, while Starlette's
    `module.name` (its class of the same role) is loaded, a subclass of both (made once)."""
    theirs = _class(module, name)
    if theirs is None or issubclass(ours, theirs):
        return ours
    both = _RAISED.get((ours, theirs))
    if both is None:
        both = _RAISED[(ours, theirs)] = type(ours.__name__, (ours, theirs), {
            "__module__": ours.__module__, "__qualname__": ours.__qualname__, "__doc__": ours.__doc__})
    return both


# ---------------------------------------------------------------------- declarations


def special_location(annotation: Any) -> str | None:
    """The special parameter kind of a Starlette type used as an endpoint or dependency parameter's
    annotation (`request: starlette.requests.Request`, ...), as FastAPI recognizes them; None else."""
    if not isinstance(annotation, type) or not annotation.__module__.startswith("starlette."):
        return None
    for module, name, location in (
        ("starlette.requests", "HTTPConnection", "request"),
        ("starlette.responses", "Response", "response"),
        ("starlette.background", "BackgroundTasks", "background_tasks"),
    ):
        base = _class(module, name)
        if base is not None and issubclass(annotation, base):
            return location
    return None


def is_response_class(cls: Any, name: str = "Response") -> bool:
    """`cls` is Starlette's Response (or its class `name`) or a subclass (a `response_class`, a return
    annotation)."""
    base = _class("starlette.responses", name)
    return base is not None and isinstance(cls, type) and issubclass(cls, base)


def is_upload_file_class(cls: Any) -> bool:
    base = _class("starlette.datastructures", "UploadFile")
    return base is not None and isinstance(cls, type) and issubclass(cls, base)


# ---------------------------------------------------------------------- responses


def adopt_response(response: Any) -> Any:
    """AstraAPI's response for a Starlette `response` (status, headers, body or body iterator or
    file, background: the same bytes Starlette would send). A class that overrides `__call__` sends
    its own ASGI messages: it becomes an `ASGIAppResponse`, run as an ASGI application on the request."""
    from astraapi import responses as ours

    theirs = sys.modules["starlette.responses"]
    call = type(response).__call__
    if call is theirs.FileResponse.__call__:
        adopted: Any = object.__new__(ours.FileResponse)
        state = {k: v for k, v in vars(response).items() if k not in ("_headers", "send_header_only")}
        vars(adopted).update(state)
    elif call is theirs.StreamingResponse.__call__:
        adopted = object.__new__(ours.StreamingResponse)
        adopted.body_iterator = response.body_iterator
        adopted.charset = response.charset
    elif call is theirs.Response.__call__:
        adopted = object.__new__(ours.Response)
        adopted.body = response.body
    else:
        # A subclass that sends its own ASGI messages (sse-starlette's EventSourceResponse, ...): run it as
        # the ASGI application it is (it runs its own background work).
        from astraapi.engine.streaming import ASGIAppResponse

        return ASGIAppResponse(response, getattr(response, "status_code", 200))
    adopted.status_code = response.status_code
    adopted.raw_headers = response.raw_headers
    adopted.background = response.background
    if response.media_type is not None:
        adopted.media_type = response.media_type
    return adopted


_temporary_class: Any = None


def temporary_response_class() -> type:
    """The class of the `response: Response` parameter's object. With Starlette loaded, AstraAPI's Response
    that is also a Starlette Response (AstraAPI's methods first), as FastAPI's temporal response is one:
    libraries check `isinstance(response, starlette.responses.Response)` before writing headers into it
    (slowapi's rate-limit headers)."""
    global _temporary_class
    from astraapi.responses import Response

    theirs = sys.modules.get("starlette.responses")
    if theirs is None:
        return Response
    if _temporary_class is None:
        _temporary_class = type("Response", (Response, theirs.Response), {"__module__": "astraapi.responses"})
    return _temporary_class


# ---------------------------------------------------------------------- exceptions


def http_exception_key(key: Any) -> Any:
    """An exception handler's key with Starlette's HTTPException (and WebSocketException) read as
    AstraAPI's classes that stand for them."""
    if isinstance(key, type) and key.__module__ == "starlette.exceptions":
        from astraapi import exceptions

        if key is _class("starlette.exceptions", "HTTPException"):
            return exceptions.StarletteHTTPException
        if key is _class("starlette.exceptions", "WebSocketException"):
            return exceptions.WebSocketException
    return key


def router_http_exception() -> type[Exception]:
    """The class of the router's own 404 and 405: Starlette's HTTPException when Starlette is loaded
    (FastAPI's router raises that one: handlers may test for it), else AstraAPI's stand-in."""
    theirs = _class("starlette.exceptions", "HTTPException")
    if theirs is not None:
        return theirs
    from astraapi.exceptions import StarletteHTTPException

    return StarletteHTTPException


def is_http_exception(error: BaseException) -> bool:
    """`error` is a `starlette.exceptions.HTTPException` (status_code, detail, headers)."""
    base = _class("starlette.exceptions", "HTTPException")
    return base is not None and isinstance(error, base)


# ---------------------------------------------------------------------- middleware

_NATIVE_MIDDLEWARE = {
    "starlette.middleware.cors.CORSMiddleware": ("astraapi.middleware.cors", "CORSMiddleware"),
    "starlette.middleware.gzip.GZipMiddleware": ("astraapi.middleware.gzip", "GZipMiddleware"),
    "starlette.middleware.trustedhost.TrustedHostMiddleware": (
        "astraapi.middleware.trustedhost", "TrustedHostMiddleware"),
    "starlette.middleware.httpsredirect.HTTPSRedirectMiddleware": (
        "astraapi.middleware.httpsredirect", "HTTPSRedirectMiddleware"),
}


def native_middleware(cls: Any) -> Any:
    """AstraAPI's native middleware for one of Starlette's four (the same options and answers),
    else `cls` itself."""
    if not isinstance(cls, type) or not cls.__module__.startswith("starlette.middleware"):
        return cls
    target = _NATIVE_MIDDLEWARE.get(f"{cls.__module__}.{cls.__qualname__}")
    if target is None or _class(cls.__module__, cls.__qualname__) is not cls:
        return cls
    module = __import__(target[0], fromlist=[target[1]])
    return getattr(module, target[1])


# ---------------------------------------------------------------------- routes


def is_foreign_route(route: Any) -> bool:
    return type(route).__module__ == "starlette.routing"


def add_route(router: Any, route: Any, prefix: str = "") -> None:
    """Add Starlette's `Route`, `WebSocketRoute` or `Mount` (as given in `routes=[...]`) to `router` as
    AstraAPI's records: the endpoint is called with the request (or WebSocket) as Starlette calls it,
    not documented in OpenAPI and without the router's dependencies, as FastAPI serves Starlette routes.
    A mount of routes adds them under its path; a mount of an app is `router.mount`."""
    import dataclasses

    from astraapi.routing import declaration_site, takes_path_params

    kind = type(route).__name__
    theirs = sys.modules["starlette.routing"]
    site = declaration_site()
    if isinstance(route, theirs.Mount):
        app = getattr(route, "app", None)
        routes = getattr(app, "routes", None) if type(app).__name__ == "Router" else None
        if routes is not None and type(app).__module__ == "starlette.routing":
            for sub_route in routes:
                add_route(router, sub_route, prefix + route.path)
        else:
            router.mount(prefix + route.path, app, name=route.name)
        return
    endpoint = route.endpoint
    if isinstance(endpoint, type):
        raise NotImplementedError(
            f"{kind}({route.path!r}, {endpoint.__qualname__}): a class endpoint (Starlette's HTTPEndpoint / "
            "WebSocketEndpoint) is not supported; use a function endpoint or an APIRouter route")
    if isinstance(route, theirs.WebSocketRoute):
        from astraapi.websockets import WebSocket

        async def websocket_endpoint(websocket: Any, **path_params: Any) -> None:
            await endpoint(websocket)

        takes_path_params(websocket_endpoint, route.path, "websocket", WebSocket)
        router.add_api_websocket_route(prefix + route.path, websocket_endpoint, name=route.name, _site=site)
    elif isinstance(route, theirs.Route):
        methods = sorted(route.methods or ("GET", "HEAD"), key=lambda method: (method != "GET", method))
        router.add_route(prefix + route.path, endpoint, methods=methods, name=route.name, _site=site)
        object.__setattr__(router.routes[-1], "_foreign", route)  # the route as given (RouteContext.route)
        return
    else:
        raise NotImplementedError(f"starlette.routing.{kind} is not supported in routes=[...] (Route, "
                                  "WebSocketRoute and Mount are)")
    # FastAPI serves Starlette's routes as they are: the router's dependencies do not run on them.
    router.routes[-1] = dataclasses.replace(router.routes[-1], dependencies=())
    object.__setattr__(router.routes[-1], "_foreign", route)
