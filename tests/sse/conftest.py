import pytest

from support.paths import APPS_DIR, MODES


@pytest.fixture(scope="package", params=MODES)
def sse_server(request, start_server):
    """tests/apps/sse_app.py served in each mode."""
    return start_server("sse_app:app", request.param, cwd=APPS_DIR)
