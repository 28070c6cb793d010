"""The example-app differential set: each app under tests/apps/ listed in APPS is served by AstraAPI (a real
server, dynamic and compiled mode) and by FastAPI 0.165's TestClient (the same source with `astraapi` imports
changed to `fastapi`); every request of the app's request list, and /openapi.json, must give the same status,
headers and body bytes, and our status lines the standard reason phrase. Not compared: what only a real server
sends (`date`, `server`, a stream's `transfer-encoding`), a gzip answer's compressed length (compared
decompressed) and a cookie's `expires` time. Differences on purpose are listed in docs/compat-differences.md
and handled by name here (`KNOWN`)."""

from __future__ import annotations

import importlib.util
import re
import sys
import warnings
from http import HTTPStatus
from pathlib import Path

import httpx
import pytest

from support.compare import SERVER_ONLY_HEADERS, response_triple
from support.paths import APPS_DIR, MODES

fastapi_testclient = pytest.importorskip("fastapi.testclient")

# Each app: the module name under tests/apps/ and its request list (method, path, httpx keyword arguments).
# Apps written for this set carry their own list as `REQUESTS`; the ones other tests also use get theirs here.
ROUTING_REQUESTS = [
    ("GET", "/", {}), ("GET", "/items", {}), ("POST", "/items", {}), ("GET", "/items/7", {}),
    ("GET", "/items/special", {}), ("DELETE", "/items", {}), ("GET", "/items/", {}), ("GET", "/nowhere", {}),
    ("HEAD", "/nowhere", {}), ("PUT", "/", {}), ("GET", "/openapi.json", {}),
    ("QUERY", "/search/books", {}), ("PROPFIND", "/search/books", {}), ("GET", "/search/books", {}),
]
UPLOADS_REQUESTS = [
    ("POST", "/upload", {"files": {"file": ("a.txt", b"hello", "text/plain")}, "data": {"note": "n"}}),
    ("POST", "/upload", {}),
    ("POST", "/many", {"files": [("files", ("a", b"1")), ("files", ("b", b"22"))]}),
    ("POST", "/echo", {"json": {"a": [1, 2.5, None]}}),
    ("POST", "/echo", {"content": b"{bad", "headers": {"content-type": "application/json"}}),
    ("GET", "/openapi.json", {}),
]
APPS = {
    "routing_app": ROUTING_REQUESTS,
    "uploads_app": UPLOADS_REQUESTS,
    "compat_shop_app": None,
    "compat_blog_app": None,
    "compat_types_app": None,
    "compat_real_types_app": None,
    "compat_lifespan_app": None,
    "compat_deps_app": None,
    "compat_deps_tree_app": None,
    "compat_routers_app": None,
    "compat_params_app": None,
    "compat_request_params_app": None,
    "compat_errors_app": None,
    "compat_errors_class_app": None,
    "compat_callbacks_app": None,
    "compat_jsonl_app": None,
    "compat_limits_app": None,
    "compat_body_limits_app": None,
    "compat_debug_app": None,
    "compat_direct_app": None,
    "compat_starlette_app": None,
    "compat_starlette_handlers_app": None,
    "compat_starlette_routes_app": None,
    "compat_middleware_app": None,
    "compat_route_classes_app": None,
    "compat_ecosystem_app": None,
    "compat_forms_app": None,
    "compat_live_include_app": None,
}

# The framing header a server adds to a streamed answer (uvicorn sends the same); FastAPI's in-process
# TestClient has none.
IGNORED = SERVER_ONLY_HEADERS | {"transfer-encoding"}
BASE_HEADERS = {"host": "testserver", "user-agent": "testclient", "accept": "*/*",
                "accept-encoding": "gzip, deflate", "connection": "keep-alive"}


def _fastapi_source(name: str) -> str:
    source = (APPS_DIR / f"{name}.py").read_text()
    return re.sub(r"\bastraapi\b", "fastapi", source)


def _load(path: Path, module_name: str):
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def _requests(name: str, module) -> list:
    listed = APPS[name]
    return listed if listed is not None else module.REQUESTS


def exchange(client, requests: list, *, check_reason: bool = False) -> list:
    """Each request's (request, status, headers, body); `check_reason`: the status line's reason phrase
    must be the standard one (uvicorn's), which the in-process reference cannot show."""
    results = []
    for method, path, kwargs in requests:
        kwargs = dict(kwargs)
        given = kwargs.pop("headers", {})
        headers = {**BASE_HEADERS, **given} if isinstance(given, dict) else [*BASE_HEADERS.items(), *given]
        cookies = kwargs.pop("cookies", None)
        if cookies:  # (a list of header pairs is sent as given: repeated names)
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        response = client.request(method, path, headers=headers, follow_redirects=False, **kwargs)
        status, headers, body = response_triple(response, ignore=IGNORED)
        if check_reason:
            assert response.reason_phrase == HTTPStatus(status).phrase, (method, path, response.reason_phrase)
        if ("content-encoding", "gzip") in headers:
            # libdeflate's compressed bytes differ from zlib's: compared decompressed (httpx decodes the body).
            headers = [(k, v) for k, v in headers if k != "content-length"]
        # A cookie's expiry is the clock's time: the two sides answer a second apart at most.
        headers = [(k, EXPIRES.sub("expires=<time>", v) if k == "set-cookie" else v) for k, v in headers]
        results.append(((method, path), status, headers, body))
    return results


