from __future__ import annotations

import warnings

import pytest

from harness import Pair

warnings.filterwarnings("ignore", message=".*httpx.*", category=Warning)
pytest.importorskip("fastapi.testclient")


@pytest.fixture
def make_pair(tmp_path):
    """make_pair(source) -> Pair comparing our engine with FastAPI for that app source."""
    pairs: list[Pair] = []

    def make(source: str) -> Pair:
        pair = Pair(source, tmp_path)
        pairs.append(pair)
        return pair

    yield make
    for pair in pairs:
        pair.ours.close()
