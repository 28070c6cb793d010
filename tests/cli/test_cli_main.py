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


def test_dev_with_a_missing_file_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert astraapi.cli.main(["dev", "non_existent_file.py"]) == 2
    assert "Path does not exist non_existent_file.py" in capsys.readouterr().err
    assert astraapi.cli.main(["dev", "src/missing.py:api"]) == 2
    assert "Path does not exist src/missing.py" in capsys.readouterr().err
