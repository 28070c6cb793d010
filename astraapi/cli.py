"""The `astraapi` command: dev (dynamic mode, reload), build (compile), run (serve the build),
inspect (what was compiled and why not)."""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

from astraapi._version import __version__


def main(argv: list[str] | None = None) -> int:
    """The `astraapi` command, `python -m astraapi`: runs `cli_main`, as FastAPI's `fastapi.cli.main` runs the
    command line it finds (a missing one is an error that says so, not a silent no-op)."""
    if not cli_main:
        message = ("To use the fastapi command, please install AstraAPI with its command line "
                   "(astraapi.cli.cli_main is not available)")
        print(message)
        raise RuntimeError(message)
    return cli_main(argv)


def cli_main(argv: list[str] | None = None) -> int:
    """The command line itself (FastAPI's name for the one `main` runs)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.command(args)
    except KeyboardInterrupt:
        return 130
    except _UserError as exc:
        print(f"astraapi: error: {exc}", file=sys.stderr)
        return 2


class _UserError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="astraapi", description="AstraAPI: FastAPI-compatible, compiled to C++.")
    parser.add_argument("--version", action="version", version=f"astraapi {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    dev = commands.add_parser("dev", help="serve in dynamic mode (no compiler), reloading on changes")
    _app_argument(dev)
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument("--reload", action=argparse.BooleanOptionalAction, default=True,
                     help="restart when a Python file under the current directory changes (default: on)")
    dev.add_argument("--workers", type=int, default=1, help="worker processes (needs --no-reload; default: 1)")
    _server_arguments(dev)
    dev.set_defaults(command=_dev)

    build = commands.add_parser("build", help="compile the app's routes into a native app module")
    _app_argument(build)
    _build_dir_argument(build)
    build.add_argument("--check", action="store_true",
                       help="build nothing; exit 1 if the build on disk does not match the app (for CI)")
    build.add_argument("--force", action="store_true",
                       help="analyse and build even when the declarations' fingerprint and the build's files "
                            "are unchanged (for what the fingerprint cannot see: docs/compiled-mode.md)")
    build.add_argument("--jobs", "-j", type=int, default=max(1, os.cpu_count() or 1))
    build.add_argument("--debug", action="store_true", help="compile without optimisation, with debug info")
    build.set_defaults(command=_build)

    run = commands.add_parser("run", help="serve the compiled build of the app")
    _app_argument(run)
    run.add_argument("--host", default="0.0.0.0")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--workers", type=int, default=1)
    run.add_argument("--rebuild", action="store_true",
                     help="when the build is missing or stale, build it first (default: refuse to start)")
    _build_dir_argument(run)
    _server_arguments(run)
    run.set_defaults(command=_run)

    inspect = commands.add_parser("inspect", help="print the IR and what runs compiled or on the fallback path")
    _app_argument(inspect)
    _build_dir_argument(inspect)
    inspect.add_argument("--ir", action="store_true", help="print the whole IR as JSON")
    inspect.add_argument("--route", metavar="PATH", help="show the routes with this path and their generated code")
    inspect.add_argument("--model", metavar="NAME", help="show the generated serializer of this model (name or key)")
    inspect.set_defaults(command=_inspect)

    routes = commands.add_parser("routes", help="list the app's routes: method, path, name, where declared, "
                                                "response model, compiled or why not")
    _app_argument(routes)
    routes.add_argument("--json", action="store_true", help="print the rows as JSON (for tools)")
    routes.set_defaults(command=_routes)

    migrate = commands.add_parser("migrate", help="rewrite a FastAPI project's imports to AstraAPI (a codemod: "
                                                  "comments and formatting kept; prints a summary by default)")
    migrate.add_argument("path", type=Path, help="a Python file or a project folder")
    shown = migrate.add_mutually_exclusive_group()
    shown.add_argument("--diff", action="store_true", help="print the changes as a unified diff (writes nothing)")
    shown.add_argument("--write", action="store_true", help="rewrite the files in place")
    migrate.set_defaults(command=_migrate)
    return parser


def _server_arguments(parser: argparse.ArgumentParser) -> None:
    """Limits, timeouts, logging and proxy options (astraapi/server/config.py; uvicorn's names where it has them)."""
    from astraapi.server.config import ServerConfig

    d = ServerConfig()
    g = parser.add_argument_group("server limits and behaviour (docs/http-hardening.md)")
    g.add_argument("--max-header-size", type=int, default=d.max_header_size, metavar="BYTES",
                   help=f"request line + headers; larger: 431 (default: {d.max_header_size})")
    g.add_argument("--max-header-count", type=int, default=d.max_header_count, metavar="N",
                   help=f"header fields per request; more: 431 (default: {d.max_header_count})")
    g.add_argument("--max-body-size", type=int, default=d.max_body_size, metavar="BYTES",
                   help=f"request body; larger: 413 (default: {d.max_body_size})")
    g.add_argument("--header-timeout", type=float, default=d.header_timeout, metavar="SECONDS",
                   help=f"headers not complete this long after their first byte: 408, close (default: {d.header_timeout:g}; 0: none)")
    g.add_argument("--body-timeout", type=float, default=d.body_timeout, metavar="SECONDS",
                   help=f"no body byte for this long: 408, close (default: {d.body_timeout:g}; 0: none)")
    g.add_argument("--timeout-keep-alive", "--keep-alive-timeout", dest="keep_alive_timeout", type=float,
                   default=d.keep_alive_timeout, metavar="SECONDS",
                   help=f"close idle keep-alive connections after this long (default: {d.keep_alive_timeout:g})")
    g.add_argument("--max-connections", "--limit-concurrency", dest="max_connections", type=int,
                   default=d.max_connections, metavar="N",
                   help=f"per worker; beyond: 503 and close (default: {d.max_connections}; 0: no limit)")
    g.add_argument("--graceful-timeout", "--timeout-graceful-shutdown", dest="graceful_timeout", type=float,
                   default=d.graceful_timeout, metavar="SECONDS",
                   help=f"on SIGTERM/SIGINT, how long in-flight requests may take (default: {d.graceful_timeout:g})")
    g.add_argument("--body-min-rate", type=int, default=d.body_min_rate, metavar="BYTES_PER_SECOND",
                   help=f"a request body arriving slower than this on average: 408, close (default: {d.body_min_rate}; "
                        "0: no minimum)")
    g.add_argument("--body-min-rate-grace", type=float, default=d.body_min_rate_grace, metavar="SECONDS",
                   help=f"time after the headers before the minimum rate applies (default: {d.body_min_rate_grace:g})")
    g.add_argument("--gzip", action=argparse.BooleanOptionalAction, default=d.gzip,
                   help="compress responses natively for clients that accept gzip (RFC 9110 negotiation with "
                        "q-values; without GZipMiddleware) (default: off)")
    g.add_argument("--gzip-min-size", type=int, default=d.gzip_min_size, metavar="BYTES",
                   help=f"smaller bodies are not compressed (default: {d.gzip_min_size})")
    g.add_argument("--gzip-level", type=int, default=d.gzip_level, metavar="0-9",
                   help=f"compression level (default: {d.gzip_level})")
    g.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=d.access_log,
                   help="log each request as uvicorn does (default: off)")
    g.add_argument("--proxy-headers", action=argparse.BooleanOptionalAction, default=d.proxy_headers,
                   help="take the client address and scheme from X-Forwarded-For/-Proto sent by a trusted "
                        "peer (default: on, as uvicorn)")
    g.add_argument("--ws-max-size", type=int, default=d.ws_max_size, metavar="BYTES",
                   help=f"WebSocket message; larger: close 1009 (default: {d.ws_max_size})")
    g.add_argument("--ws-ping-interval", type=float, default=d.ws_ping_interval, metavar="SECONDS",
                   help=f"WebSocket keep-alive ping interval (default: {d.ws_ping_interval:g}; 0: none)")
    g.add_argument("--ws-ping-timeout", type=float, default=d.ws_ping_timeout, metavar="SECONDS",
                   help=f"no pong this long after a ping: close 1011 (default: {d.ws_ping_timeout:g})")
    g.add_argument("--forwarded-allow-ips", default=None, metavar="IPS",
                   help="comma-separated IPs/networks trusted for proxy headers, or '*' "
                        "(default: $FORWARDED_ALLOW_IPS or 127.0.0.1)")


