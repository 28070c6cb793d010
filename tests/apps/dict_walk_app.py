"""Endpoints returning dicts of every shape the compiled serializer's dict walk meets
(runtime_cpp/src/app/dict_fields.cpp: CPython 3.11 reads the dict's entry table, other versions
use PyDict_Next; both fall back to lookups): tests/native/test_dict_walk.py."""

from typing import Optional

from pydantic import BaseModel

from astraapi import FastAPI

app = FastAPI()


class Row(BaseModel):
    a: int
    b: str
    c: Optional[float] = None


class Holder:
    def __init__(self):
        self.a, self.b, self.c = 1, "x", 2.5


def _deleted():
    d = {"a": 1, "gone": 0, "b": "x", "c": 2.5}
    del d["gone"]  # a deleted entry in the middle of the table
    return d


def _deleted_first():
    d = {"gone": 0, "a": 1, "b": "x", "c": 2.5}
    del d["gone"]
    return d


def _grown():
    d = {}
    for i in range(50):  # resized several times, then emptied down to the fields
        d[f"k{i}"] = i
    for i in range(50):
        del d[f"k{i}"]
    d.update(a=1, b="x", c=2.5)
    return d


SHAPES = {
    "ordered": lambda: {"a": 1, "b": "x", "c": 2.5},
    "reversed": lambda: {"c": 2.5, "b": "x", "a": 1},
    "extra_keys": lambda: {"a": 1, "z": "ignored", "b": "x", "c": 2.5, "y": [1]},
    "missing_default": lambda: {"a": 1, "b": "x"},
    "deleted": _deleted,
    "deleted_first": _deleted_first,
    "grown": _grown,
    "split_table": lambda: Holder().__dict__,  # an instance dict: split keys on CPython
    "non_str_keys": lambda: {"a": 1, "b": "x", "c": 2.5, 7: "int key"},
    "subclass": lambda: type("D", (dict,), {})(a=1, b="x", c=2.5),
}


@app.get("/one/{shape}", response_model=Row)
def one(shape: str):
    return SHAPES[shape]()


@app.get("/many", response_model=list[Row])
def many():
    return [make() for make in SHAPES.values()]
