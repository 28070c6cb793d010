"""Real ecosystem packages, unmodified, around AstraAPI apps served by a real server in both modes
(apps: tests/apps/eco_*_app.py): asgi-correlation-id, prometheus-fastapi-instrumentator,
starlette-exporter, slowapi (decorator, both middlewares, memory:// storage), Starlette's SessionMiddleware,
opentelemetry-instrumentation-fastapi, sentry-sdk's Starlette/FastAPI integration, a2wsgi and
sse-starlette. The same apps through httpx.ASGITransport and uvicorn: test_ecosystem_asgi.py."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from support.paths import APPS_DIR, MODES

for _package in ("asgi_correlation_id", "prometheus_fastapi_instrumentator", "starlette_exporter", "slowapi",
                 "opentelemetry.instrumentation.fastapi", "sentry_sdk", "a2wsgi", "sse_starlette"):
    pytest.importorskip(_package)


def _server(name: str):
    @pytest.fixture(scope="module", params=MODES)
    def fixture(request, start_server):
        return start_server(name, request.param, cwd=APPS_DIR)

    return fixture


correlation = _server("eco_correlation_app:app")
prometheus = _server("eco_prometheus_app:app")
exporter = _server("eco_exporter_app:app")
slowapi_middleware = _server("eco_slowapi_app:app")
slowapi_asgi = _server("eco_slowapi_app:asgi_app")
otel = _server("eco_otel_app:app")
sentry = _server("eco_sentry_app:app")
wsgi = _server("eco_wsgi_app:app")
sse = _server("eco_sse_app:app")
session = _server("starlette_session_app:app")


def get(server, path: str, method: str = "GET", **kwargs) -> httpx.Response:
    return httpx.request(method, server.base_url + path, timeout=10, **kwargs)


# ------------------------------------------------------------------ asgi-correlation-id

def test_correlation_id_is_taken_from_the_header_and_seen_everywhere(correlation):
    given = "a" * 32
    response = get(correlation, "/items/3", headers={"X-Request-ID": given})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == given
    assert response.json() == {"item_id": 3, "endpoint": given, "dependency": given}
    assert get(correlation, "/logged").json() == {"records": [f"{given}:item 3"]}  # its logging filter


def test_correlation_id_is_generated_and_reaches_sync_endpoints(correlation):
    response = get(correlation, "/sync", headers={"X-Request-ID": "not a uuid"})  # invalid: replaced
    generated = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert response.json() == {"endpoint": generated}
    missing = get(correlation, "/nothing")
    assert missing.status_code == 404 and re.fullmatch(r"[0-9a-f]{32}", missing.headers["x-request-id"])


# ------------------------------------------------------------------ prometheus-fastapi-instrumentator

def _samples(text: str, metric: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line.startswith(metric + "{"):
            labels, _, value = line.rpartition(" ")
            out[labels[len(metric):]] = float(value)
    return out


def test_instrumentator_labels_requests_with_route_templates(prometheus):
    for path in ("/items/1", "/items/2", "/items/0", "/api/users/ann", "/nothing"):
        get(prometheus, path)
    metrics = get(prometheus, "/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain; version=")
    totals = _samples(metrics.text, "http_requests_total")
    assert totals['{handler="/items/{item_id}",method="GET",status="2xx"}'] == 2.0
    assert totals['{handler="/items/{item_id}",method="GET",status="4xx"}'] == 1.0
    assert totals['{handler="/api/users/{user_id}",method="GET",status="2xx"}'] == 1.0
    assert totals['{handler="none",method="GET",status="4xx"}'] == 1.0  # untemplated, grouped
    assert "http_request_duration_seconds_bucket" in metrics.text


# ------------------------------------------------------------------ starlette-exporter

def test_starlette_exporter_counts_by_route_template(exporter):
    get(exporter, "/items/5")
    get(exporter, "/items/6")
    get(exporter, "/items", "POST", json={"a": 1})
    text = get(exporter, "/metrics").text
    totals = _samples(text, "starlette_requests_total")
    assert totals['{app_name="eco",method="GET",path="/items/{item_id}",status_code="200"}'] == 2.0
    assert totals['{app_name="eco",method="POST",path="/items",status_code="200"}'] == 1.0


# ------------------------------------------------------------------ slowapi

def test_slowapi_with_its_base_http_middleware(slowapi_middleware):
    check_slowapi(slowapi_middleware)


def test_slowapi_with_its_asgi_middleware(slowapi_asgi):
    check_slowapi(slowapi_asgi)


def check_slowapi(server):
    answers = [get(server, "/limited") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].json() == {"ok": True}
    assert answers[0].headers["x-ratelimit-limit"] == "2" and answers[0].headers["x-ratelimit-remaining"] == "1"
    assert answers[2].json() == {"error": "Rate limit exceeded: 2 per 1 minute"}
    assert answers[2].headers["x-ratelimit-remaining"] == "0" and "retry-after" in answers[2].headers
    sync = [get(server, "/limited-sync").status_code for _ in range(2)]
    assert sync == [200, 429]
    defaults = [get(server, "/default/1").status_code for _ in range(4)]  # the middleware's default limit
    assert defaults == [200, 200, 200, 429]
    assert [get(server, "/exempt").status_code for _ in range(5)] == [200] * 5


# ------------------------------------------------------------------ Starlette's SessionMiddleware

def test_session_middleware_keeps_the_session_in_a_signed_cookie(session):
    with httpx.Client(base_url=session.base_url, timeout=10) as client:
        first = client.get("/count")
        assert first.json() == {"n": 1}
        cookie = first.headers["set-cookie"]
        assert cookie.startswith("session=") and "path=/" in cookie and "httponly" in cookie.lower()
        assert client.get("/count").json() == {"n": 2}
    assert get(session, "/count").json() == {"n": 1}  # a new client, no cookie
    assert get(session, "/count", cookies={"session": "forged"}).json() == {"n": 1}  # bad signature: ignored


# ------------------------------------------------------------------ opentelemetry-instrumentation-fastapi

def test_opentelemetry_server_spans_carry_the_route(otel):
    get(otel, "/spans")  # clears what earlier requests left
    assert get(otel, "/items/7").status_code == 200
    assert get(otel, "/api/users/bo", "POST", json={"x": 1}).json() == {"user_id": "bo", "x": 1}
    assert get(otel, "/boom").status_code == 500
    assert get(otel, "/nothing").status_code == 404
    spans = get(otel, "/spans").json()
    assert spans == [
        {"name": "GET /items/{item_id}", "route": "/items/{item_id}", "status": "UNSET", "code": 200, "events": []},
        {"name": "POST /api/users/{user_id}", "route": "/api/users/{user_id}", "status": "UNSET", "code": 200,
         "events": []},
        {"name": "GET /boom", "route": "/boom", "status": "ERROR", "code": 500, "events": ["exception"]},
        {"name": "GET", "route": None, "status": "UNSET", "code": 404, "events": []},
    ]


# ------------------------------------------------------------------ sentry-sdk

def _sentry_events(server) -> list[dict]:
    deadline = time.monotonic() + 10
    while True:
        events = get(server, "/sentry-events").json()
        if len(events) >= 3 or time.monotonic() > deadline:
            return events
        time.sleep(0.1)


def test_sentry_integration_records_transactions_and_errors(sentry):
    get(sentry, "/sentry-events")
    assert get(sentry, "/items/4").status_code == 200
    failed = get(sentry, "/boom/x")
    assert failed.status_code == 500 and failed.text == "Internal Server Error"
    events = sorted(_sentry_events(sentry), key=lambda e: (e["type"], e["transaction"]))
    url = sentry.base_url
    assert events == [
        {"type": "event", "transaction": "/boom/{kind}", "source": "route", "exception": "ValueError",
         "mechanism": {"type": "starlette", "handled": False}, "url": f"{url}/boom/x", "method": "GET"},
        {"type": "transaction", "transaction": "/boom/{kind}", "source": "route", "exception": None,
         "mechanism": None, "url": f"{url}/boom/x", "method": "GET"},
        {"type": "transaction", "transaction": "/items/{item_id}", "source": "route", "exception": None,
         "mechanism": None, "url": f"{url}/items/4", "method": "GET"},
    ]


def test_sentry_reports_handled_server_errors(sentry):
    """An HTTPException with a status in the integration's failed_request_status_codes (5xx) is a handled
    event, as sentry's patch of Starlette's ExceptionMiddleware reports it; a 404 is not."""
    get(sentry, "/sentry-events")
    assert get(sentry, "/unavailable/404").status_code == 404
    assert get(sentry, "/unavailable/503").status_code == 503
    events = sorted(_sentry_events(sentry), key=lambda e: (e["type"], e["url"]))
    url = sentry.base_url
    assert [(e["type"], e["exception"], e["mechanism"], e["url"]) for e in events] == [
        ("event", "HTTPException", {"type": "starlette", "handled": True}, f"{url}/unavailable/503"),
        ("transaction", None, None, f"{url}/unavailable/404"),
        ("transaction", None, None, f"{url}/unavailable/503"),
    ]


# ------------------------------------------------------------------ a2wsgi

def test_a_mounted_wsgi_app_gets_its_environ_and_body(wsgi):
    response = get(wsgi, "/wsgi/a/b?x=1", "POST", content=b"payload", headers={"content-type": "text/plain"})
    assert response.status_code == 201
    assert response.headers["x-wsgi"] == "yes"
    host = wsgi.base_url.removeprefix("http://")
    assert response.text == f"POST script=/wsgi path=/a/b query=x=1 body=payload host={host} type=text/plain"
    streamed = get(wsgi, "/wsgi/stream")
    assert streamed.status_code == 200 and streamed.text == "one,two,three"
    assert get(wsgi, "/native").json() == {"native": True}


# ------------------------------------------------------------------ sse-starlette

def test_event_source_response_streams_events(sse):
    response = get(sse, "/events")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["x-sse"] == "1" and response.headers["cache-control"] == "no-store"
    assert response.text == ("id: 0\r\nevent: tick\r\ndata: n0\r\n\r\n" "id: 1\r\nevent: tick\r\ndata: n1\r\n\r\n"
                             "id: 2\r\nevent: tick\r\ndata: n2\r\n\r\n" "event: end\r\ndata: bye\r\n\r\n")


def test_an_endless_event_stream_ends_when_the_client_leaves(sse):
    with httpx.stream("GET", sse.base_url + "/endless", timeout=10) as response:
        lines = response.iter_lines()
        assert [next(lines) for _ in range(4)] == ["data: 0", "", "data: 1", ""]
    deadline = time.monotonic() + 10
    while get(sse, "/closed").json() != {"closed": ["endless"]}:
        assert time.monotonic() < deadline, "the generator was not closed after the client left"
        time.sleep(0.05)


# ------------------------------------------------------------------ astraapi inspect

def test_inspect_names_the_python_middleware_of_every_route_and_its_cost(tmp_path):
    from support.servers import run_cli

    def inspect(ref: str, *route: str) -> str:
        done = run_cli(["inspect", ref, *(("--route", route[0]) if route else ()), "--build-dir", str(tmp_path)],
                       cwd=APPS_DIR)
        assert done.returncode == 0, done.stderr
        return done.stdout

    listing = inspect("eco_slowapi_app:asgi_app")
    routes = [line for line in listing.splitlines() if line.startswith("  generic   ")]
    through = [line for line in listing.splitlines() if "through Python middleware" in line]
    assert len(routes) == len(through) == 8  # one line per route
    assert through[0].strip() == "through Python middleware: SlowAPIASGIMiddleware (ASGI); no direct call"
    otel_route = inspect("eco_otel_app:app", "/items/{item_id}")
    assert ("Python middleware (outermost first): the app's middleware stack, build_middleware_stack replaced by "
            "opentelemetry.instrumentation.fastapi.FastAPIInstrumentor.instrument_app.<locals>.build_middleware_stack"
            " (ASGI)") in otel_route
    assert "cost: ASGI: a scope dict and the http.response.start/body messages" in otel_route
    assert "cost: no native file body" in otel_route
    assert "direct call: no: Python middleware wraps every request" in otel_route
    sentry_route = inspect("eco_sentry_app:app", "/items/{item_id}")
    assert "sentry-sdk's SentryAsgiMiddleware, its Starlette/FastAPI integration being enabled (ASGI)" in sentry_route
    plain = inspect("eco_otel_app:app")
    assert "through Python middleware: the app's middleware stack" in plain
