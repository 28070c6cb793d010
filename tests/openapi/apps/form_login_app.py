"""Form bodies: a form login, a strict OAuth2 form, a multipart form, a form in a dependency."""

from typing import Annotated

from FRAMEWORK import Depends, FastAPI, Form
from FRAMEWORK.security import OAuth2PasswordRequestFormStrict

app = FastAPI()


@app.post("/login/")
async def login(username: Annotated[str, Form()], password: Annotated[str, Form(min_length=3)]):
    return {"username": username}


@app.post("/single/")
async def single(token: Annotated[str, Form()]):
    return {"token": token}


@app.post("/strict")
async def strict(form: Annotated[OAuth2PasswordRequestFormStrict, Depends()]):
    return {}


@app.post("/multipart/")
async def multipart(name: Annotated[str, Form(media_type="multipart/form-data")], note: Annotated[str, Form()] = "x"):
    return {}


def credentials(username: Annotated[str, Form()], remember: Annotated[bool, Form()] = False):
    return username


@app.post("/dep/")
async def dep_form(user: Annotated[str, Depends(credentials)], extra: Annotated[int, Form()] = 1):
    return {}
