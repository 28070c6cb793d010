"""A small app whose IR and generated C++ are kept as golden files."""

from typing import Optional

from pydantic import BaseModel, Field

from astraapi import FastAPI

app = FastAPI(title="Shop")


class Price(BaseModel):
    amount: float
    currency: str = "EUR"


class Product(BaseModel):
    id: int
    name: str = Field(serialization_alias="productName")
    prices: list[Price] = []
    note: Optional[str] = None
    attributes: dict[str, int] = {}


@app.get("/")
async def root():
    return {"shop": "open"}


@app.get("/products/{product_id}", response_model=Product)
def read_product(product_id: int, currency: Optional[str] = None):
    return {"id": product_id, "name": "x"}


@app.get("/products", response_model=list[Product])
def list_products(limit: int = 10):
    return []


@app.get("/files/{file_path:path}")
def read_file(file_path: str):
    return file_path


@app.post("/products", response_model=Product)
def create_product(product: Product):
    return product
