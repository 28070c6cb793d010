"""Golden app: routes, a StaticFiles mount, a mounted sub-application and frontends, so the IR
dump and the emitted trie tables show the mount flags (any method, low priority)."""

from astraapi import APIRouter, FastAPI
from astraapi.staticfiles import StaticFiles

app = FastAPI(openapi_url=None)


@app.get("/static/before")
def before() -> int:
    return 1


app.mount("/static", StaticFiles(directory="static", check_dir=False), name="static")

sub = FastAPI(openapi_url=None)


@sub.get("/ping")
def ping() -> str:
    return "pong"


app.mount("/sub", sub, name="sub")

router = APIRouter(prefix="/v1")
router.frontend("/admin", directory="admin", check_dir=False)
app.include_router(router)
app.frontend("/", directory="dist", check_dir=False)
