"""Dependencies with yield (request and function scope, errors seen at the yield), overrides of the default
handlers, Response parameters and background tasks ordering, for the example-app set."""

import asyncio
from typing import Annotated

from astraapi import BackgroundTasks, Depends, FastAPI, HTTPException, Request, Response
from astraapi.exception_handlers import http_exception_handler
from astraapi.exceptions import RequestValidationError
from astraapi.responses import JSONResponse, PlainTextResponse

app = FastAPI()
TRAIL: list[str] = []


class Missing(Exception):
    pass


@app.exception_handler(RequestValidationError)
async def validation(request: Request, exc: RequestValidationError):
    return JSONResponse({"errors": len(exc.errors()), "first": exc.errors()[0]["loc"]}, status_code=400)


@app.exception_handler(HTTPException)
async def http_error(request: Request, exc: HTTPException):
    if exc.status_code == 403:
        return PlainTextResponse("forbidden!", status_code=403)
    return await http_exception_handler(request, exc)


@app.exception_handler(Missing)
def missing(request: Request, exc: Missing):
    return JSONResponse({"missing": str(exc)}, status_code=410)


def resource():
    TRAIL.append("resource up")
    try:
        yield {"name": "res"}
    except Missing:
        TRAIL.append("resource saw Missing")
        raise
    finally:
        TRAIL.append("resource down")


def per_call():
    TRAIL.append("call up")
    yield "call"
    TRAIL.append("call down")


def guard(role: str = "user"):
    if role == "banned":
        raise HTTPException(403)
    return role


@app.get("/use")
def use(res: Annotated[dict, Depends(resource)], call: Annotated[str, Depends(per_call, scope="function")],
        role: Annotated[str, Depends(guard)], response: Response, tasks: BackgroundTasks, fail: str = ""):
    response.headers["x-role"] = role
    response.set_cookie("seen", "1")
    tasks.add_task(TRAIL.append, "task ran")
    if fail == "missing":
        raise Missing("gone")
    if fail == "http":
        raise HTTPException(409, "conflict", headers={"x-conflict": "1"})
    if fail == "status":
        response.status_code = 202
    return {"res": res["name"], "call": call, "role": role}


@app.get("/count/{n}")
def count(n: int):
    return {"n": n}


@app.get("/trail")
async def trail():
    # A real server sends the answer before background tasks and request-scoped exits run (FastAPI's
    # in-process TestClient returns after them): wait for the previous request's last step.
    for _ in range(500):
        if not TRAIL or TRAIL[-1] == "resource down":
            break
        await asyncio.sleep(0.01)
    snapshot = list(TRAIL)
    TRAIL.clear()
    return snapshot


REQUESTS = [
    ("GET", "/trail", {}),
    ("GET", "/use", {}),
    ("GET", "/trail", {}),
    ("GET", "/use?role=banned", {}),
    ("GET", "/use?fail=missing", {}),
    ("GET", "/trail", {}),
    ("GET", "/use?fail=http", {}),
    ("GET", "/use?fail=status", {}),
    ("GET", "/trail", {}),
    ("GET", "/count/x", {}),
    ("GET", "/nope", {}),
    ("GET", "/openapi.json", {}),
]
