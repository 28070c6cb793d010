"""Parameter keys as FastAPI reads them, on real servers in both modes, compared with FastAPI:
AliasChoices on bodies and path parameters, Field(alias=) beside a marker in `Annotated`, Path()
parameters whose key is not in the path, AliasPath (not a request key), Json[...] parameters, header
lists, and `*args`/`**kwargs`/positional-only dependency parameters (query parameters, as in FastAPI)."""

from __future__ import annotations

import importlib.util
import sys

import httpx
import pytest

from support.paths import MODES

fastapi_testclient = pytest.importorskip("fastapi.testclient")

APP = '''
from typing import Annotated, Optional

from pydantic import AliasChoices, AliasPath, BaseModel, Field, Json

from FRAMEWORK import APIRouter, Body, Cookie, Depends, FastAPI, Header, Path, Query

app = FastAPI()
router = APIRouter()
Identifier = Annotated[int, Path(alias="unused", validation_alias=AliasChoices("item_id", "id"), ge=1)]


def get_identifier(value: Identifier):
    return value


@router.get("/")
def read_item(value: Annotated[int, Depends(get_identifier)]):
    return value


app.include_router(router, prefix="/items/{item_id}")
app.include_router(router, prefix="/legacy/{id}")


@app.post("/embedded")
def embedded(value: Annotated[int, Body(embed=True, alias="ignored",
                                        validation_alias=AliasChoices("first", "second"))]):
    return value


@app.post("/multiple")
def multiple(items: Annotated[list[int], Body(default_factory=list, validation_alias=AliasChoices("items", "tags"))],
             value: Annotated[Optional[int], Body(alias="ignored", validation_alias=AliasChoices("first", "second"))] = 10):
    return {"value": value, "items": items}


class Item(BaseModel):
    count: int


@app.post("/model")
def model(item: Annotated[Item, Body(embed=True, validation_alias=AliasChoices("item", "data"))]):
    return item


@app.post("/alias-path")
def alias_path(value: Annotated[int, Body(embed=True, validation_alias=AliasPath("nested", "value"))]):
    return value


@app.get("/fields/{wire}")
def fields(p: Annotated[int, Field(alias="wire"), Path()],
           q: Annotated[int, Field(alias="unused", validation_alias="qq"), Query()],
           h: Annotated[int, Field(alias="x-wire"), Header()],
           c: Annotated[int, Field(alias="cw"), Cookie()],
           n: Annotated[int, Field(alias="n")] = 10):
    return {"p": p, "q": q, "h": h, "c": c, "n": n}


@app.get("/required-alias/{p_alias}")
def required_alias(p: Annotated[str, Path(alias="p_alias")]):
    return {"p": p}


@app.get("/not-in-path")
def not_in_path(p: Annotated[str, Path()]):
    return {"p": p}  # never reached: FastAPI reads path parameters by key, this one is always missing


@app.get("/json")
def json_params(q: Annotated[Json[list[str]], Query()], x_items: Annotated[Json[list[int]], Header()],
                c: Annotated[Json[dict[str, int]], Cookie()]):
    return {"q": q, "h": x_items, "c": c}


@app.get("/header-list")
def header_list(x_tag: Annotated[list[str], Header()] = []):
    return x_tag


class Extras:
    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs


@app.get("/varargs")
def varargs(extras: Annotated[Extras, Depends()]):
    return {"args": extras.args, "kwargs": extras.kwargs}


class Filters(BaseModel):
    value: Annotated[int, Field(validation_alias=AliasPath("items", 0))]


@app.get("/query-model")
def query_model(data: Annotated[Filters, Query()]):
    return data
'''

REQUESTS = [
    ("GET", "/items/1/", {}),
    ("GET", "/legacy/2/", {}),
    ("GET", "/items/invalid/", {}),
    ("GET", "/legacy/0/", {}),
    ("POST", "/embedded", {"json": {"second": 2}}),
    ("POST", "/embedded", {"json": {"second": 2, "first": 0}}),
    ("POST", "/embedded", {"json": {"ignored": 1}}),
    ("POST", "/embedded", {"json": {"first": "x", "second": 2}}),
    ("POST", "/embedded", {"json": [1]}),
    ("POST", "/multiple", {"json": {"second": 2, "tags": [3, 4]}}),
    ("POST", "/multiple", {"json": {"first": None, "second": 2}}),
    ("POST", "/multiple", {"json": {"tags": [1, "invalid"]}}),
    ("POST", "/multiple", {}),
    ("POST", "/model", {"json": {"data": {"count": 1}}}),
    ("POST", "/model", {"json": {"data": {"count": "x"}}}),
    ("POST", "/alias-path", {"json": {"value": 1, "nested": {"value": 3}}}),
    ("GET", "/fields/5", {"params": {"qq": "6"}, "headers": {"x-wire": "7", "cookie": "cw=8"}}),
    ("GET", "/fields/5", {"params": {"qq": "6", "n": "2"}, "headers": {"x-wire": "7", "cookie": "cw=8"}}),
    ("GET", "/fields/x", {"params": {"q": "6"}, "headers": {"h": "7"}}),
    ("GET", "/required-alias/hello", {}),
    ("GET", "/not-in-path", {}),
    ("GET", "/json", {"params": {"q": '["a","b"]'}, "headers": {"x-items": "[1,2]", "cookie": 'c={"a":1}'}}),
    ("GET", "/json", {"params": {"q": "[1"}, "headers": {"x-items": '["x"]'}}),
    ("GET", "/header-list", {"headers": [("x-tag", "a"), ("x-tag", "b")]}),
    ("GET", "/header-list", {}),
    ("GET", "/varargs", {}),
    ("GET", "/varargs", {"params": {"args": "1", "kwargs": "2"}}),
    ("GET", "/query-model", {"params": [("items", "1"), ("items", "2")]}),
    ("GET", "/openapi.json", {}),
]


def _load(directory, framework: str, name: str):
    path = directory / f"{name}.py"
    path.write_text(APP.replace("FRAMEWORK", framework))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _replay(client) -> list[tuple[int, str | None, bytes]]:
    answers = []
    for method, url, options in REQUESTS:
        response = client.request(method, url, **options)
        answers.append((response.status_code, response.headers.get("content-type"), response.content))
    return answers


@pytest.fixture(scope="module")
def fastapi_answers(tmp_path_factory):
    module = _load(tmp_path_factory.mktemp("aliases_fastapi"), "fastapi", "aliases_app_fastapi")
    with fastapi_testclient.TestClient(module.app, raise_server_exceptions=False) as client:
        return _replay(client)


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("aliases_app")
    (directory / "aliases_app.py").write_text(APP.replace("FRAMEWORK", "astraapi"))
    return directory


@pytest.mark.parametrize("mode", MODES)
def test_parameter_keys_answer_as_fastapi(start_server, app_dir, fastapi_answers, mode):
    server = start_server("aliases_app:app", mode, cwd=app_dir)
    with httpx.Client(base_url=server.base_url) as client:
        ours = _replay(client)
    for (method, url, options), expected, actual in zip(REQUESTS, fastapi_answers, ours):
        assert actual == expected, f"{method} {url} {options} differs from FastAPI"
