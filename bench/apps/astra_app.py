"""The benchmark app, written as a FastAPI user writes one, importing from astraapi.

`bench/apps/fastapi_app.py` is generated from this file by changing the import
(`bench.apps.generate_fastapi_twin`); never edit the twin by hand.

With BENCH_GZIP=1 the app installs GZipMiddleware when the framework has one; the bench
serves the gzip route (/report) from such a second process, so the middleware's per-request
cost does not weigh on the other routes. Without it, /report answers uncompressed and the bench
marks that route n/a for the target. BENCH_MIDDLEWARE (below) likewise makes the middleware variants.

The routes at the end are shaped like a production app's (issue 14): an OAuth2 bearer token resolved to
a user through an async `yield` "session" dependency, a pagination dependency class, list responses of
models with UUIDs, e-mail addresses, enums and time-zone-aware datetimes, and a 201 create with a body
model and BackgroundTasks.
"""

import os
from collections import deque
from typing import Optional

from astraapi import FastAPI
from astraapi import BackgroundTasks, Depends, HTTPException, Query
from astraapi.security import OAuth2PasswordBearer

from bench.apps.models import (
    CATALOG, NEW_ORDER_ID, ORDERS, REPORT, TOKEN, USER, Catalog, Item, ItemIn, OrderIn, OrderOut, OrderStatus,
    UserOut,
)

app = FastAPI()

if os.environ.get("BENCH_GZIP") == "1" and hasattr(app, "add_middleware"):
    try:
        from astraapi.middleware.gzip import GZipMiddleware
    except ImportError:
        GZipMiddleware = None
    if GZipMiddleware is not None:
        app.add_middleware(GZipMiddleware, minimum_size=1000)

# BENCH_MIDDLEWARE=function: one `@app.middleware("http")` that adds a header; =asgi: one pure ASGI
# middleware class that adds the same header (the bench's middleware routes are served from such a process).
if os.environ.get("BENCH_MIDDLEWARE") == "function":
    @app.middleware("http")
    async def add_header(request, call_next):
        response = await call_next(request)
        response.headers["x-middleware"] = "function"
        return response
elif os.environ.get("BENCH_MIDDLEWARE") == "asgi":
    class AddHeader:
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            if scope["type"] != "http":
                await self.app(scope, receive, send)
                return

            async def send_with_header(message):
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", []), (b"x-middleware", b"asgi")]
                await send(message)

            await self.app(scope, receive, send_with_header)

    app.add_middleware(AddHeader)


@app.get("/")
async def root():
    return {"message": "Hello World"}


@app.get("/items/{item_id}", response_model=Item)
async def read_item(item_id: int, q: Optional[str] = None):
    return {"item_id": item_id, "q": q, "price": 9.5, "tags": ["a", "b"]}


@app.post("/items", response_model=ItemIn)
async def create_item(item: ItemIn):
    return item


@app.get("/catalog", response_model=Catalog)
async def catalog():
    return CATALOG


@app.get("/report")
async def report():
    return REPORT


# --- Real-app routes -----------------------------------------------------------------------

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


class Session:
    """Stands in for a database session: opened and closed per request by a `yield` dependency."""

    __slots__ = ("closed",)

    def __init__(self):
        self.closed = False

    def user_for_token(self, token):
        return USER if token == TOKEN else None

    def close(self):
        self.closed = True


async def get_session():
    session = Session()
    try:
        yield session
    finally:
        session.close()


async def current_user(token: str = Depends(oauth2_scheme), session: Session = Depends(get_session)):
    user = session.user_for_token(token)
    if user is None:
        raise HTTPException(status_code=401, detail="Could not validate credentials",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


class Pagination:
    def __init__(self, offset: int = 0, limit: int = Query(20, ge=1, le=100)):
        self.offset = offset
        self.limit = limit


AUDIT = deque(maxlen=1000)


def audit(event: str, order_id) -> None:
    AUDIT.append((event, order_id))


@app.get("/users/me", response_model=UserOut)
async def read_me(user: dict = Depends(current_user)):
    return user


@app.get("/orders", response_model=list[OrderOut])
async def list_orders(page: Pagination = Depends(), user: dict = Depends(current_user)):
    return ORDERS[page.offset:page.offset + page.limit]


@app.post("/orders", response_model=OrderOut, status_code=201)
async def create_order(order: OrderIn, background_tasks: BackgroundTasks, user: dict = Depends(current_user)):
    background_tasks.add_task(audit, "created", NEW_ORDER_ID)
    return {"id": NEW_ORDER_ID, "customer_email": user["email"], "product_id": order.product_id,
            "quantity": order.quantity, "total": 19.99 * order.quantity, "status": OrderStatus.pending,
            "created_at": USER["created_at"], "note": order.note}
