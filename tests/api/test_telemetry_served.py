"""FastAPI(telemetry=...) on real servers, in both modes: server spans with FastAPI's attributes, the HTTP
metrics, log records for validation failures and unhandled exceptions, and get_telemetry_data()."""

from __future__ import annotations

import httpx
import pytest

from support.paths import APPS_DIR, MODES

pytest.importorskip("opentelemetry.sdk")


@pytest.fixture(scope="module", params=MODES)
def server(request, start_server):
    return start_server("telemetry_app:app", request.param, cwd=APPS_DIR)


def recorded(server, method: str, path: str, **kwargs):
    """Send one request, then what telemetry recorded for it (and only for it)."""
    httpx.delete(server.base_url + "/_telemetry")
    response = httpx.request(method, server.base_url + path, **kwargs)
    return response, httpx.get(server.base_url + "/_telemetry").json()


def server_span(seen):
    (span,) = [span for span in seen["spans"] if span["kind"] == "SERVER"]
    return span


def test_matched_request(server):
    trace_id = "0123456789abcdef0123456789abcdef"
    response, seen = recorded(server, "GET", "/items/7?page=2&sig=secret",
                              headers={"traceparent": f"00-{trace_id}-0123456789abcdef-01"})
    assert response.json() == {"item_id": 7}
    span = server_span(seen)
    assert span["name"] == "GET /items/{item_id}"
    assert span["trace_id"] == trace_id and span["parent"] == "0123456789abcdef"
    assert span["status"] == "UNSET"
    port = int(server.base_url.rsplit(":", 1)[1])
    assert span["attributes"] == {
        "url.scheme": "http", "http.request.method": "GET", "network.protocol.version": "1.1",
        "server.address": "127.0.0.1", "server.port": port, "url.path": "/items/7",
        "url.query": "page=2&sig=REDACTED", "http.route": "/items/{item_id}", "http.response.status_code": 200,
    }
    duration = [p for p in seen["points"] if p["name"] == "http.server.request.duration"]
    assert any(p["attributes"].get("http.route") == "/items/{item_id}" and p["count"] >= 1 for p in duration)
    active = [p for p in seen["points"] if p["name"] == "http.server.active_requests"]
    assert [p["value"] for p in active] == [0]


def test_not_found_and_validation(server):
    response, seen = recorded(server, "GET", "/nowhere")
    assert response.status_code == 404
    span = server_span(seen)
    assert span["name"] == "GET" and "http.route" not in span["attributes"]
    assert span["attributes"]["http.response.status_code"] == 404
    response, seen = recorded(server, "GET", "/items/x")
    assert response.status_code == 422
    assert server_span(seen)["status"] == "UNSET"
    assert [(log["event"], log["severity"], log["attributes"]) for log in seen["logs"]] == [
        ("fastapi.validation.failed", "WARN", {"fastapi.validation.error_count": 1, "http.route": "/items/{item_id}"}),
    ]


def test_errors(server):
    response, seen = recorded(server, "GET", "/fail")
    assert response.status_code == 500
    span = server_span(seen)
    assert span["status"] == "ERROR"
    assert span["attributes"]["error.type"] == "ValueError"
    assert [(log["event"], log["severity"]) for log in seen["logs"]] == [
        ("http.server.request.exception", "ERROR"),
    ]
    response, seen = recorded(server, "GET", "/gone")
    assert response.status_code == 410
    span = server_span(seen)
    assert span["status"] == "UNSET" and "error.type" not in span["attributes"]
    assert seen["logs"] == []


def test_request_data_and_background_span(server):
    response, seen = recorded(server, "GET", "/sync")
    assert response.json() == {"data_has_request": True}
    names = {span["name"] for span in seen["spans"]}
    assert names == {"GET /sync", "fastapi.dependencies", "fastapi.endpoint", "fastapi.serialization",
                     "fastapi.background_task"}
    server = server_span(seen)
    operations = [span for span in seen["spans"] if span["name"].startswith("fastapi.")]
    assert all(span["trace_id"] == server["trace_id"] for span in operations)
    assert all("code.function.name" in span["attributes"] for span in operations)


def test_websocket_session_span(server):
    import time

    from support.ws_raw import RawWS

    httpx.delete(server.base_url + "/_telemetry")
    with RawWS(server.port, "/ws/5") as ws:
        assert ws.status == 101, ws.head
        assert ws.read_frame()[2] == b"True 5"
        assert ws.read_close()[0] == 1000
    for _ in range(50):  # the session's task ends just after the close frame
        seen = httpx.get(server.base_url + "/_telemetry").json()
        if any(span["kind"] == "SERVER" for span in seen["spans"]):
            break
        time.sleep(0.02)
    span = server_span(seen)
    assert span["name"] == "WS /ws/{room}" and span["status"] == "UNSET"
    assert span["attributes"]["network.protocol.name"] == "websocket"
    assert span["attributes"]["url.scheme"] == "ws"
    assert "http.response.status_code" not in span["attributes"]
    assert {"fastapi.dependencies", "fastapi.endpoint"} <= {s["name"] for s in seen["spans"]}


