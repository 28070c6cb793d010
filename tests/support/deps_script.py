"""An app using dependencies, security, lifespan, background tasks and exception handlers,
written once for both frameworks (FRAMEWORK is replaced), and the requests the API tests send."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

DEPS_APP = '''
import os
from contextlib import asynccontextmanager
from typing import Annotated, Optional

from FRAMEWORK import BackgroundTasks, Depends, FastAPI, HTTPException, Request, Response, Security
from FRAMEWORK.responses import JSONResponse
from FRAMEWORK.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm, SecurityScopes


def log(line: str) -> None:
    path = os.environ.get("DEPS_LOG")
    if path:
        with open(path, "a") as handle:
            handle.write(line + "\\n")


@asynccontextmanager
async def lifespan(app):
    log("startup")
    app.state.started = True
    yield {"greeting": "hello"}
    log("shutdown")


app = FastAPI(lifespan=lifespan)
oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"me": "me"})


class Denied(Exception):
    pass


@app.exception_handler(Denied)
async def denied(request: Request, exc: Denied):
    return JSONResponse({"denied": str(exc)}, status_code=403, headers={"x-denied": "1"})


async def resource():
    log("enter")
    yield "resource"
    log("exit")


def user(security_scopes: SecurityScopes, token: Annotated[str, Depends(oauth2)]):
    if token != "good":
        raise HTTPException(status_code=401, detail="bad token", headers={"WWW-Authenticate": "Bearer"})
    return {"name": "ann", "scopes": security_scopes.scopes}


@app.post("/token")
async def token(form: Annotated[OAuth2PasswordRequestForm, Depends()]):
    if form.password != "secret":
        raise Denied(form.username)
    return {"access_token": "good", "token_type": "bearer", "scopes": form.scopes}


@app.get("/me")
async def me(current: Annotated[dict, Security(user, scopes=["me"])], request: Request):
    return {"user": current, "greeting": request.state.greeting, "started": request.app.state.started}


@app.post("/work")
def work(tasks: BackgroundTasks, response: Response, r: str = Depends(resource)):
    tasks.add_task(log, "background")
    response.set_cookie("seen", "1")
    response.headers["x-work"] = r
    return {"queued": True}
'''

REQUESTS = [
    ("GET", "/me", {}, b""),
    ("GET", "/me", {"authorization": "Bearer bad"}, b""),
    ("GET", "/me", {"authorization": "Bearer good"}, b""),
    ("POST", "/token", {"content-type": "application/x-www-form-urlencoded"}, b"username=ann&password=secret&scope=me"),
    ("POST", "/token", {"content-type": "application/x-www-form-urlencoded"}, b"username=ann&password=nope"),
    ("POST", "/token", {"content-type": "application/x-www-form-urlencoded"}, b"username=ann"),
    ("POST", "/work", {}, b""),
]


def write_app(directory: Path, framework: str, name: str = "deps_app") -> Path:
    path = Path(directory) / f"{name}.py"
    path.write_text(DEPS_APP.replace("FRAMEWORK", framework))
    return path


def load_app(directory: Path, framework: str, name: str):
    path = write_app(directory, framework, name)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def replay(client) -> list:
    from support.compare import SERVER_ONLY_HEADERS, response_triple

    return [response_triple(client.request(method, url, headers=headers, content=content), SERVER_ONLY_HEADERS)
            for method, url, headers, content in REQUESTS]
