"""results.json: everything a report is made of, so that `python -m bench --render DIR` can
render results.md again (after the report's layout changes) without measuring again."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from bench.loadgen import WrkResult
from bench.measure import Run, RouteResult, Settings
from bench.procstat import LoadSample
from bench.report import Report


def _route(result: RouteResult) -> dict:
    return {
        "target": result.target, "route": result.route, "workers": result.workers,
        "unavailable": result.unavailable,
        "runs": [{"rps": r.wrk.rps, "requests": r.wrk.requests, "seconds": r.wrk.seconds, "p50_ms": r.wrk.p50_ms,
                  "p99_ms": r.wrk.p99_ms, "errors": r.wrk.errors, "server_cpu_s": r.server_cpu,
                  "wrk_cpu_s": r.wrk.wrk_cpu, "cpu_us_per_request": r.cpu_us_per_request,
                  "other_load_pct": r.load.other_pct, "steal_pct": r.load.steal_pct,
                  "load_seconds": r.load.seconds, "loadavg": [r.load.loadavg_before, r.load.loadavg_after],
                  "top_others": r.load.top_others, "load": r.load.describe()} for r in result.runs],
    }


def dump(report: Report) -> dict:
    return {
        "title": report.title, "settings": asdict(report.settings), "machine": report.machine,
        "labels": report.labels, "unavailable": report.unavailable,
        "results": [_route(r) for r in report.results.values()],
        "scaling": [_route(r) for r in report.scaling.values()],
        "scaling_memory_mib": [[k, w, m] for (k, w), m in report.scaling_memory.items()],
        "startup_s": report.startup, "memory_mib": report.memory, "imports_ms": report.imports,
        "builds": report.builds, "notes": report.notes,
    }


def _load_route(data: dict, threshold: float) -> RouteResult:
    result = RouteResult(data["target"], data["route"], unavailable=data.get("unavailable"),
                         workers=data.get("workers", 1), threshold=threshold)
    for r in data.get("runs", []):
        seconds = r.get("seconds") or (r["requests"] / r["rps"] if r["rps"] else 1.0)
        wrk = WrkResult(requests=r["requests"], seconds=seconds, rps=r["rps"], p50_ms=r["p50_ms"],
                        p99_ms=r["p99_ms"], errors=r["errors"], wrk_cpu=r["wrk_cpu_s"], raw="")
        avg = r.get("loadavg") or ["?", "?"]
        load = LoadSample(seconds=r.get("load_seconds", seconds), other_pct=r["other_load_pct"],
                          steal_pct=r["steal_pct"], loadavg_before=avg[0], loadavg_after=avg[1],
                          top_others=[tuple(t) for t in r.get("top_others", [])])
        result.runs.append(Run(wrk, r["server_cpu_s"], load))
    return result


def load(path: Path, default_labels: dict[str, str]) -> Report:
    data = json.loads(Path(path).read_text())
    settings = Settings(**data["settings"])
    threshold = settings.load_threshold
    results = {(r["target"], r["route"]): _load_route(r, threshold) for r in data["results"]}
    targets = list(dict.fromkeys(key for key, _ in results))
    labels = data.get("labels") or {k: default_labels.get(k, k) for k in default_labels if k in targets}
    report = Report(title=data["title"], settings=settings, machine=data["machine"], labels=labels,
                    unavailable=data["unavailable"], results=results)
    for r in data.get("scaling", []):
        report.scaling[(r["target"], r["workers"])] = _load_route(r, threshold)
    report.scaling_memory = {(k, w): tuple(m) for k, w, m in data.get("scaling_memory_mib", [])}
    report.startup = data.get("startup_s", {})
    report.memory = {k: tuple(v) for k, v in data.get("memory_mib", {}).items()}
    report.imports = data.get("imports_ms", {})
    report.builds = [tuple(b) for b in data.get("builds", [])]
    report.notes = data.get("notes", [])
    return report
