"""zlib's compresslevel against libdeflate's levels on the gzip corpus (bench/gzip_corpus.py).

    .venv/bin/python -m bench.gzip_levels

Prints, for each libdeflate level, the corpus' total compressed size and the time to compress the
bench's /report body (~10 KB JSON); for each zlib level, the same, then the lowest libdeflate level
that compresses the corpus at least as small (`size_ratios`: in total, per kind of body and in the
geometric mean of per-body ratios), beside the level the runtime uses (`_runtime.gzip_level_for_zlib`).
Times are wall-clock on this machine: compare levels with each other, not across runs.
"""

from __future__ import annotations

import gzip
import time

from astraapi import _runtime
from bench.gzip_corpus import corpus, size_ratios


def best_time(fn, repeat: int = 7, number: int = 200) -> float:
    """Microseconds per call, the best of `repeat` runs."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        runs.append((time.perf_counter() - start) / number * 1e6)
    return min(runs)


def main() -> int:
    bodies = corpus()
    report = bodies["report.json"]
    print(f"corpus: {len(bodies)} bodies, {sum(map(len, bodies.values())):,} bytes")
    ld = {level: {name: len(_runtime.gzip_compress(data, level)) for name, data in bodies.items()}
          for level in range(13)}
    print("libdeflate level: corpus bytes, /report bytes, µs per /report")
    for level in range(13):
        cost = best_time(lambda: _runtime.gzip_compress(report, level))
        print(f"  {level:2}: {sum(ld[level].values()):8,} {ld[level]['report.json']:6,} {cost:7.1f}")
    print("zlib level: corpus bytes, /report bytes, µs per /report; the lowest libdeflate level at least as "
          "small (bench/gzip_corpus.size_ratios: total, json, html, text, geometric mean); the level used")
    for level in range(10):
        zl = {name: len(gzip.compress(data, level, mtime=0)) for name, data in bodies.items()}
        cost = best_time(lambda: gzip.compress(report, level, mtime=0))
        lowest, ratios = None, {}
        for m in range(13):
            ratios = size_ratios(ld[m], zl)
            if max(ratios.values()) <= 1:
                lowest = m
                break
        shown = " ".join(f"{v:.3f}" for v in ratios.values()) if lowest is not None else "-"
        print(f"  {level}: {sum(zl.values()):8,} {zl['report.json']:6,} {cost:7.1f}  -> {lowest} ({shown})"
              f"  used: {_runtime.gzip_level_for_zlib(level)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
