"""Uploaded files are Starlette's UploadFile too when Starlette is loaded (as FastAPI's are), also in a form
model's extra fields."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict
from starlette.datastructures import UploadFile as StarletteUploadFile

from astraapi import FastAPI, File, Form, UploadFile

app = FastAPI()


class Extras(BaseModel):
    model_config = ConfigDict(extra="allow")
    value: str


@app.post("/file")
async def file(upload: Annotated[UploadFile, File()]):
    return {"ours": isinstance(upload, UploadFile), "starlette": isinstance(upload, StarletteUploadFile),
            "name": upload.filename, "data": (await upload.read()).decode()}


@app.post("/extras")
def extras(data: Annotated[Extras, Form()]):
    extra = data.model_extra["attachment"]
    return {"starlette": isinstance(extra, StarletteUploadFile), "name": extra.filename, "value": data.value}
