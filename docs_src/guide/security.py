from typing import Annotated

from astraapi import Depends, FastAPI, HTTPException, status
from astraapi.security import OAuth2PasswordBearer

app = FastAPI()
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


def current_user(token: Annotated[str, Depends(oauth2_scheme)]) -> str:
    if token != "secret-token":
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Invalid token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return "alice"


@app.get("/users/me")
def read_me(user: Annotated[str, Depends(current_user)]):
    return {"user": user}
