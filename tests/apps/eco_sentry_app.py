"""sentry-sdk, unmodified, with its default integrations (Starlette and FastAPI among them) and a transport
that keeps the envelopes in memory; `/sentry-events` lists what was sent: each event's type, transaction
name and source, exception type and mechanism, request URL and method. Served by the native server (both
modes) and by uvicorn. tests/ecosystem/test_ecosystem_packages.py."""

import sentry_sdk
from sentry_sdk.transport import Transport

from astraapi import FastAPI, HTTPException

sent: list[dict] = []


class MemoryTransport(Transport):
    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.type in ("event", "transaction"):
                sent.append(item.payload.json)


sentry_sdk.init(dsn="http://public@127.0.0.1:9/1", transport=MemoryTransport, traces_sample_rate=1.0,
                release="eco-test")

app = FastAPI()


@app.get("/items/{item_id}")
async def read_item(item_id: int):
    return {"item_id": item_id}


@app.get("/boom/{kind}")
def boom(kind: str):
    raise ValueError(f"boom {kind}")


@app.get("/unavailable/{status}")
def unavailable(status: int):
    raise HTTPException(status, "unavailable")  # answered by the default handler; 5xx ones are reported


@app.get("/sentry-events")
def sentry_events():
    sentry_sdk.flush()
    out = []
    for event in sent:
        if event.get("transaction") == "/sentry-events":
            continue
        exception = (event.get("exception") or {}).get("values") or [{}]
        out.append({"type": event.get("type", "event"), "transaction": event.get("transaction"),
                    "source": (event.get("transaction_info") or {}).get("source"),
                    "exception": exception[-1].get("type"), "mechanism": exception[-1].get("mechanism"),
                    "url": (event.get("request") or {}).get("url"),
                    "method": (event.get("request") or {}).get("method")})
    sent.clear()
    return out
