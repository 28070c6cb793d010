"""`def` endpoints run in a thread pool (FastAPI's semantics) unless the app opts in to
running them inline on the event loop with AstraAPI(sync_endpoints="inline")."""

import httpx
import pytest

from support.paths import APPS_DIR, MODES


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("app, on_main_thread", [("pooled", False), ("inline", True)])
def test_where_sync_endpoints_run(start_server, mode, app, on_main_thread):
    server = start_server(f"sync_modes:{app}", mode, cwd=APPS_DIR)
    response = httpx.get(f"{server.base_url}/where")
    assert response.json() == {"main_thread": on_main_thread}


def test_unknown_setting_is_refused():
    from astraapi import FastAPI

    with pytest.raises(ValueError, match="sync_endpoints"):
        FastAPI(sync_endpoints="sometimes")
