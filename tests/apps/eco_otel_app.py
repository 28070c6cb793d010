"""opentelemetry-instrumentation-fastapi, unmodified: `FastAPIInstrumentor.instrument_app` with an
in-memory span exporter; `/spans` (not traced) lists the finished spans: name, kind, `http.route`, status,
exception events. tests/ecosystem/test_ecosystem_packages.py."""

from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from astraapi import APIRouter, FastAPI

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))

app = FastAPI()
router = APIRouter(prefix="/api")


@app.get("/items/{item_id}")
async def read_item(item_id: int):
    return {"item_id": item_id}


@router.post("/users/{user_id}")
def create_user(user_id: str, body: dict):
    return {"user_id": user_id, **body}


@app.get("/boom")
async def boom():
    raise ValueError("boom")


@app.get("/spans")
def spans():
    out = []
    for span in exporter.get_finished_spans():
        if span.kind.name != "SERVER":
            continue
        out.append({"name": span.name, "route": span.attributes.get("http.route"),
                    "status": span.status.status_code.name,
                    "code": span.attributes.get("http.status_code", span.attributes.get("http.response.status_code")),
                    "events": [event.name for event in span.events]})
    exporter.clear()
    return out


app.include_router(router)
FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls="spans")