_CONFIG_FIELDS = ("max_header_size", "max_header_count", "max_body_size", "header_timeout", "body_timeout",
                  "keep_alive_timeout", "max_connections", "graceful_timeout", "access_log", "proxy_headers",
                  "forwarded_allow_ips", "ws_max_size", "ws_ping_interval", "ws_ping_timeout", "body_min_rate",
                  "body_min_rate_grace", "gzip", "gzip_min_size", "gzip_level")


def _config(args):
    from astraapi.server.config import ServerConfig

    try:
        return ServerConfig(**{name: getattr(args, name) for name in _CONFIG_FIELDS})
    except ValueError as exc:
        raise _UserError(str(exc)) from None


def _app_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("app", help="the app as 'package.module:attribute' (attribute defaults to 'app')")


def _build_dir_argument(parser: argparse.ArgumentParser) -> None:
    from astraapi.ir.build_layout import DEFAULT_BUILD_DIR

    parser.add_argument("--build-dir", "--emit-dir", dest="build_dir", type=Path, default=DEFAULT_BUILD_DIR,
                        help=f"where the build goes (default: {DEFAULT_BUILD_DIR})")


def _load(ref: str):
    from astraapi.server.app_loader import AppLoadError, canonical_ref, import_app

    try:
        app = import_app(ref)
    except AppLoadError as exc:
        raise _UserError(str(exc)) from None
    ref = canonical_ref(ref)

    def make_ir():
        from astraapi.introspection.app import build_ir

        return build_ir(app, app_ref=ref, openapi=False)
    return app, ref, make_ir


