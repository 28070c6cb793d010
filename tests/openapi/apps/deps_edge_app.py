"""Dependency edge cases: the same dependency with different scopes, a path parameter read by a
dependency, hidden parameters, duplicate names across dependencies, router-level Security, yield
dependencies, webhooks with security."""

from typing import Annotated, Union

from FRAMEWORK import APIRouter, Depends, FastAPI, Header, Path, Query, Security
from FRAMEWORK.security import HTTPBearer, OAuth2PasswordBearer, SecurityScopes

oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/token", scopes={"a": "A", "b": "B", "c": "C"}, refreshUrl="/auth/refresh")
bearer = HTTPBearer()

app = FastAPI()
router = APIRouter(prefix="/r", dependencies=[Security(oauth2, scopes=["c"])])


def scoped(security_scopes: SecurityScopes, token: Annotated[str, Depends(oauth2)], q: Union[int, None] = None):
    return token


def item_id_dep(item_id: Annotated[int, Path(ge=1)], x_trace: Annotated[Union[str, None], Header()] = None):
    return item_id


def hidden(q: Annotated[int, Query(description="required here")],
           secret: Annotated[Union[str, None], Query(include_in_schema=False)] = None):
    return secret


async def session():
    yield "s"


@app.get("/scopes")
def scopes(a: Annotated[str, Security(scoped, scopes=["a"])], b: Annotated[str, Security(scoped, scopes=["b"])]):
    return {}


@app.get("/items/{item_id}")
def item(item_id: Annotated[int, Depends(item_id_dep)], h: Annotated[Union[str, None], Depends(hidden)],
         s: Annotated[str, Depends(session)], q: Union[str, None] = None):
    return {}


@router.get("/x")
def rx(token: Annotated[str, Security(oauth2, scopes=["a"])], b: Annotated[object, Depends(bearer)]):
    return {}


@router.post("/y/{item_id}", dependencies=[Depends(item_id_dep)])
def ry(item_id: int):
    return {}


app.include_router(router)


@app.webhooks.post("new-thing")
def new_thing(token: Annotated[str, Depends(oauth2)]):
    return {}
