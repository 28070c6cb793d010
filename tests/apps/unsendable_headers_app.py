"""Endpoints whose responses carry a header name HTTP forbids (`"subject:"`, a space): no server
can send them (uvicorn refuses them too), so the answer is a 500 and the error is reported."""

import asyncio

from pydantic import BaseModel

from astraapi import FastAPI
from astraapi.responses import HTMLResponse, JSONResponse

app = FastAPI()


class Note(BaseModel):
    text: str


@app.post("/mail-preview/{email}", response_class=HTMLResponse)
def mail_preview(email: str):
    # A colon typed into the header name, as in `headers={"subject:": ...}`.
    return HTMLResponse(content=f"<p>{email}</p>", headers={"subject:": f"Reset for {email}"})


@app.get("/spaced", response_model=Note)
async def spaced():
    await asyncio.sleep(0)  # answered after the task finishes (an endpoint that awaits I/O)
    return JSONResponse({"text": "x"}, headers={"x bad": "1"})


sub = FastAPI()


@sub.get("/preview")
def sub_preview():
    return HTMLResponse("<p>x</p>", headers={"subject:": "mounted"})


app.mount("/sub", sub)


@app.get("/fine", response_model=Note)
async def fine():
    return Note(text="fine")
