"""Generated body decoders, served: in both modes every answer (valid bodies, invalid JSON,
wrong types, failed constraints, missing fields, odd content-types) has FastAPI's status,
headers and body bytes."""

import json

import httpx
import pytest

from support.paths import MODES, REPO_DIR

fastapi_testclient = pytest.importorskip("fastapi.testclient")

ITEM = {"name": "pen", "price": 2, "tags": ["a"], "labels": [{"name": "x"}, {"name": "y", "weight": 2}],
        "meta": {"k": [1, 2.5, None, {"n": True}]}, "itemCode": 7, "extra": "ignored"}
REQUESTS = [
    ("POST", "/items", json.dumps(ITEM).encode(), "application/json"),
    ("POST", "/items", b'{"name":"pen","price":1.5}', "application/json"),
    ("POST", "/items", b'{"name":"pen","price":1.5}', "application/vnd.api+json; charset=utf-8"),
    ("POST", "/items", b'{"name":"pen","price":1.5,"name":"ink"}', "application/json"),
    ("POST", "/items", b'{"name":"pen","price":"1.5"}', "application/json"),
    ("POST", "/items", b'{"name":"pen","price":0}', "application/json"),
    ("POST", "/items", b'{"name":"pen","price":1,"count":1001,"labels":[{"name":""}]}', "application/json"),
    ("POST", "/items", b'{"price":1}', "application/json"),
    ("POST", "/items", b'{"name":"pen","price":1,', "application/json"),
    ("POST", "/items", b'[1,2]', "application/json"),
    ("POST", "/items", b'', "application/json"),
    ("POST", "/items", b'{"name":"pen","price":1}', "text/plain"),
    ("POST", "/items", b'{"name":"pen","price":1}', None),
    ("POST", "/items", b'{"name":"pen","price":1,"count":12345678901234567890}', "application/json"),
    ("PUT", "/items/3?q=x", b'{"name":"pen","price":3,"itemCode":1}', "application/json"),
    ("PUT", "/items/abc", b'{"name":"pen","price":3}', "application/json"),
    ("PUT", "/items/3", b'{"name":"pen","price":-3}', "application/json"),
    ("POST", "/pair", b'{"item":{"name":"pen","price":1},"tag":{"name":"t"}}', "application/json"),
    ("POST", "/pair", b'{"item":{"name":"pen","price":1}}', "application/json"),
    ("POST", "/pair", b'{"item":{"name":"pen","price":1},"tag":{"name":""}}', "application/json"),
    ("POST", "/pair", b'[]', "application/json"),
    ("POST", "/embedded", b'{"tag":{"name":"t","weight":2}}', "application/json"),
    ("POST", "/embedded", b'{"name":"t"}', "application/json"),
    ("POST", "/maybe", b'{"name":"t"}', "application/json"),
    ("POST", "/maybe", b'null', "application/json"),
    ("POST", "/maybe", b'', "application/json"),
    ("POST", "/maybe", b'{"name":""}', "application/json"),
    ("POST", "/checked", b'{"value":3}', "application/json"),
    *[("POST", f"/echo/{kind}", body, "application/json")
      for kind in ("unset", "defaults", "none", "names", "all")
      for body in (b'{"name":"a"}', b'{"name":"a","nickname":null,"age":0,"tags":[],"profileCode":0}',
                   b'{"name":"a","nickname":"b","age":4,"profileCode":2,'
                   b'"labels":[{"name":"t"},{"name":"u","weight":1.0}]}',
                   b'{"name":"a","age":"4"}')],
    ("POST", "/checked", b'{"value":-3}', "application/json"),
    *[("POST", "/wide", body, "application/json") for body in (
        b'{"mode":true,"pair":[1,"x"],"many":[1,2.5],"unique":[3,1,3],"frozen":[2,2],"by_id":{"5":"a","-0":"b",'
        b'"05":"c"},"by_color":{"red":1},"at":"10:00:00.5+02:00","span":-5,"either":"x","number":1.0,'
        b'"tags":[{"name":"t"}]}',
        b'{"mode":1,"either":3,"number":3,"tags":{"name":"u"},"at":"23:59:59Z"}',
        b'{"mode":1.0}', b'{"mode":"b"}', b'{"pair":[1]}', b'{"pair":[1,"x",2]}', b'{"by_id":{"+5":"a"}}',
        b'{"by_id":{"x":"a"}}', b'{"by_color":{"green":1}}', b'{"span":"PT5S"}', b'{"span":1.5}',
        b'{"either":1.5}', b'{"either":true}', b'{"number":"1"}', b'{"tags":[{"name":""}]}', b'{"tags":"t"}',
        b'{"at":"10:00"}', b'{"at":"25:00:00"}', b'{"unique":[1,"2"]}')],
    ("POST", "/ambiguous", b'{"either":{"name":"t"}}', "application/json"),
    ("POST", "/ambiguous", b'{"either":{"name":"pen","price":1}}', "application/json"),
]


def replay(client) -> list:
    answers = []
    for method, url, body, content_type in REQUESTS:
        headers = {"content-type": content_type} if content_type else {}
        response = client.request(method, url, content=body, headers=headers)
        kept = [(k, v) for k, v in response.headers.items() if k not in ("date", "server")]
        answers.append(((method, url, body), response.status_code, kept, response.content))
    return answers


@pytest.fixture(scope="module")
def fastapi_answers():
    import importlib.util
    import sys

    path = REPO_DIR / "tests" / "apps" / "body_models.py"
    source = path.read_text().replace("from astraapi import", "from fastapi import")
    spec = importlib.util.spec_from_loader("fastapi_twin_body_models", loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    exec(compile(source, str(path), "exec"), module.__dict__)
    with fastapi_testclient.TestClient(module.app) as client:
        return replay(client)


@pytest.mark.parametrize("mode", MODES)
def test_bodies_match_fastapi(start_server, fastapi_answers, mode):
    server = start_server("tests.apps.body_models:app", mode)
    with httpx.Client(base_url=server.base_url) as client:
        ours = replay(client)
    for expected, actual in zip(fastapi_answers, ours):
        assert actual == expected, f"differs from FastAPI at {expected[0]}"


def test_build_decodes_the_model_bodies(build_cache):
    manifest = json.loads((build_cache.build("tests.apps.body_models:app", cwd=REPO_DIR) / "manifest.json")
                          .read_text())
    routes = {"/items": None, "/items/{item_id}": None, "/checked": None, "/pair": None, "/embedded": None,
              "/maybe": None, "/wide": None, "/ambiguous": None}
    ir = json.loads((build_cache.build("tests.apps.body_models:app", cwd=REPO_DIR) / "ir.json").read_text())
    for route in ir["routes"]:
        if route["path"] in routes:
            routes[route["path"]] = str(route["index"])
    assert all(routes[path] in manifest["decoders"]
               for path in ("/items", "/items/{item_id}", "/pair", "/embedded", "/maybe", "/wide"))
    assert "has validators" in manifest["decoder_fallbacks"][routes["/checked"]]
    assert "a JSON object could be validated by Tag and Item" in manifest["decoder_fallbacks"][routes["/ambiguous"]]
    echo = [str(route["index"]) for route in ir["routes"] if route["path"].startswith("/echo/")]
    assert len(echo) == 5 and all(index in manifest["serializers"] and index in manifest["decoders"] for index in echo)
