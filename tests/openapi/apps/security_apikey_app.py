"""API keys in a header, a query parameter and a cookie, two header schemes, a router-level dependency."""

from typing import Annotated

from FRAMEWORK import APIRouter, Depends, FastAPI
from FRAMEWORK.security import APIKeyCookie, APIKeyHeader, APIKeyQuery

header_scheme = APIKeyHeader(name="X-API-Key")
other_header = APIKeyHeader(name="X-Other-Key", scheme_name="OtherKey", description="another key", auto_error=False)
query_scheme = APIKeyQuery(name="api_key")
cookie_scheme = APIKeyCookie(name="session")

app = FastAPI(dependencies=[Depends(header_scheme)])
router = APIRouter(prefix="/r", dependencies=[Depends(cookie_scheme)])


@app.get("/items/")
async def read_items(key: Annotated[str, Depends(query_scheme)], other: Annotated[str | None, Depends(other_header)]):
    return {"key": key}


@router.get("/x")
async def read_x(key: Annotated[str, Depends(header_scheme)]):
    return {"key": key}


app.include_router(router)
