"""`app.openapi()` equals FastAPI's for the same app source, key order and value types included."""

from __future__ import annotations

import json
import warnings

import pytest
from pydantic import BaseModel, ConfigDict

from openapi_apps import APP_NAMES

from astraapi.introspection.app import build_ir
from astraapi.ir.nodes import AppIR
from astraapi.openapi.utils import openapi_from_ir

warnings.filterwarnings("ignore", message=".*deprecated.*")


def dumps(document) -> str:
    """The bytes FastAPI's JSONResponse sends for the document (key order included)."""
    return json.dumps(document, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))


@pytest.mark.parametrize("name", APP_NAMES)
def test_document_matches_fastapi(load_pair, name):
    reference, ours = load_pair(name)
    expected = reference.openapi()
    actual = ours.openapi()
    assert actual == expected
    assert dumps(actual) == dumps(expected)


def test_items_example_matches_fastapi(tmp_path):
    from support.items_script import ITEMS_APP, load_with_fastapi

    import examples.items_api as ours

    reference = load_with_fastapi(ITEMS_APP, tmp_path / "items.db").app
    assert dumps(ours.app.openapi()) == dumps(reference.openapi())


@pytest.mark.parametrize("name", [name for name in APP_NAMES if name != "custom_app"])  # custom: its own document
def test_document_is_a_function_of_the_ir(load_pair, name):
    """The document made from the IR's JSON dump (as a compiled build stores it) is the same."""
    _, ours = load_pair(name)
    ir = build_ir(ours)
    assert openapi_from_ir(AppIR.from_json(ir.to_json())) == ours.openapi()


@pytest.mark.parametrize("name", ["metadata_app", "router_app", "models_app", "security_scopes_app", "deps_edge_app",
                                  "form_login_app"])
def test_get_openapi_matches_fastapi(load_pair, name):
    from fastapi.openapi.utils import get_openapi as fastapi_get_openapi

    from astraapi.openapi.utils import get_openapi

    reference, ours = load_pair(name)
    options = dict(title="Custom", version="9", summary="S", description="D", tags=[{"name": "x"}],
                   servers=[{"url": "/v1"}], terms_of_service="https://t.example", contact={"name": "me"},
                   license_info={"name": "MIT", "identifier": "MIT"}, external_docs={"url": "https://d.example"})
    expected = fastapi_get_openapi(routes=reference.routes, **options)
    actual = get_openapi(routes=ours.routes, **options)
    assert dumps(actual) == dumps(expected)
    expected = fastapi_get_openapi(title="T", version="1", routes=reference.routes, separate_input_output_schemas=False)
    actual = get_openapi(title="T", version="1", routes=ours.routes, separate_input_output_schemas=False)
    assert dumps(actual) == dumps(expected)


def test_get_openapi_with_webhooks_and_a_mount_matches_fastapi(load_pair):
    from fastapi.openapi.utils import get_openapi as fastapi_get_openapi

    from astraapi.openapi.utils import get_openapi

    reference, ours = load_pair("webhooks_app")
    expected = fastapi_get_openapi(title="T", version="1", routes=reference.routes, webhooks=reference.webhooks.routes)
    actual = get_openapi(title="T", version="1", routes=ours.routes, webhooks=ours.webhooks.routes)
    assert sorted(actual["paths"]) == ["/plans", "/users/"] and list(actual["webhooks"]) == ["new-subscription"]
    assert dumps(actual) == dumps(expected)


def test_docs_routes_come_first_and_stay_out_of_the_schema(load_pair):
    reference, ours = load_pair("hello")
    assert [r.path for r in ours.routes][:4] == ["/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"]
    assert [r.path for r in ours.routes][:4] == [r.path for r in reference.routes][:4]
    assert not any(r.include_in_schema for r in ours.routes[:4])
    assert all(r.methods == ("GET", "HEAD") for r in ours.routes[:4])
    assert list(ours.openapi()["paths"]) == ["/"]


def test_custom_urls_and_disabled_pages(load_pair):
    _, ours = load_pair("settings_app")
    from astraapi.routing import iter_route_contexts

    assert [r.path for r in iter_route_contexts(ours.routes)][:3] == ["/api/schema.json", "/api/docs",
                                                                      "/docs/oauth2-redirect"]
    from astraapi import FastAPI

    assert [r.path for r in FastAPI(openapi_url=None).routes] == []
    assert [r.path for r in FastAPI(docs_url=None, redoc_url=None).routes] == ["/openapi.json"]
    assert [r.path for r in FastAPI(swagger_ui_oauth2_redirect_url=None).routes] == [
        "/openapi.json", "/docs", "/redoc"]


def test_openapi_is_cached_and_can_be_replaced():
    from astraapi import FastAPI

    app = FastAPI()

    @app.get("/a")
    def a():
        return {}

    first = app.openapi()
    assert app.openapi() is first
    assert app.openapi_schema is first

    @app.get("/b")
    def b():
        return {}

    assert list(app.openapi()["paths"]) == ["/a", "/b"]  # new routes make a new document
    app.openapi_schema = {"openapi": "3.1.0", "info": {"title": "mine", "version": "1"}, "paths": {}}
    assert app.openapi()["info"]["title"] == "mine"