def _check_path(ref: str) -> None:
    """An app given as a file (`main.py`, `src/main.py:api`) that does not exist: a usage error now (FastAPI's
    command says the same), not a reloading server waiting for it to appear."""
    target = ref.rsplit(":", 1)[0] if ref.count(":") and not ref.endswith(".py") else ref
    if (target.endswith(".py") or os.sep in target) and not Path(target).exists():
        raise _UserError(f"Path does not exist {target}")


def _dev(args) -> int:
    _check_path(args.app)
    config = _config(args)
    if args.workers != 1 and args.reload:
        raise _UserError("--workers needs --no-reload (reload runs one worker)")
    if args.reload:
        try:
            import watchfiles
        except ImportError:
            print("astraapi: watchfiles is not installed; serving without reload", file=sys.stderr)
        else:
            import tempfile

            from astraapi.cli_dev import FILES_ENV, AppFilesFilter

            handle, listing = tempfile.mkstemp(prefix="astraapi-dev-", suffix=".files")
            os.close(handle)
            os.unlink(listing)  # written by the server process once the app is imported
            os.environ[FILES_ENV] = listing
            try:
                return watchfiles.run_process(
                    Path.cwd(), target=_serve_dev, args=(args.app, args.host, args.port, config, 1, True),
                    watch_filter=AppFilesFilter(Path.cwd(), Path(listing)), callback=_announce_reload,
                ) and 0
            finally:
                Path(listing).unlink(missing_ok=True)
    return _serve_dev(args.app, args.host, args.port, config, args.workers, False)


def _announce_reload(changes) -> None:
    names = sorted({os.path.relpath(path) for _, path in changes})
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    print(f"astraapi dev: {shown} changed, reloading", file=sys.stderr, flush=True)