def test_router_answers_are_named_with_their_route(server):
    """The router's 405 and trailing-slash redirect carry the template of the route that matched."""
    response, seen = recorded(server, "POST", "/items/7")
    assert response.status_code == 405
    span = server_span(seen)
    assert span["name"] == "POST /items/{item_id}"
    assert span["attributes"]["http.route"] == "/items/{item_id}"
    response, seen = recorded(server, "GET", "/items/7/", follow_redirects=False)
    assert response.status_code == 307
    assert server_span(seen)["attributes"]["http.route"] == "/items/{item_id}"


def test_extension_methods_are_routed_and_named(server):
    """QUERY and PROPFIND (methods llhttp parses without a method bit of their own) reach the route that
    declares them; another parsed method on its path is the route's 405, named `HTTP` with `_OTHER`."""
    response, seen = recorded(server, "QUERY", "/search/books")
    assert response.status_code == 200 and response.json() == {"method": "QUERY", "kind": "books"}
    span = server_span(seen)
    assert span["name"] == "QUERY /search/{kind}"
    assert span["attributes"]["http.request.method"] == "QUERY"
    assert "http.request.method_original" not in span["attributes"]
    response, seen = recorded(server, "PROPFIND", "/search/books")
    assert response.json() == {"method": "PROPFIND", "kind": "books"}
    span = server_span(seen)
    assert span["name"] == "HTTP /search/{kind}"  # not one of the semantic conventions' known methods
    assert span["attributes"]["http.request.method"] == "_OTHER"
    assert span["attributes"]["http.request.method_original"] == "PROPFIND"
    response, seen = recorded(server, "COPY", "/search/books")
    assert response.status_code == 405 and response.headers["allow"] == "QUERY, PROPFIND"
    assert server_span(seen)["attributes"]["http.request.method_original"] == "COPY"
    assert httpx.request("QUERY", server.base_url + "/items/1").status_code == 405
    assert httpx.request("GET", server.base_url + "/search/books").status_code == 405


def test_handled_exception_after_the_answer(server):
    """An HTTPException a background task raises once the answer went out is Starlette's RuntimeError
    from it (as under FastAPI), and `error.type` keeps FastAPI's class name."""
    import time

    httpx.delete(server.base_url + "/_telemetry")
    assert httpx.get(server.base_url + "/late-failure").json() == "sent"
    for _ in range(50):  # the background task runs just after the answer
        seen = httpx.get(server.base_url + "/_telemetry").json()
        if seen["logs"]:
            break
        time.sleep(0.02)
    (task,) = [span for span in seen["spans"] if span["name"] == "fastapi.background_task"]
    assert task["status"] == "ERROR"
    assert task["attributes"]["error.type"] == "fastapi.exceptions.HTTPException"
    assert server_span(seen)["status"] == "UNSET"
    (log,) = seen["logs"]
    assert log["exception"] == ["builtins.RuntimeError", "astraapi.exceptions.HTTPException"]


def test_docs_routes_have_no_operation_spans(server):
    response, seen = recorded(server, "GET", "/openapi.json")
    assert response.status_code == 200
    assert [span["name"] for span in seen["spans"]] == ["GET /openapi.json"]


