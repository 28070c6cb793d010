from contextlib import asynccontextmanager

from astraapi import FastAPI, Response

STATE = {"ready": False}


@asynccontextmanager
async def lifespan(app: FastAPI):
    STATE["ready"] = True  # connect pools, warm caches...
    yield
    STATE["ready"] = False


app = FastAPI(lifespan=lifespan)


@app.get("/healthz", include_in_schema=False)
def liveness():
    return {"status": "ok"}  # the process answers: do not restart it


@app.get("/readyz", include_in_schema=False)
def readiness(response: Response):
    if not STATE["ready"]:
        response.status_code = 503  # not yet (or no longer) taking traffic
        return {"status": "starting"}
    return {"status": "ready"}
