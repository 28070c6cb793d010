from pydantic import BaseModel

from astraapi import FastAPI, HTTPException, Request
from astraapi.responses import HTMLResponse, JSONResponse, PlainTextResponse

app = FastAPI()


class OutOfStock(Exception):
    def __init__(self, name: str):
        self.name = name


@app.exception_handler(OutOfStock)
async def out_of_stock(request: Request, exc: OutOfStock):
    return JSONResponse(status_code=409, content={"detail": f"{exc.name} is out of stock"})


class Product(BaseModel):
    name: str
    price: float


@app.get("/products/{name}", response_model=Product)
def product(name: str):
    if name == "ghost":
        raise HTTPException(status_code=404, detail="No such product")
    if name == "sold-out":
        raise OutOfStock(name)
    return {"name": name, "price": 9.5, "internal": "not in the response model"}


@app.get("/page", response_class=HTMLResponse)
def page():
    return "<h1>Hello</h1>"


@app.get("/robots.txt", response_class=PlainTextResponse)
def robots():
    return "User-agent: *\nDisallow:\n"
