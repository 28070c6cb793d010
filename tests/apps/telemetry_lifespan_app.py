"""An app without `telemetry=` whose lifespan configures OpenTelemetry's global providers (as an app calling
`logfire.configure()` or its own setup in its startup does): the server decides after the startup that
telemetry is on, so every request is observed. `/_spans` lists the finished server spans' names."""

from contextlib import asynccontextmanager

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from astraapi import FastAPI

spans = InMemorySpanExporter()


@asynccontextmanager
async def lifespan(app):
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    trace.set_tracer_provider(provider)
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/items/{item_id}")
async def read_item(item_id: int):  # a direct route when nothing observes the app
    return {"item_id": item_id}


@app.get("/_spans")
def read_spans():
    return [span.name for span in spans.get_finished_spans() if span.kind == trace.SpanKind.SERVER]
