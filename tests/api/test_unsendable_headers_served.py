"""A response whose header names HTTP forbids cannot be sent: the server answers 500 (as uvicorn
fails such a response), keeps serving, and reports the error where server errors go, so the
TestClient raises it in the test (`raise_server_exceptions`) instead of showing a bare 500."""

import httpx
import pytest

from support.paths import APPS_DIR, MODES

UNSENDABLE = [("POST", "/mail-preview/a@example.com"), ("GET", "/spaced"), ("GET", "/sub/preview")]


@pytest.mark.parametrize("mode", MODES)
def test_unsendable_header_name_is_a_500(start_server, mode):
    server = start_server("unsendable_headers_app:app", mode, cwd=APPS_DIR)
    for method, path in UNSENDABLE:
        # One connection each: after a 500 of its own the server closes the connection, as uvicorn
        # does after Starlette's ServerErrorMiddleware answered.
        response = httpx.request(method, f"{server.base_url}{path}")
        assert response.status_code == 500, path
        assert response.text == "Internal Server Error"
        assert "subject:" not in response.headers and "x bad" not in response.headers
        assert httpx.get(f"{server.base_url}/fine").json() == {"text": "fine"}  # the server still serves


@pytest.fixture()
def app(monkeypatch):
    monkeypatch.syspath_prepend(str(APPS_DIR))
    import unsendable_headers_app

    return unsendable_headers_app.app


@pytest.mark.parametrize("method, path", UNSENDABLE)
def test_testclient_raises_the_send_error(app, method, path):
    from astraapi.testclient import TestClient

    with TestClient(app) as client:
        with pytest.raises(RuntimeError, match="Invalid HTTP header name"):
            client.request(method, path)
        assert client.get("/fine").status_code == 200
    with TestClient(app, raise_server_exceptions=False) as quiet:
        response = quiet.request(method, path)
        assert response.status_code == 500 and response.text == "Internal Server Error"
