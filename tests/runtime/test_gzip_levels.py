"""GZipMiddleware's compresslevel (and the server's gzip_level) keep zlib's meaning: whole bodies
are compressed with libdeflate at the level `_runtime.gzip_level_for_zlib` gives, which must
compress the gzip corpus (bench/gzip_corpus.py: JSON, HTML, text, whole and as 1-16 KB prefixes)
at least as small as zlib does at the requested level: in total, per kind of body and in the
geometric mean of the per-body ratios (bench/gzip_corpus.size_ratios)."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import pytest

from astraapi import _runtime

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.gzip_corpus import corpus, size_ratios  # noqa: E402 - after the path


@pytest.fixture(scope="module")
def bodies() -> dict[str, bytes]:
    return corpus()


@pytest.mark.parametrize("level", range(10))
def test_mapped_level_compresses_at_least_as_small_as_zlib(bodies, level):
    ours = {}
    for name, data in bodies.items():
        out = _runtime.gzip_compress(data, _runtime.gzip_level_for_zlib(level))
        assert gzip.decompress(out) == data, name
        ours[name] = len(out)
    zlib_sizes = {name: len(gzip.compress(data, level, mtime=0)) for name, data in bodies.items()}
    ratios = size_ratios(ours, zlib_sizes)
    assert max(ratios.values()) <= 1, ratios


def test_corpus_has_every_kind_and_small_bodies(bodies):
    from bench.gzip_corpus import kind

    kinds = {kind(name) for name in bodies}
    assert kinds == {"json", "html", "text"}
    assert sum(len(data) <= 1000 for data in bodies.values()) >= 5


def test_level_table():
    levels = [_runtime.gzip_level_for_zlib(level) for level in range(10)]
    assert levels[0] == 0  # stored, as zlib's 0
    assert levels == sorted(levels)  # more compression asked, never a cheaper level
    assert levels[9] < 9  # libdeflate's 8-9 cost ~1.8x its 7 for ~1% (bench/gzip_levels.py)
    for bad in (-1, 10):
        with pytest.raises(ValueError):
            _runtime.gzip_level_for_zlib(bad)
