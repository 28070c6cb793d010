"""Declaring a frontend: the warning for a missing directory (FASTAPI_ENV=development) names the user's line."""

from __future__ import annotations

import pytest

from astraapi import APIRouter, FastAPI


@pytest.mark.parametrize("owner", [APIRouter, FastAPI])
def test_missing_directory_warning_points_to_the_callers_line(monkeypatch, tmp_path, owner):
    monkeypatch.setenv("FASTAPI_ENV", "development")
    target = owner()
    with pytest.warns(UserWarning, match="does not exist") as caught:
        target.frontend("/", directory=tmp_path / "missing")
    assert caught[0].filename == __file__
