"""Starlette's own ASGI middlewares (SessionMiddleware, AuthenticationMiddleware) around AstraAPI routes:
they run as pure ASGI middleware, and what they put in the scope is `request.session` / `.user` / `.auth`."""

from starlette.authentication import AuthCredentials, AuthenticationBackend, SimpleUser
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.sessions import SessionMiddleware

from astraapi import FastAPI, Request


class HeaderBackend(AuthenticationBackend):
    async def authenticate(self, conn):
        name = conn.headers.get("x-user")
        if name is None:
            return None
        return AuthCredentials(["authenticated"]), SimpleUser(name)


app = FastAPI(middleware=[Middleware(SessionMiddleware, secret_key="not-a-secret"),
                          Middleware(AuthenticationMiddleware, backend=HeaderBackend())])


@app.get("/count")
def count(request: Request):
    request.session["n"] = request.session.get("n", 0) + 1
    return {"n": request.session["n"]}


@app.get("/whoami")
async def whoami(request: Request):
    return {"user": request.user.display_name if request.user.is_authenticated else None,
            "scopes": request.auth.scopes if request.auth else []}


plain = FastAPI()


@plain.get("/session")
def session(request: Request):
    return {"session": request.session}
