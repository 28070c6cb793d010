"""OpenAPI callbacks, openapi_extra and webhooks, for the example-app set."""

from pydantic import BaseModel, HttpUrl

from astraapi import APIRouter, FastAPI

app = FastAPI()


class Invoice(BaseModel):
    id: str
    title: str | None = None
    customer: str
    total: float


class InvoiceEvent(BaseModel):
    description: str
    paid: bool


class InvoiceEventReceived(BaseModel):
    ok: bool


invoices_callback_router = APIRouter()


@invoices_callback_router.post("{$callback_url}/invoices/{$request.body.id}", response_model=InvoiceEventReceived)
def invoice_notification(body: InvoiceEvent):
    pass


@app.post("/invoices/", callbacks=invoices_callback_router.routes)
def create_invoice(invoice: Invoice, callback_url: HttpUrl | None = None):
    """Create an invoice."""
    return {"msg": "Invoice received"}


@app.get("/extra", openapi_extra={"x-aperture-labs-portal": "blue", "parameters": [
    {"name": "x-custom", "in": "header", "schema": {"type": "string"}}]})
def extra():
    return {"extra": True}


@app.webhooks.post("new-invoice")
def new_invoice(body: Invoice):
    """A new invoice was made."""


REQUESTS = [
    ("POST", "/invoices/?callback_url=https://example.com/cb", {"json": {"id": "1", "customer": "c", "total": 2.5}}),
    ("POST", "/invoices/?callback_url=nope", {"json": {"id": "1", "customer": "c", "total": 2.5}}),
    ("GET", "/extra", {}),
    ("GET", "/openapi.json", {}),
]