def test_mounted_app_routes(server):
    response, seen = recorded(server, "GET", "/tenants/acme/items/3/")
    assert response.json() == {"tenant_item": 3}
    span = server_span(seen)
    assert span["name"] == "GET /tenants/{tenant}/items/{item_id}/"
    assert span["attributes"]["url.path"] == "/tenants/acme/items/3/"
    duration = [p for p in seen["points"] if p["name"] == "http.server.request.duration"]
    assert not any("acme" in repr(p["attributes"]) for p in duration)
    response, seen = recorded(server, "GET", "/tenants/acme/items/3", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"].endswith("/tenants/acme/items/3/")
    assert server_span(seen)["attributes"]["http.route"] == "/tenants/{tenant}/items/{item_id}/"


def test_mounted_app_websocket(server):
    import time

    from support.ws_raw import RawWS

    httpx.delete(server.base_url + "/_telemetry")
    with RawWS(server.port, "/tenants/acme/rooms/9") as ws:
        assert ws.status == 101, ws.head
        assert ws.read_frame()[2] == b"room 9"
        assert ws.read_close()[0] == 1000
    for _ in range(50):  # the session's task ends just after the close frame
        seen = httpx.get(server.base_url + "/_telemetry").json()
        if any(span["kind"] == "SERVER" for span in seen["spans"]):
            break
        time.sleep(0.02)
    assert server_span(seen)["name"] == "WS /tenants/{tenant}/rooms/{room}"
    with RawWS(server.port, "/tenants/acme/nowhere") as ws:  # the mounted app's router refuses it
        assert ws.status == 403


def test_off_without_providers():
    """Without telemetry= providers and without OpenTelemetry imported, serving does not wrap the handler."""
    import sys

    from astraapi import FastAPI
    from astraapi.server.serve import _observed

    app = FastAPI()
    assert "opentelemetry" in sys.modules  # this test process has imported it: the global providers decide
    assert _observed(app) is False  # OpenTelemetry's default (proxy) providers: nothing configured


def test_settings_are_checked_and_copied():
    from astraapi import FastAPI

    settings = {"tracing": False}
    app = FastAPI(telemetry=settings)
    settings["tracing"] = True
    assert app._telemetry_settings["tracing"] is False
    with pytest.raises(ValueError, match="unknown setting"):
        FastAPI(telemetry={"tracer": None})
    with pytest.raises(ValueError, match="must be a bool"):
        FastAPI(telemetry={"metrics": 1})


def test_auto_configure_problems_warn_without_stopping_startup(monkeypatch, caplog):
    """auto_configure with an exporter AstraAPI cannot set up: a warning, and the app still starts."""
    from astraapi import FastAPI
    from astraapi.testclient import TestClient

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    started = []

    async def lifespan(app):
        started.append(True)
        yield

    app = FastAPI(telemetry={"auto_configure": True, "metrics": False, "logs": False}, lifespan=lifespan)

    @app.get("/")
    def root():
        return "ok"

    with caplog.at_level("WARNING", logger="fastapi"), TestClient(app) as client:
        assert client.get("/").json() == "ok"
    assert started == [True]
    assert "automatic telemetry configuration failed" in caplog.text
    assert "OTEL_TRACES_EXPORTER=otlp or none" in caplog.text


def test_an_error_the_stack_raises_again_is_logged_once():
    """An app served through the stack it builds (its `build_middleware_stack` replaced, as instrumentation
    does) raises the endpoint's error again after the engine answered it: one exception log record."""
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
    from opentelemetry.sdk.trace import TracerProvider

    from astraapi import FastAPI
    from astraapi.testclient import TestClient

    exported = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(exported))
    app = FastAPI(telemetry={"tracer_provider": TracerProvider(), "logger_provider": provider})
    built = app.build_middleware_stack
    app.build_middleware_stack = lambda: built()

    @app.get("/fail")
    def fail():
        raise ValueError("endpoint failed")

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/fail").status_code == 500
    (record,) = exported.get_finished_logs()
    assert record.log_record.event_name == "http.server.request.exception"
    assert isinstance(record.log_record.exception, ValueError)


@pytest.mark.parametrize("mode", MODES)
def test_providers_configured_by_the_lifespan(start_server, mode):
    """Global providers the lifespan's startup sets are seen: the server decides after the startup."""
    server = start_server("telemetry_lifespan_app:app", mode, cwd=APPS_DIR)
    assert httpx.get(server.base_url + "/items/3").json() == {"item_id": 3}
    assert httpx.get(server.base_url + "/nowhere").status_code == 404
    assert httpx.get(server.base_url + "/_spans").json() == ["GET /items/{item_id}", "GET"]


def test_the_asgi_layer_observes_asgi_applications():
    """telemetry._asgi.NativeTelemetry (FastAPI's shape) around ASGI applications: the span ends with the
    complete answer (the last trailers when announced) or as an error; an AstraAPI app inside it leaves
    the span to it and names the route."""
    import asyncio

    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from astraapi import FastAPI
    from astraapi.telemetry._asgi import NativeTelemetry

    exported = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exported))
    reader = InMemoryMetricReader()
    settings = {"tracer_provider": tracer_provider, "meter_provider": MeterProvider(metric_readers=[reader]),
                "operation_spans": False}
    layer = NativeTelemetry(FastAPI(telemetry=settings)._telemetry)
    assert layer.enabled()
    ended_early = []

    async def with_trailers(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [], "trailers": True})
        await send({"type": "http.response.body", "body": b"ok"})
        ended_early.append(bool(exported.get_finished_spans()))
        await send({"type": "http.response.trailers", "headers": []})

    async def incomplete(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})

    async def run(app, scope):
        sent = []

        async def receive():
            return {"type": "http.request", "body": b""}

        async def send(message):
            sent.append(message)

        await layer(app=app, scope=scope, receive=receive, send=send)
        return sent

    def scope(path):
        return {"type": "http", "method": "GET", "scheme": "http", "path": path, "query_string": b"",
                "headers": [(b"host", b"example.org")], "http_version": "1.1", "root_path": ""}

    asyncio.run(run(with_trailers, scope("/trailers")))
    asyncio.run(run(incomplete, scope("/incomplete")))
    first, second = exported.get_finished_spans()
    assert ended_early == [False]
    assert (first.name, first.status.status_code.name, first.attributes["http.response.status_code"]) == \
        ("GET", "UNSET", 200)
    assert second.status.status_code.name == "ERROR"
    assert second.attributes["error.type"] == "RuntimeError"
    exported.clear()

    app = FastAPI()  # served inside the layer: one span, named with the app's route

    @app.get("/items/{item_id}")
    async def read_item(item_id: int):
        return {"item_id": item_id}

    sent = asyncio.run(run(app, scope("/items/5")))
    assert sent[-1]["body"] == b'{"item_id":5}'
    (span,) = exported.get_finished_spans()
    assert span.name == "GET /items/{item_id}" and span.attributes["http.route"] == "/items/{item_id}"
    assert span.attributes["server.address"] == "example.org"
