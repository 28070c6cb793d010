from pydantic import BaseModel, field_validator

from astraapi import FastAPI

app = FastAPI()


class Point(BaseModel):  # plain fields: a generated serializer and body decoder
    x: float
    y: float


class Tagged(BaseModel):  # a validator: pydantic decodes it (the generic path)
    tag: str

    @field_validator("tag")
    @classmethod
    def lower(cls, value: str) -> str:
        return value.lower()


@app.post("/points", response_model=Point)
def echo_point(point: Point):
    return point


@app.post("/tags", response_model=Tagged)
def echo_tag(tagged: Tagged):
    return tagged


@app.get("/raw")
def raw():  # no response model: encoded generically
    return {"any": ["thing"]}
