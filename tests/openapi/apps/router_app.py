"""APIRouters with prefixes, tags, responses and deprecation, included into the app."""

from pydantic import BaseModel

from FRAMEWORK import APIRouter, FastAPI


class Pet(BaseModel):
    name: str


class Problem(BaseModel):
    message: str


app = FastAPI()
pets = APIRouter(prefix="/pets", tags=["pets"], responses={418: {"description": "Teapot"}})


@pets.get("/")
def list_pets() -> list[Pet]:
    return []


@pets.get("/{pet_id}", tags=["one"])
def get_pet(pet_id: int) -> Pet:
    return Pet(name="x")


admin = APIRouter()


@admin.post("/reset", responses={500: {"model": Problem}})
def reset():
    return {}


@app.get("/")
def home():
    return {}


app.include_router(pets)
app.include_router(admin, prefix="/admin", tags=["admin"], deprecated=True, responses={403: {"description": "No"}})
app.include_router(pets, prefix="/v2")


outer = APIRouter(prefix="/outer", tags=["outer"])
inner = APIRouter(tags=["inner"])


@inner.get("/leaf")
def leaf():
    return {}


@outer.get("/own")
def own():
    return {}


outer.include_router(inner, prefix="/in", tags=["via"])
app.include_router(outer, tags=["top"])
