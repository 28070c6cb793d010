"""zlib's compresslevel against libdeflate's levels on the gzip corpus (bench/gzip_corpus.py).

    .venv/bin/python -m bench.gzip_levels [--instructions]

Prints, for each libdeflate level, the corpus' total compressed size and the time to compress the
bench's /report body (~10 KB JSON); for each zlib level, the same, then the lowest libdeflate level
that compresses the corpus at least as small (`size_ratios`: in total, per kind of body and in the
geometric mean of per-body ratios), beside the level the runtime uses (`_runtime.gzip_level_for_zlib`).
Times are wall-clock on this machine: compare levels with each other, not across runs.
With --instructions, also the user-space instructions per compression of the /report body at each
level (valgrind's callgrind: one process compressing it N times against one compressing it 0 times),
which do not depend on the machine's load.
"""

from __future__ import annotations

import argparse
import gzip
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


COUNT = 200


def compress_repeatedly(kind: str, level: int, count: int, path: Path) -> None:
    """The child under callgrind: compress the body in `path` `count` times."""
    data = path.read_bytes()
    compress = (lambda: _runtime.gzip_compress(data, level)) if kind == "libdeflate" else \
        (lambda: gzip.compress(data, level, mtime=0))
    for _ in range(count):
        compress()


def instructions(kind: str, level: int, count: int, path: Path) -> int:
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-m",
                           "bench.gzip_levels", "--child", kind, str(level), str(count), str(path)],
                          capture_output=True, text=True)
    found = re.search(r"Collected : *(\d+)", done.stderr)
    if done.returncode != 0 or not found:
        raise SystemExit(f"the callgrind run ({kind} {level} x{count}) failed:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def print_instructions(report: bytes) -> None:
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "report.json"
        path.write_bytes(report)
        print(f"instructions per compression of /report (callgrind, {COUNT} calls minus 0 calls)")
        for kind, levels in (("libdeflate", range(1, 10)), ("zlib", range(1, 10))):
            base = instructions(kind, levels[0], 0, path)
            figures = [(instructions(kind, level, COUNT, path) - base) // COUNT for level in levels]
            print(f"  {kind:10} " + "  ".join(f"{level}: {n:,}" for level, n in zip(levels, figures)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instructions", action="store_true", help="also count instructions (valgrind)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, level, count, path = args.child
        compress_repeatedly(kind, int(level), int(count), Path(path))
        return 0
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
    if args.instructions:
        print_instructions(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
