"""An app with OpenTelemetry (FastAPI(telemetry=...)): spans and metrics go to in-memory exporters that
`/_telemetry` reads back (that route is excluded from telemetry itself)."""

from typing import Annotated

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from astraapi import BackgroundTasks, Depends, FastAPI, HTTPException, Request, WebSocket
from astraapi.telemetry import get_telemetry_data

spans = InMemorySpanExporter()
tracer_provider = TracerProvider()
tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
reader = InMemoryMetricReader()
meter_provider = MeterProvider(metric_readers=[reader])
logs = InMemoryLogRecordExporter()
logger_provider = LoggerProvider()
logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))

app = FastAPI(telemetry={
    "tracer_provider": tracer_provider, "meter_provider": meter_provider, "logger_provider": logger_provider,
    "exclude": lambda scope: scope["path"].startswith("/_telemetry"),
})


@app.get("/items/{item_id}")
async def read_item(item_id: int):
    return {"item_id": item_id}


def who(request: Request):
    data = get_telemetry_data()
    return data is not None and data.request is request


@app.get("/sync")
def sync_route(seen: Annotated[bool, Depends(who)], tasks: BackgroundTasks):
    tasks.add_task(lambda: None)
    return {"data_has_request": seen}


@app.get("/fail")
def fail():
    raise ValueError("endpoint failed")


@app.get("/gone")
async def gone():
    raise HTTPException(410, "Gone")


@app.websocket("/ws/{room}")
async def echo(websocket: WebSocket, room: int):
    data = get_telemetry_data()
    await websocket.accept()
    await websocket.send_text(f"{data.websocket is websocket} {data.values['room']}")
    await websocket.close()


@app.api_route("/search/{kind}", methods=["QUERY", "PROPFIND"])  # extension methods the server parses
async def search(kind: str, request: Request):
    return {"method": request.method, "kind": kind}


@app.get("/late-failure")
async def late_failure(tasks: BackgroundTasks):
    def fail():
        raise HTTPException(503, "after the answer")

    tasks.add_task(fail)
    return "sent"


tenant = FastAPI()  # mounted: its routes are named with the mount path (FastAPI's http.route)


@tenant.get("/items/{item_id}/")
def tenant_item(item_id: int):
    return {"tenant_item": item_id}


@tenant.websocket("/rooms/{room}")
async def tenant_room(websocket: WebSocket, room: int):
    await websocket.accept()
    await websocket.send_text(f"room {room}")
    await websocket.close()


app.mount("/tenants/{tenant}", tenant)


def exception_chain(error):
    """The classes of a log record's exception and of its causes, outermost first."""
    chain = []
    while error is not None:
        chain.append(f"{type(error).__module__}.{type(error).__qualname__}")
        error = error.__cause__
    return chain


@app.get("/_telemetry")
def read_telemetry():
    metrics = reader.get_metrics_data()
    points = [
        {"name": metric.name, "attributes": dict(point.attributes),
         "count": getattr(point, "count", None), "value": getattr(point, "value", None)}
        for resource in (metrics.resource_metrics if metrics else [])
        for scope in resource.scope_metrics for metric in scope.metrics for point in metric.data.data_points
    ]
    return {
        "spans": [{"name": span.name, "kind": span.kind.name, "attributes": dict(span.attributes),
                   "status": span.status.status_code.name, "trace_id": f"{span.context.trace_id:032x}",
                   "parent": f"{span.parent.span_id:016x}" if span.parent else None}
                  for span in spans.get_finished_spans()],
        "points": points,
        "logs": [{"event": data.log_record.event_name, "severity": data.log_record.severity_text,
                  "attributes": {name: value for name, value in (data.log_record.attributes or {}).items()
                                 if not name.startswith("exception.")},
                  "exception": exception_chain(data.log_record.exception)} for data in logs.get_finished_logs()],
    }


@app.delete("/_telemetry")
def clear_telemetry():
    spans.clear()
    logs.clear()
    return None