EXPIRES = re.compile(r"expires=[A-Za-z]{3}, \d\d [A-Za-z]{3} \d{4} \d\d:\d\d:\d\d GMT")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """FastAPI's answers per app, from its TestClient (exceptions become 500s, as a server sends them)."""
    folder = tmp_path_factory.mktemp("fastapi_apps")
    cache: dict[str, list] = {}

    def results(name: str) -> list:
        if name not in cache:
            path = folder / f"fa_{name}.py"
            path.write_text(_fastapi_source(name))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                module = _load(path, f"fa_{name}")
            with fastapi_testclient.TestClient(module.app, raise_server_exceptions=False) as client:
                client.cookies.clear()
                cache[name] = exchange(client, _requests(name, module))
        return cache[name]

    return results


def normalise(name: str, result: list) -> list:
    """Differences on purpose (docs/compat-differences.md) made equal before comparing."""
    normaliser = KNOWN.get(name)
    return [normaliser(entry) for entry in result] if normaliser else result


def _debug_page(entry):
    # FastAPI(debug=True): the traceback names other files, lines and frames (AstraAPI's engine, not
    # Starlette's), so a 500's body is compared by its shape: for the plain text, the first line and the
    # exception line; for the HTML page, its heading and the exception.
    (method, path), status, headers, body = entry
    if status == 500:
        headers = [(k, v) for k, v in headers if k != "content-length"]
        text = body.decode()
        if text.startswith("\n<html>"):
            shape = re.findall(r"<h1>.*?</h1>|<h2>.*?</h2>|traceback-container|frame-filename", text)
            body = "|".join(sorted(set(shape))).encode()
        else:
            lines = text.rstrip("\n").split("\n")
            body = f"{lines[0]}|{lines[-1]}|{text.endswith(chr(10))}".encode()
    return (method, path), status, headers, body


def _operation_ids(entry):
    # A route declared with several methods: FastAPI's operation id uses an arbitrary one of them (a set's
    # order, varying with PYTHONHASHSEED); AstraAPI the first declared.
    (method, path), status, headers, body = entry
    if path == "/openapi.json":
        body = re.sub(rb'"multi_multi_[a-z]+"', b'"multi_multi_METHOD"', body)
        headers = [(k, v) for k, v in headers if k != "content-length"]
    return (method, path), status, headers, body


KNOWN = {"compat_debug_app": _debug_page, "routing_app": _operation_ids}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", list(APPS))
def test_app_matches_fastapi(start_server, reference, name, mode):
    expected = reference(name)
    server = start_server(f"{name}:app", mode, cwd=APPS_DIR)
    with httpx.Client(base_url=server.base_url) as client:
        ours = exchange(client, _requests(name, _load(APPS_DIR / f"{name}.py", f"ours_{name}")), check_reason=True)
    assert len(ours) == len(expected)
    for want, got in zip(normalise(name, expected), normalise(name, ours)):
        assert got == want, f"{name} ({mode}) differs from FastAPI at {want[0]}"


ELLIPSIS_EXPECTED = [
    (("GET", "/query"), 422, b'{"detail":[{"type":"missing","loc":["query","q"],"msg":"Field required","input":null}]}'),
    (("GET", "/query?q=3"), 200, b'{"q":3}'),
    (("GET", "/header"), 422,
     b'{"detail":[{"type":"missing","loc":["header","x-token"],"msg":"Field required","input":null}]}'),
    (("POST", "/body"), 422, b'{"detail":[{"type":"missing","loc":["body"],"msg":"Field required","input":null}]}'),
]


@pytest.mark.parametrize("mode", MODES)
def test_annotated_ellipsis_is_required(start_server, tmp_path, mode):
    """`Annotated[T, Query()] = ...` (and Header, Body): required, as `Query(...)` is, both when serving and in
    OpenAPI. FastAPI 0.165 instead passes the Ellipsis object to the endpoint (here: a 500) and documents the
    parameter as optional: a difference on purpose (docs/compat-differences.md)."""
    server = start_server("compat_ellipsis_app:app", mode, cwd=APPS_DIR)
    with httpx.Client(base_url=server.base_url) as client:
        for (method, path), status, body in ELLIPSIS_EXPECTED:
            response = client.request(method, path)
            assert (response.status_code, response.content) == (status, body), (method, path)
        document = client.get("/openapi.json").json()
    assert document["paths"]["/query"]["get"]["parameters"][0]["required"] is True
    assert document["paths"]["/header"]["get"]["parameters"][0]["required"] is True
    assert document["paths"]["/body"]["post"]["requestBody"]["required"] is True
    reference = _load_fastapi("compat_ellipsis_app", tmp_path)
    with fastapi_testclient.TestClient(reference.app, raise_server_exceptions=False) as client:
        assert client.get("/query").status_code == 500  # FastAPI's endpoint got `...` and could not serialize it
        assert client.get("/openapi.json").json()["paths"]["/query"]["get"]["parameters"][0]["required"] is False


def _load_fastapi(name: str, folder: Path):
    path = folder / f"fa_{name}.py"
    path.write_text(_fastapi_source(name))
    return _load(path, f"fa_{name}")