def test_ir_carries_the_openapi_pieces(load_pair):
    _, ours = load_pair("metadata_app")
    ir = build_ir(ours)
    read = next(r for r in ir.routes if r.path == "/items/{item_id}" and "GET" in r.methods)
    assert read.unique_id == "read_item_items__item_id__get"
    assert read.description == "Read an item.\n\nWith **markdown**."
    assert read.response_description == "The item"
    assert [r.status for r in read.responses] == ["404", "4XX", "302"]
    assert json.loads(read.responses[0].schema_json) == {"$ref": "#/components/schemas/Message"}
    assert json.loads(read.params[0].schema_json) == {"type": "integer", "title": "Item Id"}
    assert "Message" in json.loads(ir.schemas_json)
    created = next(r for r in ir.routes if r.path == "/items" and "POST" in r.methods)
    assert (created.operation_id, created.deprecated, created.openapi_status_code) == ("makeItem", True, "201")
    redirect = next(r for r in ir.routes if r.path == "/redirect")
    assert (redirect.openapi_status_code, redirect.response_media_type) == ("307", None)
    settings = json.loads(ir.openapi_settings_json)
    assert settings["title"] == "Metadata" and settings["servers"][0]["url"] == "https://api.example.com"


def test_docs_html_matches_fastapi():
    from fastapi.openapi import docs as reference

    from astraapi.openapi import docs

    swagger_cases = [
        dict(openapi_url="/openapi.json", title="FastAPI - Swagger UI", oauth2_redirect_url="/docs/oauth2-redirect"),
        dict(openapi_url="/api/o.json", title="<T> & co", init_oauth={"clientId": "a<b>&c", "scopes": ["x"]},
             swagger_ui_parameters={"deepLinking": False, "syntaxHighlight": {"theme": "obsidian"}},
             swagger_js_url="/s.js", swagger_css_url="/s.css", swagger_favicon_url="/f.png"),
    ]
    for case in swagger_cases:
        ours, theirs = docs.get_swagger_ui_html(**case), reference.get_swagger_ui_html(**case)
        assert (ours.body, ours.raw_headers) == (theirs.body, theirs.raw_headers)
    for case in [dict(openapi_url="/openapi.json", title="FastAPI - ReDoc"),
                 dict(openapi_url="/o", title="t", with_google_fonts=False, redoc_js_url="/r.js",
                      redoc_favicon_url="/f.png")]:
        ours, theirs = docs.get_redoc_html(**case), reference.get_redoc_html(**case)
        assert (ours.body, ours.raw_headers) == (theirs.body, theirs.raw_headers)
    assert docs.get_swagger_ui_oauth2_redirect_html().body == reference.get_swagger_ui_oauth2_redirect_html().body
    assert docs.swagger_ui_default_parameters == reference.swagger_ui_default_parameters


def test_models_module_names():
    import fastapi.openapi.models as reference

    import astraapi.openapi.models as ours

    for name in ("OpenAPI", "Info", "Contact", "License", "Server", "Tag", "Schema", "Parameter", "Operation",
                 "PathItem", "Response", "RequestBody", "MediaType", "Components", "Example", "Reference",
                 "SecurityScheme", "APIKey", "APIKeyIn", "HTTPBase", "HTTPBearer", "OAuth2", "OAuthFlows",
                 "OAuthFlowPassword", "OAuthFlowAuthorizationCode", "OpenIdConnect", "ExternalDocumentation"):
        assert hasattr(ours, name), name
        theirs = getattr(reference, name)
        if hasattr(theirs, "model_fields"):
            assert list(getattr(ours, name).model_fields) == list(theirs.model_fields), name


class Opaque:
    pass


class Holder(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    thing: Opaque


def test_a_type_without_json_schema_fails_the_document_not_the_app():
    from astraapi import FastAPI
    from astraapi.exceptions import AstraAPIError
    from engine.harness import EngineClient

    app = FastAPI()

    @app.post("/holders")
    def holders(holder: Holder):
        return {}

    @app.get("/ok")
    def ok():
        return {"ok": True}

    ir = build_ir(app)
    assert ir.openapi_error is not None and "Opaque" in ir.openapi_error
    with pytest.raises(AstraAPIError, match="cannot generate the OpenAPI document"):
        app.openapi()
    client = EngineClient(app)
    try:
        assert client.request("GET", "/ok")[0] == 200
        assert client.request("GET", "/openapi.json")[0] == 500  # FastAPI answers 500 there too
    finally:
        client.close()


SET_DEFAULTS_APP = '''
from pydantic import BaseModel
from astraapi import FastAPI, Query
app = FastAPI()
class Tagged(BaseModel):
    tags: set[str] = {"delta", "alpha", "charlie", "bravo"}
@app.post("/tagged")
def tagged(x: Tagged, q: set[str] = Query({"zz", "aa", "mm"})) -> Tagged:
    return x
'''


def test_ir_with_set_defaults_is_the_same_in_every_process(tmp_path):
    """Set defaults appear in the document in a fixed order, so a build's IR hash does not depend
    on the process's string hashing (FastAPI's order there is the set's iteration order)."""
    import os
    import subprocess
    import sys

    (tmp_path / "set_defaults.py").write_text(SET_DEFAULTS_APP)
    script = ("import set_defaults; from astraapi.introspection.app import build_ir; "
              "print(build_ir(set_defaults.app).ir_hash())")
    hashes = {
        subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout
        for seed in (1, 2, 3, 4)
    }
    assert len(hashes) == 1


def test_generate_unique_id_matches_fastapi(load_pair):
    from fastapi.routing import APIRoute as FastAPIRoute
    from fastapi.utils import generate_unique_id as reference

    from astraapi.utils import generate_unique_id

    theirs, ours = load_pair("params_app")
    expected = [reference(r) for r in theirs.routes if isinstance(r, FastAPIRoute)]
    assert [generate_unique_id(r) for r in ours.routes if r.include_in_schema] == expected