def _serve_dev(ref: str, host: str, port: int, config=None, workers: int = 1, reload: bool = False) -> int:
    """Serve in dynamic mode, with the banner; an error in the user's code (importing the app, its
    declarations) is printed with its file:line, and with reload the reloader waits for the next change."""
    from astraapi.cli_dev import banner, describe_user_error, forget_own_files, record_own_files
    from astraapi.server.serve import prepare, serve

    waiting = "; waiting for a change to reload" if reload else ""
    forget_own_files()  # until the app imports, any change under the project reloads
    try:
        app, ref, _ = _load(ref)
        target = prepare(app, mode="dynamic", host=host, port=port, app_ref=ref, config=config)
        record_own_files(Path.cwd())
    except _UserError as exc:
        print(f"astraapi dev: error: {exc}{waiting}", file=sys.stderr, flush=True)
        return 1
    except Exception as exc:  # the user's code failed: shown, not swallowed; the process ends with 1
        print(describe_user_error(exc, Path.cwd()) + (f"astraapi dev: {waiting[2:]}" if reload else ""),
              file=sys.stderr, flush=True)
        return 1
    print(banner(app, ref, host, port, reload=reload, workers=workers), flush=True)
    return serve(target, workers=workers)


def _build(args) -> int:
    from astraapi.ir.build_layout import StaleBuildError, verify_build

    started = time.perf_counter()
    _stage("introspect", args.app)
    app, ref, make_ir = _load(args.app)
    if args.check:
        ir = make_ir()
        try:
            manifest = verify_build(ir, args.build_dir)
        except StaleBuildError as exc:
            print(f"astraapi build --check: {exc}", file=sys.stderr)
            return 1
        from astraapi.compiler.build import changed_files

        altered = changed_files(Path(args.build_dir), manifest) if "files" in manifest else ""
        if altered:
            print(f"astraapi build --check: {altered}: run `astraapi build {ref}`", file=sys.stderr)
            return 1
        print(f"astraapi build --check: the build in {args.build_dir}/ matches {ref} (IR hash {ir.ir_hash()[:12]})")
        from astraapi.introspection import fingerprint
        from astraapi.ir.build_layout import read_manifest

        stored = read_manifest(args.build_dir).get("fingerprint")
        changed = fingerprint.differences(app, stored) if stored else ["the build has no fingerprint"]
        if changed:
            print(f"astraapi build --check: note: {'; '.join(changed)} since the build: `astraapi run` will analyse "
                  f"the app at start-up (slower); `astraapi build {ref}` (which compiles nothing) restores the "
                  "fast start")
        return 0
    if args.jobs < 1:
        raise _UserError("--jobs must be at least 1")
    from astraapi.compiler.build import BuildOptions, cached_build

    imported = time.perf_counter()
    report, why = (None, "--force") if args.force else cached_build(
        app, ref, BuildOptions(build_dir=args.build_dir, jobs=args.jobs, debug=args.debug))
    if report is not None:
        print("      declarations unchanged since the build (fingerprint) and its files verified: "
              "nothing to analyse, emit, compile or link", flush=True)
        report.stage_seconds = {"import": imported - started, **report.stage_seconds}
        _print_summary(ref, report, time.perf_counter() - started)
        return 0
    if why:
        print(f"      analysing the app: {why}", flush=True)
    ir = make_ir()
    _build_now(app, ref, ir, args.build_dir, jobs=args.jobs, debug=args.debug, started=started,
               introspect_seconds=time.perf_counter() - started)
    return 0


def _build_now(app, ref: str, ir, build_dir: Path, *, jobs: int, debug: bool, started: float | None = None,
               introspect_seconds: float | None = None):
    """Build (the stages print their progress), then print the summary."""
    from astraapi.compiler.build import BuildError, BuildOptions, build

    started = time.perf_counter() if started is None else started
    if jobs < 1:
        raise _UserError("--jobs must be at least 1")
    options = BuildOptions(build_dir=build_dir, jobs=jobs, debug=debug)
    try:
        report = build(ir, options, progress=_stage, app=app)
    except BuildError as exc:
        raise _UserError(str(exc)) from None
    if introspect_seconds is not None:  # importing and analysing the app
        report.stage_seconds = {"introspect": introspect_seconds, **report.stage_seconds}
    _print_summary(ref, report, time.perf_counter() - started)
    return report


