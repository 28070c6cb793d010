import pytest

from support.paths import APPS_DIR, MODES


@pytest.fixture(scope="package", params=MODES)
def ws_server(request, start_server):
    """tests/apps/ws_app.py served in each mode."""
    return start_server("ws_app:app", request.param, cwd=APPS_DIR)
