"""docs_offline=True: /docs and /redoc load Swagger UI and ReDoc from the app itself, and render in a
real headless browser (Debian's chromium) that cannot resolve any host but 127.0.0.1."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import httpx
import pytest

from support.paths import TESTS_DIR

APPS_DIR = TESTS_DIR / "apps"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Every host name but the server's fails to resolve: a page that needs a CDN cannot render.
NO_NETWORK = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
CONSOLE_PROBLEM = re.compile(r":CONSOLE[^\n]*(Uncaught|Error|Failed to load)[^\n]*")


@pytest.fixture(scope="module", params=["dynamic", "compiled"])
def server(request, start_server):
    return start_server("docs_offline_app:app", request.param, cwd=APPS_DIR)


def test_pages_link_local_assets(server):
    docs = httpx.get(f"{server.base_url}/docs").text
    assert '<script src="/docs/assets/swagger-ui-bundle.js"></script>' in docs
    assert 'href="/docs/assets/swagger-ui.css"' in docs
    assert "cdn.jsdelivr.net" not in docs and "fastapi.tiangolo.com" not in docs
    redoc = httpx.get(f"{server.base_url}/redoc").text
    assert '<script src="/redoc/assets/redoc.standalone.js"> </script>' in redoc
    assert "googleapis" not in redoc and "cdn.jsdelivr.net" not in redoc


@pytest.mark.parametrize("path, content_type", [
    ("/docs/assets/swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    ("/docs/assets/swagger-ui.css", "text/css; charset=utf-8"),
    ("/docs/assets/favicon-32x32.png", "image/png"),
    ("/redoc/assets/redoc.standalone.js", "text/javascript; charset=utf-8"),
])
def test_assets_served(server, path, content_type):
    import openapi_ui_bundles

    page = "redoc" if path.startswith("/redoc") else "swagger_ui"
    expected = (getattr(openapi_ui_bundles, page).static_path / path.rsplit("/", 1)[1]).read_bytes()
    response = httpx.get(server.base_url + path)
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.content == expected


@pytest.mark.parametrize("path", ["/docs/assets/index.html", "/docs/assets/..%2Fswagger-ui.css",
                                  "/docs/assets/redoc.standalone.js", "/redoc/assets/swagger-ui.css"])
def test_other_names_are_not_found(server, path):
    response = httpx.get(server.base_url + path)
    assert response.status_code == 404
    assert response.content == b'{"detail":"Not Found"}'


def test_assets_are_not_in_the_schema(server):
    assert set(httpx.get(f"{server.base_url}/openapi.json").json()["paths"]) == {"/items/{item_id}", "/items"}


def test_missing_package_is_reported_at_declaration(tmp_path):
    script = (
        "import sys; sys.modules['openapi_ui_bundles'] = None\n"
        "from astraapi import FastAPI\n"
        "FastAPI(docs_offline=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "OfflineDocsUnavailable" in done.stderr
    assert "pip install 'astraapi[docs-offline]'" in done.stderr


def _render(url: str, profile_dir) -> tuple[str, str]:
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile_dir}", NO_NETWORK,
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=15000", "--dump-dom", url],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/test.sh installs it)")
@pytest.mark.parametrize("page", ["docs", "redoc"])
def test_page_renders_in_headless_chromium(server, page, tmp_path):
    dom, log = _render(f"{server.base_url}/{page}", tmp_path / "profile")
    # The operations were rendered from /openapi.json by the page's JavaScript (they are not in the HTML).
    for text in ("Read one item", "Create an item", "/items/{item_id}"):
        assert text in dom, f"{text!r} not rendered on /{page}"
    assert not CONSOLE_PROBLEM.findall(log), CONSOLE_PROBLEM.findall(log)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/test.sh installs it)")
def test_browser_check_catches_a_page_that_needs_the_network(start_server, tmp_path):
    """The same check on the default (CDN) page fails: proof that the check above can fail."""
    server = start_server("hello:app", "dynamic", cwd=APPS_DIR)
    dom, log = _render(f"{server.base_url}/docs", tmp_path / "profile")
    assert "SwaggerUIBundle is not defined" in log
    assert "opblock" not in dom