def _print_summary(ref: str, report, seconds: float) -> None:
    stages = ", ".join(f"{name} {value:.2f}s" for name, value in report.stage_seconds.items())
    state = f"{ref} in {report.build_dir}/ is up to date" if report.cached else f"built {ref} into {report.build_dir}/"
    print(
        f"{state} in {seconds:.2f}s: "
        f"{report.route_count} routes ({report.routes_compiled} with a compiled serializer), "
        f"{report.objects_compiled} files compiled, module {report.module_size / 1024:.0f} KiB, "
        f"IR hash {report.ir_hash[:12]}"
    )
    print(f"  routes: {report.routes_compiled} with a compiled serializer, {report.decoders_compiled} with a "
          f"compiled request decoder, {len(report.route_fallbacks)} with a generic response path")
    print(f"  models: {report.model_count - len(report.model_fallbacks)} with a compiled serializer, "
          f"{len(report.model_fallbacks)} on the generic path; {report.body_decoders} with a body decoder")
    print(f"  output: {report.generated_size / 1024:.0f} KiB of C++ in {report.generated_files} files, "
          f"module {report.module_size / 1024:.0f} KiB; stages: {stages}")
    if report.route_indexes:
        from astraapi.compiler.coverage import coverage

        share = coverage(report.route_indexes, report.route_fallbacks, report.decoder_fallbacks or {})
        print(f"  {share.lines()[0]}")
    _print_fallback_summary(report.route_labels, report.route_fallbacks, report.model_fallbacks)
    _print_decoder_summary(report.decoder_labels, report.decoder_fallbacks or {})


_STAGES = ("introspect", "check", "emit", "compile", "link")


def _stage(stage: str, detail: str) -> None:
    if stage == "compiled":  # one file compiled: a counter, updated in place on a terminal
        if sys.stdout.isatty():
            end = "\n" if detail.partition("/")[0] == detail.partition("/")[2] else ""
            print(f"\r      compiled {detail}", end=end, flush=True)
        return
    number = _STAGES.index(stage) + 1 if stage in _STAGES else 0
    print(f"[{number}/{len(_STAGES)}] {stage:<10} {detail}", flush=True)


def _print_fallback_summary(route_labels: dict, route_fallbacks: dict, model_fallbacks: dict,
                            examples: int = 3) -> None:
    """The generic-path routes and models grouped by reason, a few examples each
    (`astraapi inspect` lists every one)."""
    by_reason: dict[tuple[str, str], list[str]] = {}
    for index, why in sorted((int(i), w) for i, w in route_fallbacks.items()):
        by_reason.setdefault(("route", why), []).append(route_labels[index])
    for key, why in sorted(model_fallbacks.items()):
        by_reason.setdefault(("model", why), []).append(key)
    for (kind, why), names in by_reason.items():
        shown = ", ".join(names[:examples]) + (f", and {len(names) - examples} more" if len(names) > examples else "")
        print(f"  generic path: {len(names)} {kind}{'s' if len(names) != 1 else ''}, {why}: {shown}")
    if any(len(names) > examples for names in by_reason.values()):
        print("  (astraapi inspect lists every route and model)")


_PARAMETER_LABEL = re.compile(r"^(?:body )?parameter '([^']*)': ")


def _print_decoder_summary(labels: dict[int, str], decoder_fallbacks: dict, examples: int = 3) -> None:
    """The routes with parameters but no request decoder (`labels`: "GET /path" of each), grouped by
    reason (the parameter's name moved into the example), a few examples each."""
    by_reason: dict[str, list[str]] = {}
    for index, why in sorted((int(i), w) for i, w in decoder_fallbacks.items()):
        if index not in labels:  # a mount, or a route without parameters
            continue
        match = _PARAMETER_LABEL.match(why)
        where = labels[index] + (f" ({match.group(1)})" if match else "")
        why = why[match.end():] if match else why
        why = re.sub(r" \([^()]*\) is checked", " is checked", why)  # a constraint's value: in inspect
        by_reason.setdefault(why, []).append(where)
    for why, names in by_reason.items():
        shown = ", ".join(names[:examples]) + (f", and {len(names) - examples} more" if len(names) > examples else "")
        print(f"  request decoder on the generic path: {len(names)} route{'s' if len(names) != 1 else ''}, "
              f"{why}: {shown}")


