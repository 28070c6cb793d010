"""Invariant 2: the example app answers as the same source does under FastAPI."""

import httpx
import pytest

from support.items_script import ITEMS_APP, load_with_fastapi, replay
from support.paths import MODES

fastapi_testclient = pytest.importorskip("fastapi.testclient")


@pytest.fixture(scope="module")
def fastapi_results(tmp_path_factory):
    module = load_with_fastapi(ITEMS_APP, tmp_path_factory.mktemp("fastapi") / "items.db")
    with fastapi_testclient.TestClient(module.app) as client:
        return replay(client)


@pytest.mark.parametrize("mode", MODES)
def test_items_api_matches_fastapi(start_server, tmp_path, fastapi_results, mode):
    server = start_server("examples.items_api:app", mode, env={"ITEMS_DB": str(tmp_path / "items.db")})
    with httpx.Client(base_url=server.base_url) as client:
        ours = replay(client)
    for expected, actual in zip(fastapi_results, ours):
        step = expected[0]
        if step == ("GET", "/items/"):
            # FastAPI's redirect names the Host it was asked for; so do we.
            assert actual[1] == 307 and dict(actual[2])["location"] == "http://testserver/items"
            continue
        assert actual == expected, f"differs from FastAPI at {step}"
