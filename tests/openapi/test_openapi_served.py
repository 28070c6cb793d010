"""A real AstraAPI server (dynamic and compiled mode) sends the same /openapi.json, /docs, /redoc and
/docs/oauth2-redirect bytes as FastAPI does for the same app."""

from __future__ import annotations

import warnings

import httpx
import pytest

from openapi_apps import APP_NAMES, import_path, write_app
from support.compare import SERVER_ONLY_HEADERS, response_triple
from support.paths import MODES

warnings.filterwarnings("ignore", message=".*deprecated.*")
fastapi_testclient = pytest.importorskip("fastapi.testclient")

DEFAULT_PAGES = ["/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect", "/docs/", "/openapi.json/"]
PAGES = {
    "settings_app": ["/api/schema.json", "/api/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"],
}


def exchange(client, pages):
    results = []
    for path in pages:
        for method in ("GET", "HEAD"):
            response = client.request(method, path, headers={"host": "testserver"}, follow_redirects=False)
            results.append(((method, path), *response_triple(response, ignore=SERVER_ONLY_HEADERS)))
    return results


@pytest.fixture(scope="module")
def reference_results(apps_dir):
    cache = {}

    def results(name):
        if name not in cache:
            app = import_path(write_app(name, "fastapi", apps_dir)).app
            with fastapi_testclient.TestClient(app) as client:
                cache[name] = exchange(client, PAGES.get(name, DEFAULT_PAGES))
        return cache[name]

    return results


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", APP_NAMES)
def test_served_pages_match_fastapi(start_server, apps_dir, reference_results, name, mode):
    write_app(name, "astraapi", apps_dir)
    server = start_server(f"oa_{name}_astraapi:app", mode, cwd=apps_dir)
    with httpx.Client(base_url=server.base_url) as client:
        ours = exchange(client, PAGES.get(name, DEFAULT_PAGES))
    expected = reference_results(name)
    assert expected[0][1] == 200 and expected[0][3].startswith(b'{"openapi":"3.1.0"')
    if name == "rootpath_app":  # the served document names the root path first among the servers
        assert b'"servers":[{"url":"/api/v1"},{"url":"https://example.com"}]' in expected[0][3]
    for want, got in zip(expected, ours):
        assert got == want, f"differs from FastAPI at {want[0]}"
    assert len(ours) == len(expected)


@pytest.mark.parametrize("mode", MODES)
def test_items_example_openapi_served(start_server, tmp_path, mode):
    from support.items_script import ITEMS_APP, load_with_fastapi

    reference = load_with_fastapi(ITEMS_APP, tmp_path / "fastapi.db").app
    with fastapi_testclient.TestClient(reference) as client:
        expected = exchange(client, DEFAULT_PAGES)
    server = start_server("examples.items_api:app", mode, env={"ITEMS_DB": str(tmp_path / "items.db")})
    with httpx.Client(base_url=server.base_url) as client:
        ours = exchange(client, DEFAULT_PAGES)
    assert ours[0][1] == 200 and b'"title":"Items API"' in ours[0][3]
    assert ours == expected
