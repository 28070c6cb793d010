"""request.form(max_fields=...) inside endpoints, and the form a Form() parameter parsed shared with it."""

from typing import Annotated

from astraapi import Depends, FastAPI, Form, Request

app = FastAPI(form_limits={"max_fields": 1})


async def text_field(text: Annotated[str, Form()]):
    return text


@app.post("/manual")
async def manual(request: Request):
    async with request.form(max_fields=2) as form:  # the explicit limits, not the app's
        return {"text": form["text"], "fields": len(form)}


@app.post("/awaited")
async def awaited(request: Request):
    form = await request.form()  # Starlette's defaults
    return sorted(form)


@app.post("/shared")
async def shared(request: Request, text: Annotated[str, Depends(text_field)]):
    cached = await request.form(max_fields=0)  # parsed once already (with the app's limit of 1 field)
    return {"same": cached["text"] == text}
