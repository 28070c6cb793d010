"""prometheus-fastapi-instrumentator, unmodified: `Instrumentator().instrument(app).expose(app)`; its
labels carry the route templates (routes, an included router's prefixed routes, 404s grouped as "none").
tests/ecosystem/test_ecosystem_packages.py."""

from prometheus_fastapi_instrumentator import Instrumentator

from astraapi import APIRouter, FastAPI, HTTPException

app = FastAPI()
router = APIRouter(prefix="/api")


@app.get("/items/{item_id}")
async def read_item(item_id: int):
    if item_id == 0:
        raise HTTPException(status_code=404, detail="no item 0")
    return {"item_id": item_id}


@router.get("/users/{user_id}")
def read_user(user_id: str):
    return {"user_id": user_id}


app.include_router(router)
Instrumentator().instrument(app).expose(app)
