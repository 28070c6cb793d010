"""The same StaticFiles mounts, FileResponse and frontend answer as FastAPI 0.165 does: each
request is sent to FastAPI's TestClient (in process) and to AstraAPI's real server in both modes;
status, headers (minus date and server) and body must be the same bytes."""

from __future__ import annotations

import hashlib
import re
from email.utils import formatdate

import httpx
import pytest

from static_files import MTIME, load_with_fastapi
from support.compare import SERVER_ONLY_HEADERS, response_triple
from support.paths import APPS_DIR, MODES

fastapi_testclient = pytest.importorskip("fastapi.testclient")

LAST_MODIFIED = formatdate(MTIME, usegmt=True)
DIGITS_ETAG = '"' + hashlib.md5(f"{float(MTIME)}-100".encode(), usedforsecurity=False).hexdigest() + '"'

BOUNDARY = re.compile(r"boundary=([0-9a-f]{26})")

STATIC_REQUESTS = [
    ("GET", "/static/a.css", {}),
    ("HEAD", "/static/a.css", {}),
    ("GET", "/static/app.js", {}),
    ("GET", "/static/data.json", {}),
    ("GET", "/static/image.png", {}),
    ("GET", "/static/hello%20world.txt", {}),
    ("GET", "/static/r%C3%A9sum%C3%A9.txt", {}),
    ("GET", "/static/empty.txt", {}),
    ("GET", "/static/noext", {}),
    ("GET", "/static/missing.txt", {}),
    ("HEAD", "/static/missing.txt", {}),
    ("GET", "/static/", {}),
    ("GET", "/static", {}),
    ("GET", "/static/sub", {}),
    ("GET", "/static/sub/", {}),
    ("GET", "/static/link-in.css", {}),
    ("GET", "/static/link-out.txt", {}),
    ("GET", "/follow/link-out.txt", {}),
    ("GET", "/static/shadowed.txt", {}),
    ("POST", "/static/a.css", {}),
    ("PUT", "/static/missing.txt", {}),
    ("DELETE", "/static/a.css", {}),
    ("OPTIONS", "/static/a.css", {}),
    ("GET", "/static/a.css?v=3", {}),
    # conditional requests
    ("GET", "/static/a.css", {"if-none-match": "*"}),
    ("GET", "/static/a.css", {"if-none-match": '"nope"'}),
    ("GET", "/static/a.css", {"if-modified-since": LAST_MODIFIED}),
    ("GET", "/static/a.css", {"if-modified-since": "Mon, 01 Jan 2001 00:00:00 GMT"}),
    ("GET", "/static/a.css", {"if-modified-since": "not a date"}),
    ("HEAD", "/static/a.css", {"if-modified-since": LAST_MODIFIED}),
    # ranges
    ("GET", "/static/digits.txt", {"range": "bytes=0-9"}),
    ("GET", "/static/digits.txt", {"range": "bytes=95-"}),
    ("GET", "/static/digits.txt", {"range": "bytes=-5"}),
    ("GET", "/static/digits.txt", {"range": "bytes=90-500"}),
    ("GET", "/static/digits.txt", {"range": "bytes=0-0"}),
    ("HEAD", "/static/digits.txt", {"range": "bytes=0-9"}),
    ("GET", "/static/digits.txt", {"range": "bytes=0-4,10-14,50-"}),
    ("GET", "/static/digits.txt", {"range": "bytes=0-10,5-20"}),
    ("GET", "/static/digits.txt", {"range": "bytes=100-"}),
    ("GET", "/static/digits.txt", {"range": "bytes=200-300"}),
    ("GET", "/static/digits.txt", {"range": "items=0-1"}),
    ("GET", "/static/digits.txt", {"range": "bytes"}),
    ("GET", "/static/digits.txt", {"range": "bytes=x-y"}),
    ("GET", "/static/digits.txt", {"range": "bytes=9-3"}),
    ("GET", "/static/digits.txt", {"range": "bytes=0-9", "if-range": "Mon, 01 Jan 2001 00:00:00 GMT"}),
    ("GET", "/static/digits.txt", {"range": "bytes=0-9", "if-range": LAST_MODIFIED}),
    ("GET", "/static/digits.txt", {"range": "bytes=0-9", "if-range": 'W/"x"'}),
    ("GET", "/static/digits.txt", {"range": "bytes=0-9", "if-range": DIGITS_ETAG}),
    ("GET", "/static/digits.txt", {"range": "bytes=0-9,20-29", "if-range": DIGITS_ETAG}),
    ("GET", "/static/digits.txt", {"if-none-match": f'W/{DIGITS_ETAG}, "other"'}),
    ("GET", "/static/digits.txt", {"if-none-match": DIGITS_ETAG, "if-modified-since": "Mon, 01 Jan 2001 00:00:00 GMT"}),
    ("GET", "/static/digits.txt", {"if-none-match": '"x"', "if-modified-since": LAST_MODIFIED}),
    ("GET", "/static/empty.txt", {"range": "bytes=0-1"}),
    # html=True
    ("GET", "/site/", {}),
    ("GET", "/site", {}),
    ("GET", "/site/docs", {}),
    ("GET", "/site/docs/", {}),
    ("GET", "/site/docs/page.html", {}),
    ("GET", "/site/nothing-here", {}),
    ("HEAD", "/site/nothing-here", {}),
    ("GET", "/site/after-the-mount", {}),
    # FileResponse from an endpoint
    ("GET", "/text-file", {}),
    ("GET", "/text-file", {"range": "bytes=2-5"}),
    ("GET", "/text-file", {"range": "bytes=1-2,5-6"}),
    ("HEAD", "/text-file", {}),
    ("GET", "/text-file", {"if-none-match": "*"}),
    ("GET", "/url", {}),
    ("GET", "/api/items", {}),
]