def _print_fallbacks(ir, route_fallbacks: dict, model_fallbacks: dict) -> None:
    from astraapi.compiler.build import route_label

    routes = {route.index: route for route in ir.routes}
    for index, why in sorted((int(i), w) for i, w in route_fallbacks.items()):
        print(f"  generic path: {route_label(routes[index])}: {why}")
    for key, why in sorted(model_fallbacks.items()):
        print(f"  generic path: model {key}: {why}")


def _run(args) -> int:
    from astraapi.ir.build_layout import StaleBuildError
    from astraapi.server.serve import prepare, serve

    from astraapi.server.serve import _configure_logging

    app, ref, make_ir = _load(args.app)
    config = _config(args)
    _configure_logging(config)  # start-up warnings (a build checked by analysis) are formatted as the server's
    try:
        target = prepare(app, mode="compiled", host=args.host, port=args.port, app_ref=ref,
                         build_dir=args.build_dir, config=config)
    except (StaleBuildError, ImportError) as exc:
        if not args.rebuild:
            raise _UserError(str(exc)) from None
        print(f"astraapi run: {exc}; building it (--rebuild)", file=sys.stderr)
        _build_now(app, ref, make_ir(), args.build_dir, jobs=max(1, os.cpu_count() or 1), debug=False)
        try:
            target = prepare(app, mode="compiled", host=args.host, port=args.port, app_ref=ref,
                             build_dir=args.build_dir, config=config)
        except (StaleBuildError, ImportError) as again:
            raise _UserError(str(again)) from None
    return serve(target, workers=args.workers)


def _direct_call(app, ir, index: int, decoded_routes: set[int]) -> tuple[str | None, bool]:
    """What compiled mode's executor decides for route `index` (astraapi/engine/direct.py): why the
    server does not call the endpoint (None: it does), and whether the endpoint then runs as a task."""
    from astraapi.engine.direct import direct_refusal
    from astraapi.engine.executor import Executor
    from astraapi.engine.route_plan import RoutePlan
    from astraapi.server.serve import app_handler, with_middleware

    decoders = {i: (lambda *request: None) for i in decoded_routes}  # stand-ins: only their presence counts
    executor = Executor(app, ir, compiled_decoders=decoders, lazy=True)
    plan = executor._first_request_plan(index)
    if plan.__class__ is not RoutePlan:
        return "a mount (its own app or files answer)", False
    if app_handler(executor, ir, app) != executor.handle:
        from astraapi.middleware.stack import describe

        if describe(app):
            return "Python middleware wraps every request (see \"Python middleware\" above)", False
        if with_middleware(executor.handle, ir, app) != executor.handle:
            return "Python middleware (CORS, GZip, TrustedHost or HTTPSRedirect) wraps every request", False
        return "the telemetry layer (FastAPI(telemetry=...) or a configured OpenTelemetry provider) wraps every request", False
    if not executor.dispatcher.only_defaults:
        return "the app has exception handlers of its own, or debug=True", False
    return direct_refusal(plan, inline_sync=executor.inline_sync), plan.is_async and not plan.inline_async


def _routes(args) -> int:
    from astraapi.cli_routes import route_rows, to_json, to_table

    app, ref, _ = _load(args.app)
    rows = route_rows(app, ref)
    print(to_json(rows) if args.json else to_table(rows))
    return 0


def _migrate(args) -> int:
    from astraapi.migrate import run

    return run(args.path, mode="diff" if args.diff else "write" if args.write else "summary", out=sys.stdout)
