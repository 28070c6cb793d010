"""`astraapi.cli` has FastAPI's `fastapi.cli` shape: `main()` runs `cli_main`, and says so when it is missing."""

from __future__ import annotations

from unittest.mock import patch

import pytest

import astraapi.cli


def test_main_runs_cli_main(capsys):
    with pytest.raises(SystemExit) as exited:
        astraapi.cli.main(["--help"])
    assert exited.value.code == 0
    assert "astraapi" in capsys.readouterr().out


def test_main_without_cli_main_is_an_error():
    with patch.object(astraapi.cli, "cli_main", None):
        with pytest.raises(RuntimeError, match="To use the fastapi command, please install"):
            astraapi.cli.main([])