FRONTEND_REQUESTS = [
    ("GET", "/", {}),
    ("GET", "/", {"accept": "text/html"}),
    ("GET", "/assets/app.js", {}),
    ("HEAD", "/assets/app.js", {}),
    ("GET", "/guide", {}),
    ("GET", "/guide/", {}),
    ("GET", "/some/client/route", {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}),
    ("GET", "/some/client/route", {"accept": "application/json"}),
    ("GET", "/some/client/route", {}),
    ("GET", "/some/client/route", {"accept": "text/html;q=0"}),
    ("GET", "/missing.js", {"accept": "*/*"}),
    ("POST", "/assets/app.js", {}),
    ("POST", "/nothing", {}),
    ("GET", "/api/items", {"accept": "text/html"}),
    ("DELETE", "/api/items", {"accept": "text/html"}),
    ("GET", "/api/things", {"accept": "text/html"}),
    ("GET", "/api/nothing", {"accept": "text/html"}),
    ("GET", "/api/nothing", {}),
    ("GET", "/admin", {}),
    ("GET", "/admin/", {}),
    ("GET", "/admin/admin.js", {}),
    ("GET", "/admin/users/7", {"accept": "text/html"}),
    ("GET", "/admin/users/7", {}),
    ("GET", "/openapi.json", {}),
]


TOKEN = {"x-token": "secret"}
FRONTEND_DEPS_REQUESTS = [
    ("GET", "/", {}),
    ("GET", "/", TOKEN),
    ("HEAD", "/", {}),
    ("GET", "/assets/app.js", {"x-token": "wrong"}),
    ("GET", "/assets/app.js", TOKEN),
    ("POST", "/assets/app.js", {}),
    ("POST", "/nothing", {}),
    ("GET", "/client/route", {"accept": "text/html"}),
    ("GET", "/client/route", {"accept": "text/html", **TOKEN}),
    ("GET", "/guide", TOKEN),
    ("GET", "/api/items", {}),
    ("GET", "/api/items", TOKEN),
    ("GET", "/admin", TOKEN),
    ("GET", "/admin/", {}),
    ("GET", "/admin/admin.js", TOKEN),
    ("DELETE", "/admin/admin.js", {}),
]

