"""`python -m bench [--quick] [--targets ...]`: measure AstraAPI against its peers in one run and
write bench/results/<timestamp>/results.md (printed too) with the raw wrk output beside it.
`bash bench/run.sh` sets everything up first (wrk, nginx, the peers' venv) and then runs this."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from bench import peers, procstat, store
from bench.apps import generate_fastapi_twin
from bench.measure import RouteResult, Settings, build_time, measure_route, python_import_time
from bench.report import Report, render
from bench.routes import BY_KEY, ROUTES, VARIANTS, check
from bench.targets import APP_REF, REPO, Target, all_targets, start

GROUPS = {"astraapi": ["astraapi-compiled", "astraapi-dynamic"],
          "peers": ["fastapi", "blacksheep", "socketify", "robyn"], "nginx": ["nginx"]}
ALL = GROUPS["astraapi"] + GROUPS["peers"] + GROUPS["nginx"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="smoke check: 1 short run per route (under a minute)")
    p.add_argument("--targets", default="all",
                   help="comma list of targets or groups (astraapi, peers, nginx, all); default all")
    p.add_argument("--routes", default="all", help="comma list of " + ", ".join(BY_KEY) + " (default all)")
    p.add_argument("--runs", type=int, help="measured runs per route (default 5; quick 1)")
    p.add_argument("--duration", type=float, help="seconds per run (default 5; quick 1)")
    p.add_argument("--warmup", type=float, help="warm-up seconds per route (default 2; quick 0)")
    p.add_argument("--no-scaling", action="store_true", help="skip the workers=2 measurement")
    p.add_argument("--no-install", action="store_true", help="do not install peers; use what bench/.venv-peers has")
    p.add_argument("--load-threshold", type=float, default=10.0,
                   help="%% of a core used by other processes that marks a run as loaded (default 10)")
    p.add_argument("--out", type=Path, help="results folder (default bench/results/<UTC timestamp>)")
    p.add_argument("--render", type=Path, metavar="DIR",
                   help="measure nothing: render DIR/results.md again from DIR/results.json and print it")
    return p


def _select(spec: str, universe: list[str], groups: dict[str, list[str]]) -> list[str]:
    if spec == "all":
        return list(universe)
    chosen: list[str] = []
    for name in (n.strip() for n in spec.split(",") if n.strip()):
        names = groups.get(name, [name])
        for n in names:
            if n not in universe:
                raise SystemExit(f"bench: unknown name {n!r} (choose from {', '.join(list(groups) + universe)})")
            if n not in chosen:
                chosen.append(n)
    return chosen


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.render:
        labels = {t.key: t.label for t in all_targets(sys.executable, None, {})}
        text = render(store.load(args.render / "results.json", labels))
        (args.render / "results.md").write_text(text)
        print(text)
        return 0
    quick = args.quick
    settings = Settings(
        runs=args.runs or (1 if quick else 5),
        duration=args.duration or (1.0 if quick else 5.0),
        warmup=args.warmup if args.warmup is not None else (0.0 if quick else 2.0),
        load_threshold=args.load_threshold,
        retries=0 if quick else 1,
        quiet_wait=0.0 if quick else 10.0,
    )
    wanted = _select(args.targets, ALL, GROUPS)
    routes = [BY_KEY[k] for k in _select(args.routes, list(BY_KEY), {})]
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or (REPO / "bench" / "results" / stamp)
    raw_dir = out / "raw"
    raw_dir.mkdir(parents=True, exist_ok=True)
    if not shutil.which("wrk"):
        print("bench: wrk is not installed (apt-get install wrk, or run bash bench/run.sh)", file=sys.stderr)
        return 2
    if (os.cpu_count() or 1) < 2:
        settings.server_cpus = settings.wrk_cpus = None

    # SIGTERM (e.g. from a CI timeout) unwinds like Ctrl-C, through the finally blocks that stop servers.
    signal.signal(signal.SIGTERM, _interrupt)
    log = lambda message: print(message, flush=True)  # noqa: E731
    started = time.monotonic()
    generate_fastapi_twin()

    peer_status: dict[str, str] = {}
    peers_python = None
    if any(k in GROUPS["peers"] for k in wanted):
        peer_status = _peer_status(args.no_install, log)
        peers_python = str(peers.python()) if peers.python().exists() else None
    targets = {t.key: t for t in all_targets(sys.executable, peers_python, peer_status) if t.key in wanted}
    report = Report(
        title=f"AstraAPI benchmark — {stamp}{' (quick smoke run: not a measurement)' if quick else ''}",
        settings=settings, machine=_machine(), labels={k: t.label for k, t in targets.items()},
        unavailable={k: t.unavailable for k, t in targets.items() if t.unavailable}, results={},
    )

    with tempfile.TemporaryDirectory(prefix="astraapi-bench-") as tmp:
        work = Path(tmp)
        try:
            _run_all(report, targets, routes, settings, work, raw_dir, quick, args, log)
        except KeyboardInterrupt:
            report.notes.append("interrupted: the tables hold what was measured before the interruption")
            log("bench: interrupted; servers stopped")
        text = render(report)
        (out / "results.md").write_text(text)
        (out / "results.json").write_text(json.dumps(store.dump(report), indent=1))
        print("\n" + text)
        if not quick and args.targets == "all" and args.routes == "all" and not report.notes:
            (REPO / "bench" / "RESULTS.md").write_text(text)
            log("bench: a full run: bench/RESULTS.md updated (commit it)")
        log(f"bench: wrote {out / 'results.md'} (raw wrk output in {raw_dir}) in {time.monotonic() - started:.0f}s")
    return 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _peer_status(no_install: bool, log) -> dict[str, str]:
    if no_install:
        if not peers.python().exists():
            return {}
        status = json.loads(peers.STATUS.read_text()) if peers.STATUS.exists() else {}
        return {peers._name(req): why for req, why in status.items()}
    return peers.ensure(log)


def _run_all(report: Report, targets: dict[str, Target], routes, settings: Settings, work: Path,
             raw_dir: Path, quick: bool, args, log) -> None:
    astra = [k for k in targets if k.startswith("astraapi")]
    build_dirs = {}
    if "astraapi-compiled" in targets:
        for variant, env in VARIANTS.items():
            if variant != "main" and not any(r.variant == variant for r in routes):
                continue
            build_dirs[variant] = work / f"build-{variant}"
            os.environ.update(env)
            try:
                seconds, summary = build_time(sys.executable, APP_REF, build_dirs[variant], REPO)
            finally:
                for name in env:
                    os.environ.pop(name, None)
            if variant == "main":
                report.builds.append(("`astraapi build` (cold, fresh build folder)", seconds, summary))
                seconds, summary = build_time(sys.executable, APP_REF, build_dirs[variant], REPO)
                report.builds.append(("`astraapi build` again, nothing changed", seconds, ""))
            log(f"bench: built {variant} variant in {seconds:.2f}s")

    for key, target in targets.items():
        if target.unavailable:
            log(f"bench: {target.label}: not available ({target.unavailable})")
            continue
        for variant, env in VARIANTS.items():
            variant_routes = [r for r in routes if r.variant == variant
                              and (target.routes is None or r.key in target.routes)]
            if not variant_routes:
                continue
            log(f"bench: {target.label}{f' ({variant} variant)' if variant != 'main' else ''}")
            _measure_target(report, target, variant, env, variant_routes, settings, build_dirs.get(variant),
                            work, raw_dir, log)

    if not args.no_scaling and "hello" in [r.key for r in routes]:
        _scaling(report, targets, settings, build_dirs.get("main"), work, raw_dir, log)

    repeat = 3 if quick else 10
    if astra:
        report.imports["astraapi"] = python_import_time(sys.executable, "astraapi", repeat, settings.server_cpus)
    fastapi = targets.get("fastapi")
    if fastapi is not None and not fastapi.unavailable:
        report.imports["fastapi"] = python_import_time(fastapi.python, "fastapi", repeat, settings.server_cpus)
    versions = peers.versions() if any(t.group == "peer" for t in targets.values()) else {}
    if versions:
        report.machine.append("Peers: " + ", ".join(f"{n} {v}" for n, v in sorted(versions.items())))


def _measure_target(report: Report, target: Target, variant: str, env: dict, routes, settings: Settings,
                    build_dir, work: Path, raw_dir: Path, log) -> None:
    """Start the target, check and measure each route; a server that dies under load is reported
    for that route and started again for the next."""
    key, server = target.key, None
    try:
        for route in routes:
            if server is None:
                try:
                    server = start(target, workers=1, cpus=settings.server_cpus, build_dir=build_dir,
                                   work=work / key, env_extra=env)
                except RuntimeError as exc:
                    log(f"  did not start: {exc}")
                    if variant == "main" and key not in report.startup:
                        report.unavailable[key] = f"did not start: {str(exc)[:300]}"
                    for r in routes:
                        report.results.setdefault((key, r.key), RouteResult(key, r.key, unavailable="did not start"))
                    return
                if variant == "main":
                    report.startup.setdefault(key, server.startup_s)
            problem = check(route, "127.0.0.1", server.port)
            if problem:
                log(f"  {route.title}: n/a ({problem})")
                report.results[(key, route.key)] = RouteResult(key, route.key, unavailable=problem)
                continue
            log(f"  {route.title}")
            try:
                result = measure_route(server, route, settings, raw_dir, log)
                why = None
            except (RuntimeError, ValueError) as exc:
                why = f"measurement failed: {str(exc).strip().splitlines()[-1][:200]}"
            if server.process.poll() is not None:  # it died under load: report it, start it again
                why = f"server died under load (exit {server.process.returncode}): {_tail(server.log)}"
                server.stop()
                server = None
            if why:
                log(f"    n/a: {why}")
                result = RouteResult(key, route.key, unavailable=why)
            report.results[(key, route.key)] = result
        if variant == "main" and server is not None:
            report.memory[key] = server.rss()
    finally:
        if server is not None:
            server.stop()


def _tail(log: Path) -> str:
    lines = [l for l in log.read_text(errors="replace").splitlines() if l.strip()]
    fatal = [l for l in lines if "Error" in l or "error" in l]
    return (fatal[0] if fatal else (lines[-1] if lines else "no output"))[:240]


def _scaling(report: Report, targets: dict[str, Target], settings: Settings, build_dir, work, raw_dir, log):
    scaling = Settings(**{**asdict(settings), "server_cpus": None, "wrk_cpus": None, "threads": 2,
                          "connections": 128})
    hello = BY_KEY["hello"]
    for key, target in targets.items():
        if target.max_workers < 2 or target.unavailable:
            continue
        for workers in (1, 2):
            log(f"bench: {target.label}, workers={workers} (scaling)")
            try:
                server = start(target, workers=workers, cpus=None, build_dir=build_dir, work=work / key)
            except RuntimeError as exc:
                report.scaling[(key, workers)] = RouteResult(key, "hello", unavailable=f"did not start: {exc}"[:300])
                continue
            try:
                time.sleep(0.5)  # several workers: let every one of them come up
                result = measure_route(server, hello, scaling, raw_dir, log, tag="scaling-")
                result.workers = workers
                report.scaling_memory[(key, workers)] = server.rss()
            except (RuntimeError, ValueError) as exc:
                result = RouteResult(key, "hello", workers=workers,
                                     unavailable=f"measurement failed: {str(exc).strip().splitlines()[-1][:200]}")
            finally:
                server.stop()
            report.scaling[(key, workers)] = result


def _install_line() -> str:
    """How long scripts/setup.sh took to install AstraAPI into this environment (it records it)."""
    import json

    record = Path(sys.prefix) / "astraapi-install.json"
    try:
        data = json.loads(record.read_text())
    except (OSError, ValueError):
        return f"Install: not recorded ({record} is written by scripts/setup.sh)"
    kind = "a fresh native build" if data.get("fresh_native_build") else "an incremental native build"
    return f"Install: scripts/setup.sh installed AstraAPI in {data['seconds']} s ({kind}, {data.get('python')})"


def _machine() -> list[str]:
    lines = []
    try:
        model = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    lines.append(f"Machine: {os.cpu_count()} CPUs ({model}), {mem / 1024 / 1024:.0f} GiB, "
                 f"{platform.system()} {platform.release()}, Python {platform.python_version()}")
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True) if shutil.which("nginx") else None
    tools = [(wrk.stdout or wrk.stderr).splitlines()[0].split(" [")[0] if (wrk.stdout or wrk.stderr) else "wrk"]
    if nginx is not None:
        tools.append(nginx.stderr.strip().replace("nginx version: ", ""))
    lines.append("Tools: " + ", ".join(tools))
    lines.append(_install_line())
    idle = procstat.sample_load(set(), 1.0)
    lines.append(f"Load when the bench started: {idle.describe()}")
    return lines