def _python_middleware_lines(app, route) -> list[str]:
    """What `astraapi inspect --route` says about the Python middleware a route runs through."""
    from astraapi.middleware.stack import describe

    names = describe(app)
    if not names:
        return ["Python middleware: none (the route keeps the direct call and native paths where it qualifies)"]
    costs = ["no direct call (every request goes through the handler)",
             "404, 405 and trailing-slash redirects reach the middleware too (the handler answers them)"]
    if any(name.endswith("(call_next)") for name in names):
        costs.append("call_next: a Request and a response object per request and middleware; no ASGI messages; "
                     "a task only when something below suspends")
    if any(name.endswith("(ASGI)") for name in names):
        costs.append("ASGI: a scope dict and the http.response.start/body messages per request and middleware")
    costs.append("no native file body: a FileResponse or StaticFiles answer is read in Python and passed through "
                 "the middleware in pieces, not sent with sendfile(2)")
    if route.mount is not None:
        costs.append("a mount: the middleware wraps what the mounted app answers")
    return [f"Python middleware (outermost first): {', '.join(names)}", *(f"  cost: {c}" for c in costs)]


def _inspect(args) -> int:
    from astraapi.ir.build_layout import read_manifest
    from astraapi.compiler.codegen.emit import emit_app_module

    app, ref, make_ir = _load(args.app)
    ir = make_ir()
    if args.ir:
        print(ir.to_json())
        return 0
    emitted = emit_app_module(ir)
    manifest = read_manifest(args.build_dir)
    state = "matches" if manifest.get("ir_hash") == ir.ir_hash() else "missing or stale"
    print(f"{ref}: IR hash {ir.ir_hash()}, {len(ir.routes)} routes, {len(ir.models)} models; "
          f"build in {args.build_dir}/ {state}")
    routes = [route for route in ir.routes if args.route in (None, route.path)]
    if args.route and not routes:
        raise _UserError(f"no route has the path {args.route!r}")
    from astraapi.middleware.stack import describe

    through = describe(app)
    for route in routes:
        compiled = route.index in emitted.serializer_routes
        print(f"  {'compiled' if compiled else 'generic '}  {'ANY' if route.mount in ('static', 'app', 'asgi', 'frontend') else '/'.join(route.methods):<7} {route.path}  "
              f"({route.source.file}:{route.source.line} {route.name})")
        if through and not args.route:  # every route runs through them (costs: --route PATH)
            print(f"    through Python middleware: {', '.join(through)}; no direct call")
        if args.route:
            if compiled:
                print(f"    response serializer: {emitted.route_functions[route.index]}")
            else:
                print(f"    generic path: {emitted.route_fallbacks[route.index]}")
            if route.index in emitted.decoder_routes:
                print(f"    request decoder: decode_route_{route.index} (generated/decoders.cpp)")
                for line in emitted.decoder_params.get(route.index, ()):
                    print(f"      {line}")
            else:
                print(f"    request decoder: generic path: {emitted.decoder_fallbacks.get(route.index)}")
            for line in _python_middleware_lines(app, route):
                print(f"    {line}")
            refusal, as_task = _direct_call(app, ir, route.index, set(emitted.decoder_routes))
            if refusal is not None:
                print(f"    direct call: no: {refusal}")
            elif as_task:
                print("    direct call: yes (the server creates the coroutine; a task runs it)")
            else:
                print("    direct call: yes (the server calls the endpoint itself)")
    if args.model:
        matches = [m for m in ir.models if args.model in (m.name, m.key)]
        if not matches:
            raise _UserError(f"no model is named {args.model!r}")
        for model in matches:
            if model.key in emitted.model_files:
                print(f"\n--- {model.key}: generated/{emitted.model_files[model.key]} ---")
                print(emitted.files[emitted.model_files[model.key]])
            else:
                print(f"\n--- {model.key}: generic path: {emitted.model_fallbacks.get(model.key)}")
            if model.key in emitted.body_decoder_files:
                print(f"\n--- {model.key} body decoder: generated/{emitted.body_decoder_files[model.key]} ---")
                print(emitted.files[emitted.body_decoder_files[model.key]])
            elif model.key in emitted.body_decoder_fallbacks:
                print(f"\n--- {model.key} body decoder: generic path: {emitted.body_decoder_fallbacks[model.key]}")
    if not args.route and not args.model:
        _print_fallbacks(ir, emitted.route_fallbacks, emitted.model_fallbacks)
        from astraapi.compiler.coverage import coverage

        share = coverage([route.index for route in ir.routes], emitted.route_fallbacks, emitted.decoder_fallbacks)
        for line in share.lines():
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