SUBAPP_REQUESTS = [
    ("GET", "/app", {}),
    ("GET", "/subapi/sub", {}),
    ("GET", "/subapi/items/3", {}),
    ("GET", "/subapi/items/x", {}),
    ("POST", "/subapi/items/", {}),
    ("POST", "/subapi/items", {}),
    ("GET", "/subapi/items/3/", {}),
    ("GET", "/subapi/items/3/?q=1", {}),
    ("DELETE", "/subapi/sub", {}),
    ("GET", "/subapi/nothing", {}),
    ("GET", "/subapi", {}),
    ("GET", "/subapi/", {}),
    ("GET", "/subapi/openapi.json", {}),
    ("GET", "/subapi/docs", {}),
    ("GET", "/openapi.json", {}),
    ("GET", "/static/a.css", {}),
    ("HEAD", "/subapi/sub", {}),
]


def _normalized(triple):
    """A multipart/byteranges boundary is random (26 hex digits): replaced by a fixed one; the
    length of a gzip body is not compared (httpx gives the decoded body, which is)."""
    status, headers, body = triple
    if dict(headers).get("content-encoding") == "gzip":
        # libdeflate's compressed bytes may differ from zlib's (documented): compared decoded
        headers = [(k, "<compressed length>" if k == "content-length" else v) for k, v in headers]
    content_type = dict(headers).get("content-type", "")
    found = BOUNDARY.search(content_type)
    if content_type.startswith("multipart/byteranges") and found:
        boundary = found.group(1)
        headers = [(k, v.replace(boundary, "B" * 26)) for k, v in headers]
        body = body.replace(boundary.encode(), b"B" * 26)
    return status, headers, body


def _fastapi_answers(app_file, static_env, requests):
    module = load_with_fastapi(app_file, static_env)
    answers = []
    with fastapi_testclient.TestClient(module.app, base_url="http://testserver") as client:
        for method, path, headers in requests:
            response = client.request(method, path, headers=headers, follow_redirects=False)
            answers.append(_normalized(response_triple(response, SERVER_ONLY_HEADERS)))
    return answers


def _our_answers(server, requests):
    answers = []
    with httpx.Client(base_url=server.base_url, headers={"host": "testserver"}) as client:
        for method, path, headers in requests:
            response = client.request(method, path, headers=headers, follow_redirects=False)
            answers.append(_normalized(response_triple(response, SERVER_ONLY_HEADERS)))
    return answers


@pytest.mark.parametrize("mode", MODES)
def test_static_mounts_match_fastapi(start_server, static_env, mode):
    expected = _fastapi_answers("static_app.py", static_env, STATIC_REQUESTS)
    server = start_server("static_app:app", mode, cwd=APPS_DIR, env=static_env)
    actual = _our_answers(server, STATIC_REQUESTS)
    for request, want, got in zip(STATIC_REQUESTS, expected, actual):
        assert got == want, request


@pytest.mark.parametrize("mode", MODES)
def test_frontend_matches_fastapi(start_server, static_env, mode):
    expected = _fastapi_answers("frontend_app.py", static_env, FRONTEND_REQUESTS)
    server = start_server("frontend_app:app", mode, cwd=APPS_DIR, env=static_env)
    actual = _our_answers(server, FRONTEND_REQUESTS)
    for request, want, got in zip(FRONTEND_REQUESTS, expected, actual):
        assert got == want, request


@pytest.mark.parametrize("mode", MODES)
def test_sub_application_matches_fastapi(start_server, static_env, mode):
    expected = _fastapi_answers("subapp_app.py", static_env, SUBAPP_REQUESTS)
    server = start_server("subapp_app:app", mode, cwd=APPS_DIR, env=static_env)
    actual = _our_answers(server, SUBAPP_REQUESTS)
    for request, want, got in zip(SUBAPP_REQUESTS, expected, actual):
        assert got == want, request


@pytest.mark.parametrize("mode", MODES)
def test_frontend_dependencies_match_fastapi(start_server, static_env, mode):
    expected = _fastapi_answers("frontend_deps_app.py", static_env, FRONTEND_DEPS_REQUESTS)
    server = start_server("frontend_deps_app:app", mode, cwd=APPS_DIR, env=static_env)
    actual = _our_answers(server, FRONTEND_DEPS_REQUESTS)
    for request, want, got in zip(FRONTEND_DEPS_REQUESTS, expected, actual):
        assert got == want, request
