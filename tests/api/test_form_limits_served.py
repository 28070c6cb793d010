"""Form limits (astraapi._form_limits, FastAPI 0.165's `form_limits=`) as endpoints see them through
`request.form(...)`, on real servers in both modes."""

from __future__ import annotations

import httpx
import pytest

from support.paths import APPS_DIR, MODES


@pytest.fixture(scope="module", params=MODES)
def server(request, start_server):
    return start_server("form_limits_app:app", request.param, cwd=APPS_DIR)


def test_explicit_limits_in_an_async_with(server):
    url = server.base_url + "/manual"
    assert httpx.post(url, data={"text": "ok", "extra": "v"}).json() == {"text": "ok", "fields": 2}
    response = httpx.post(url, data={"text": "ok", "a": "1", "b": "2"})
    assert (response.status_code, response.json()) == (400, {"detail": "Too many fields. Maximum number of fields is 2."})


def test_awaited_form_uses_starlettes_defaults(server):
    assert httpx.post(server.base_url + "/awaited", data={"b": "1", "a": "2"}).json() == ["a", "b"]


def test_parameter_form_is_parsed_once_with_the_apps_limits(server):
    url = server.base_url + "/shared"
    assert httpx.post(url, data={"text": "ok"}).json() == {"same": True}
    response = httpx.post(url, data={"text": "ok", "extra": "v"})
    assert (response.status_code, response.json()) == (400, {"detail": "Too many fields. Maximum number of fields is 1."})


def test_validation_of_settings():
    from astraapi import APIRouter, FastAPI
    from astraapi._form_limits import _FormLimits, _validate_form_limits

    limits: _FormLimits = {"max_fields": 1}
    assert _validate_form_limits(limits) == limits and _validate_form_limits(limits) is not limits
    assert _validate_form_limits(None) == {}
    for bad in ({"max_parts": 1}, {"max_files": -1}, {"max_fields": False}, {"max_part_size": 1.5}):
        with pytest.raises(ValueError):
            FastAPI(form_limits=bad)
    with pytest.raises(ValueError, match="max_fields"):
        FastAPI().include_router(APIRouter(), form_limits={"max_fields": -1})
