"""The results as markdown: a summary table (requests/s with ratios to FastAPI+uvicorn and to
nginx), a detail table per route, scaling, memory, start-up, import and build times, and the
load conditions each figure was taken under."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bench.measure import RouteResult, Settings
from bench.routes import ROUTES


@dataclass
class Report:
    title: str
    settings: Settings
    machine: list[str]
    labels: dict[str, str]                         # target key -> label, in table order
    unavailable: dict[str, str]                    # target key -> why it was not run
    results: dict[tuple[str, str], RouteResult]   # (target, route) -> result
    startup: dict[str, float] = field(default_factory=dict)            # target -> seconds
    memory: dict[str, tuple[float, float, int]] = field(default_factory=dict)  # target -> rss
    scaling: dict[tuple[str, int], RouteResult] = field(default_factory=dict)  # (target, workers)
    scaling_memory: dict[tuple[str, int], tuple[float, float, int]] = field(default_factory=dict)
    imports: dict[str, float | None] = field(default_factory=dict)     # module -> ms
    builds: list[tuple[str, float, str]] = field(default_factory=list) # (what, seconds, summary)
    notes: list[str] = field(default_factory=list)


def _num(value: float, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}"


def _ratio(value: float, base: float | None) -> str:
    if not base or math.isnan(base) or math.isnan(value):
        return "—"
    return f"{value / base:.2f}×"


def _measured(result: RouteResult | None) -> bool:
    return result is not None and result.unavailable is None and bool(result.runs)


def _mark(result: RouteResult) -> str:
    marks = []
    if result.loaded_runs:
        marks.append(f"⚠{result.loaded_runs}/{len(result.runs)}")
    if result.wrk_bound:
        marks.append("wrk-bound")
    if result.errors:
        marks.append(f"errors {result.errors}")
    return " ".join(marks)


def _summary(report: Report, title: str, value, digits: int) -> list[str]:
    out = [f"## {title}", ""]
    header = ["target"] + [r.title for r in ROUTES]
    out += ["| " + " | ".join(header) + " |", "|---|" + "---:|" * len(ROUTES)]
    for key, label in report.labels.items():
        if key in report.unavailable:
            continue
        cells = [label]
        for route in ROUTES:
            result = report.results.get((key, route.key))
            if not _measured(result):
                cells.append("n/a" if result is not None else "—")
                continue
            base = report.results.get(("fastapi", route.key))
            ratio = _ratio(value(result), value(base)) if _measured(base) and key != "fastapi" else ""
            cell = _num(value(result), digits) + (f" ({ratio})" if ratio and ratio != "—" else "")
            if result.loaded_runs:
                cell += " ⚠"
            cells.append(cell)
        out.append("| " + " | ".join(cells) + " |")
    return out + [""]


def render(report: Report) -> str:
    s = report.settings
    out = [f"# {report.title}", ""]
    out += [f"- {line}" for line in report.machine]
    out += [
        f"- Method: one server worker pinned to CPU {s.server_cpus}, wrk `-t{s.threads} -c{s.connections}` "
        f"pinned to CPU {s.wrk_cpus}; {_num(s.warmup)} s warm-up, then {s.runs} run(s) of {_num(s.duration)} s "
        f"per route. Figures are medians over the runs; spread = (max − min) / median of requests/s.",
        f"- CPU/req is the server's own CPU time (user + system, all its processes and threads, from /proc) "
        f"divided by the requests served: it stays meaningful when wrk, not the server, is the bottleneck. "
        f"Server CPU / wrk CPU: their use of a core during the runs; *wrk-bound* marks a route where wrk's "
        f"thread, not the server, was the limit (compare CPU µs/req there, not req/s).",
        f"- ⚠n/m: n of the m runs had other processes using more than {s.load_threshold:.0f}% of a core "
        f"(a loaded run is retried {s.retries}× after waiting for quiet, then kept and marked).",
        "",
    ]
    nginx = report.results.get(("nginx", "hello"))
    nginx_rps = nginx.rps if _measured(nginx) else None

    measured = [r for r in list(report.results.values()) + list(report.scaling.values()) if _measured(r)]
    total = sum(len(r.runs) for r in measured)
    loaded = sum(r.loaded_runs for r in measured)
    if loaded:
        worst = max(r.max_other_pct for r in measured)
        out += [f"**⚠ {loaded} of {total} runs were taken while other processes used more than "
                f"{s.load_threshold:.0f}% of a core (up to {worst:.0f}%): their requests/s and latencies are "
                f"provisional; CPU µs per request is the steadier figure.**", ""]
    out += _summary(report, "Requests/s (× FastAPI + uvicorn on the same route)", lambda r: r.rps, 0)
    out += _summary(report, "Server CPU µs per request (× FastAPI + uvicorn; lower is better, and it holds "
                    "up better than requests/s when other load shares the machine)", lambda r: r.cpu_us, 1)
    missing = [(report.labels[k], route.title, r.unavailable) for k in report.labels if k not in report.unavailable
               for route in ROUTES if (r := report.results.get((k, route.key))) is not None and r.unavailable]
    if missing:
        out += ["n/a, and why:", ""] + [f"- {label}, {title}: {why}" for label, title, why in missing] + [""]
    if nginx_rps:
        out.append(f"nginx returning the fixed hello body: {_num(nginx_rps)} req/s — the ceiling of one core "
                   f"here; the detail tables give each figure as a share of it.")
        out.append("")

    for route in ROUTES:
        rows = [(key, report.results.get((key, route.key))) for key in report.labels]
        rows = [(k, r) for k, r in rows if r is not None]
        if not rows:
            continue
        base = report.results.get(("fastapi", route.key))
        out += [f"### {route.title} — `{route.request.method} {route.request.path}`", "",
                "| target | req/s | spread | p50 ms | p99 ms | CPU µs/req | server CPU | wrk CPU | × FastAPI | × nginx | notes |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for key, result in rows:
            label = report.labels[key]
            if not _measured(result):
                out.append(f"| {label} | n/a | | | | | | | | | {result.unavailable or 'not measured'} |")
                continue
            out.append(
                f"| {label} | {_num(result.rps)} | {result.spread_pct:.0f}% | {_num(result.p50_ms, 2)} | "
                f"{_num(result.p99_ms, 2)} | {_num(result.cpu_us, 1)} | {result.server_pct:.0f}% | {result.wrk_pct:.0f}% | "
                f"{_ratio(result.rps, base.rps) if _measured(base) else '—'} | {_ratio(result.rps, nginx_rps)} | "
                f"{_mark(result)} |")
        out.append("")

    if report.scaling:
        out += ["## workers=2 scaling (GET /)", "",
                "Server and wrk are not pinned here: with two cores, the load generator shares them with the "
                "two workers, so this understates what two workers give on a bigger machine.", "",
                "| target | workers | req/s | p99 ms | CPU µs/req | × 1 worker | RSS per worker MiB | notes |",
                "|---|---:|---:|---:|---:|---:|---:|---|"]
        for (key, workers), result in sorted(report.scaling.items(), key=lambda kv: (list(report.labels).index(kv[0][0]), kv[0][1])):
            label = report.labels[key]
            if not _measured(result):
                out.append(f"| {label} | {workers} | n/a | | | | | {result.unavailable or ''} |")
                continue
            one = report.scaling.get((key, 1))
            mem = report.scaling_memory.get((key, workers))
            out.append(f"| {label} | {workers} | {_num(result.rps)} | {_num(result.p99_ms, 2)} | "
                       f"{_num(result.cpu_us, 1)} | {_ratio(result.rps, one.rps) if _measured(one) else '—'} | "
                       f"{_num(mem[0], 1) if mem else '—'} | {_mark(result)} |")
        out.append("")

    out += ["## Memory and start-up", "",
            "| target | RSS per worker MiB (after load) | processes | start-up s (spawn → first 200) |",
            "|---|---:|---:|---:|"]
    for key, label in report.labels.items():
        if key in report.unavailable:
            continue
        mem = report.memory.get(key)
        start = report.startup.get(key)
        out.append(f"| {label} | {_num(mem[0], 1) if mem else '—'} | {mem[2] if mem else '—'} | "
                   f"{_num(start, 2) if start is not None else '—'} |")
    out.append("")

    if report.imports or report.builds:
        out += ["## Import and build", "", "| what | time |", "|---|---:|"]
        for module, ms in report.imports.items():
            out.append(f"| `import {module}` (over a bare interpreter start) | "
                       f"{_num(ms, 0) + ' ms' if ms is not None else 'n/a'} |")
        for what, seconds, _ in report.builds:
            out.append(f"| {what} | {_num(seconds, 2)} s |")
        out.append("")
        for what, _, summary in report.builds:
            if summary:
                out.append(f"- {what}: `{summary}`")
        out.append("")

    if report.unavailable:
        out += ["## Not available", ""]
        out += [f"- {report.labels[k]}: {why}" for k, why in report.unavailable.items()]
        out.append("")
    if report.notes:
        out += ["## Notes", ""] + [f"- {n}" for n in report.notes] + [""]
    return "\n".join(out)
