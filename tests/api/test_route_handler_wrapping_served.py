"""An integration replacing `astraapi.routing.get_request_handler` (Sentry's way) wraps every route:
the handler is built once per route, the replaced `dependant.call` is what runs; both modes."""

from __future__ import annotations

import httpx
import pytest

from support.paths import APPS_DIR, MODES


@pytest.fixture(scope="module", params=MODES)
def server(request, start_server):
    return start_server("wrapped_handler_app:app", request.param, cwd=APPS_DIR,
                        env={"WRAP_GET_REQUEST_HANDLER": "1"})


def test_every_route_goes_through_the_replaced_handler(server):
    seen = []
    for item_id in (1, 2, 3):
        response = httpx.get(f"{server.base_url}/items/{item_id}")
        assert response.json() == {"item_id": item_id, "value": "dep"}
        seen.append(response.headers["x-wrapped"])
    # one more endpoint call per request through the wrapped call; the handler built once
    first_calls = int(seen[0].split("/")[0])
    assert seen == [f"{first_calls + n}/{seen[0].split('/')[1]}" for n in range(3)]
    response = httpx.get(f"{server.base_url}/r/async")
    assert response.json() == {"async": True} and "x-wrapped" in response.headers
    # the docs routes are not wrapped (FastAPI adds them as Starlette routes)
    assert "x-wrapped" not in httpx.get(f"{server.base_url}/openapi.json").headers
