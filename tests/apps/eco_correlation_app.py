"""asgi-correlation-id, unmodified: its CorrelationIdMiddleware (pure ASGI) and the `correlation_id`
context variable, read in async and sync endpoints, a dependency and a log record (its logging filter).
tests/ecosystem/test_ecosystem_packages.py."""

import logging

from asgi_correlation_id import CorrelationIdFilter, CorrelationIdMiddleware, correlation_id

from astraapi import Depends, FastAPI

records: list[str] = []


class Collect(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        records.append(f"{record.correlation_id}:{record.getMessage()}")  # type: ignore[attr-defined]


logger = logging.getLogger("eco.correlation")
logger.setLevel(logging.INFO)
handler = Collect()
handler.addFilter(CorrelationIdFilter())
logger.addHandler(handler)

app = FastAPI()
app.add_middleware(CorrelationIdMiddleware)


def dependency_sees() -> str | None:
    return correlation_id.get()


@app.get("/items/{item_id}")
async def read_item(item_id: int, seen: str | None = Depends(dependency_sees)):
    logger.info("item %s", item_id)
    return {"item_id": item_id, "endpoint": correlation_id.get(), "dependency": seen}


@app.get("/sync")
def sync_endpoint():
    return {"endpoint": correlation_id.get()}


@app.get("/logged")
def logged():
    return {"records": records[-1:]}
