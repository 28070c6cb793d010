"""app.frontend under app-level dependencies: FastAPI 0.165 runs them before a frontend's GET or
HEAD answer (not for other methods, which go straight to the files)."""

import os

from astraapi import APIRouter, Depends, FastAPI, Header, HTTPException, Response


def check_token(response: Response, x_token: str | None = Header(default=None)):
    if x_token != "secret":
        raise HTTPException(status_code=401, detail="token required")
    # what a dependency sets on its Response goes with the frontend's file too
    response.headers["x-frontend-dependency"] = "applied"
    response.set_cookie("frontend", "dependency")


app = FastAPI(dependencies=[Depends(check_token)])


@app.get("/api/items")
def items():
    return {"items": [1, 2]}


app.frontend("/", directory=os.environ["FRONTEND_DIST"])

admin = APIRouter(prefix="/admin")
admin.frontend("/", directory=os.environ["FRONTEND_ADMIN"])
app.include_router(admin)
