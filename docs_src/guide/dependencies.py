from typing import Annotated

from astraapi import Depends, FastAPI, Header, HTTPException

app = FastAPI()
EVENTS: list[str] = []


def get_db():
    EVENTS.append("open")
    try:
        yield {"alice": {"plan": "pro"}}
    finally:
        EVENTS.append("close")  # runs after the response, as in FastAPI


def current_user(db: Annotated[dict, Depends(get_db)], x_user: Annotated[str, Header()]):
    if x_user not in db:
        raise HTTPException(status_code=401, detail="Unknown user")
    return {"name": x_user, **db[x_user]}


@app.get("/me")
def me(user: Annotated[dict, Depends(current_user)]):
    return user
