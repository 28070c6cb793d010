"""`astraapi build`: introspect -> check -> emit -> compile -> link, with a cache at each step.

The build folder (`.astraapi/build` under the current directory by default) holds
`generated/` (the C++ sources, rewritten only when their content changes), `ir.json`,
`obj/` (objects keyed by the hash of what they were compiled from, so an unchanged file
is never recompiled), `app_module.so` and `manifest.json`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from astraapi.compiler.codegen.abi_registry import ABI_VERSION
from astraapi.compiler.paths import include_dir
from astraapi.ir.build_layout import (
    DEFAULT_BUILD_DIR,
    IR_FILE,
    MANIFEST,
    MODULE_FILE,
    OPENAPI_FILE,
    SERVING_IR_FILE,
    file_digests,
    read_manifest,
    sha256_file,
)
from astraapi.ir.nodes import AppIR




class BuildError(Exception):
    """A build that cannot complete; the message says which route or file and why."""


@dataclass
class BuildOptions:
    build_dir: Path = DEFAULT_BUILD_DIR
    jobs: int = max(1, os.cpu_count() or 1)
    debug: bool = False
    compiler: str = field(default_factory=lambda: os.environ.get("CXX", "c++"))


@dataclass
class BuildReport:
    ir_hash: str
    build_dir: Path
    routes_compiled: int
    route_count: int
    route_fallbacks: dict[int, str]
    model_fallbacks: dict[str, str]
    files_written: int
    objects_compiled: int
    linked: bool
    seconds: float
    module_size: int
    stage_seconds: dict[str, float]
    decoders_compiled: int = 0
    body_decoders: int = 0  # models with a generated body decoder
    generated_files: int = 0
    generated_size: int = 0  # bytes of generated C++
    decoder_fallbacks: dict[int, str] | None = None  # route index -> why it has no request decoder
    model_count: int = 0
    route_labels: dict[int, str] = field(default_factory=dict)  # "GET /path (name)" of the generic-path routes
    # "GET /path" of the routes with parameters but no request decoder (the summary groups them by reason)
    decoder_labels: dict[int, str] = field(default_factory=dict)
    cached: bool = False  # nothing to do: the declarations' fingerprint and the build's files are unchanged
    route_indexes: tuple[int, ...] = ()  # every route's index (for the compiled share)


def _progress_none(stage: str, detail: str) -> None:
    pass


def check_ir(ir: AppIR) -> None:
    """Every problem the compiler can see in the IR, reported together."""
    from astraapi.ir.trie import RoutePathError, parse_route_path

    problems = []
    for route in ir.routes:
        try:
            parse_route_path(route)
        except RoutePathError as exc:
            where = f"{route.source.file}:{route.source.line}: "
            message = str(exc)
            problems.append(message if message.startswith(where) else f"{where}route {route.name!r}: {message}")
    if problems:
        raise BuildError("the app cannot be compiled:\n" + "\n".join(f"  {p}" for p in problems))


def build(
    ir: AppIR,
    options: BuildOptions,
    progress: Callable[[str, str], None] = _progress_none,
    app: Any = None,
) -> BuildReport:
    """Build the app module of `ir`. With `app` (the live app `ir` was made from), also store
    what compiled mode needs to start without analysing the app: the declarations' fingerprint
    and the OpenAPI document (see `load_startup`)."""
    from astraapi.compiler.codegen.emit import GENERATOR, emit_app_module  # jinja2: only when building

    started = time.perf_counter()
    stages: dict[str, float] = {}
    build_dir = Path(options.build_dir)
    generated_dir = build_dir / "generated"
    object_dir = build_dir / "obj"
    generated_dir.mkdir(parents=True, exist_ok=True)
    object_dir.mkdir(parents=True, exist_ok=True)

    mark = time.perf_counter()
    progress("check", f"{_count(len(ir.routes), 'route')}, {_count(len(ir.models), 'model')}")
    check_ir(ir)
    stages["check"] = time.perf_counter() - mark

    mark = time.perf_counter()
    emitted = emit_app_module(ir)
    written = sources_written = _write_tree(generated_dir, emitted.files)
    ir_text = json.dumps(json.loads(ir.to_json()), indent=2, ensure_ascii=False) + "\n"
    written += _write_if_changed(build_dir / IR_FILE, ir_text)
    serving_text = ir.to_serving_text()
    written += _write_if_changed(build_dir / SERVING_IR_FILE, serving_text)
    startup = _startup_data(app, build_dir) if app is not None else {}
    stages["emit"] = time.perf_counter() - mark
    progress("emit", f"{_count(len(emitted.files), 'file')} of C++, {sources_written} rewritten")

    mark = time.perf_counter()
    flags = [*_compile_flags(options), f"-I{generated_dir.resolve()}"]
    sources = sorted(path for path in emitted.files if path.endswith(".cpp"))
    # An object depends on its source, the generated header and the runtime's public headers.
    header_text = _code_only(emitted.files["app_module.h"]) + _runtime_headers_digest()
    jobs, objects = [], []
    for source in sources:
        key = hashlib.sha256(
            "\0".join([options.compiler, *flags, _code_only(emitted.files[source]), header_text]).encode()
        ).hexdigest()[:20]
        obj = object_dir / f"{Path(source).stem}-{key}.o"
        objects.append(obj)
        if not obj.exists():
            jobs.append((generated_dir / source, obj))
    progress("compile", f"{len(jobs)} of {len(sources)} files to compile")
    failures = []
    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        futures = [pool.submit(_compile, options.compiler, flags, *job) for job in jobs]
        for done, future in enumerate(as_completed(futures), 1):
            failure = future.result()
            if failure:
                failures.append(failure)
            progress("compiled", f"{done}/{len(jobs)}")
    if failures:
        raise BuildError("compiling the generated code failed:\n" + "\n".join(failures))
    stages["compile"] = time.perf_counter() - mark

    mark = time.perf_counter()
    module_path = build_dir / MODULE_FILE
    link_key = hashlib.sha256("\0".join(str(o) for o in objects).encode()).hexdigest()
    previous = read_manifest(build_dir)
    linked = False
    if (not module_path.exists() or previous.get("link_key") != link_key
            or sha256_file(module_path) != previous.get("files", {}).get(MODULE_FILE)):  # damaged, or older
        temporary = module_path.with_suffix(".so.tmp")
        command = [options.compiler, "-shared", "-o", str(temporary), *map(str, objects)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise BuildError(f"linking {module_path} failed:\n$ {shlex.join(command)}\n{done.stderr}")
        os.replace(temporary, module_path)
        linked = True
    stages["link"] = time.perf_counter() - mark
    progress("link", "linked" if linked else "up to date")
    _prune_objects(object_dir, keep=set(objects))

    manifest = {
        "generator": GENERATOR,
        "abi_version": ABI_VERSION,
        "app_ref": ir.app_ref,
        "ir_hash": ir.ir_hash(),
        "module": MODULE_FILE,
        "link_key": link_key,
        "serializers": {str(index): sid for index, sid in emitted.serializer_routes.items()},
        "route_fallbacks": {str(index): why for index, why in emitted.route_fallbacks.items()},
        "encoders": emitted.encoder_routes,
        "encoder_fallbacks": {str(index): why for index, why in emitted.encoder_fallbacks.items()},
        "decoders": {str(index): did for index, did in emitted.decoder_routes.items()},
        "decoder_fallbacks": {str(index): why for index, why in emitted.decoder_fallbacks.items()},
        "model_fallbacks": emitted.model_fallbacks,
        "body_decoder_fallbacks": emitted.body_decoder_fallbacks,
        "ir_sha256": hashlib.sha256(ir_text.encode("utf-8")).hexdigest(),
        "serving_ir": SERVING_IR_FILE,
        "serving_ir_sha256": hashlib.sha256(serving_text.encode("utf-8")).hexdigest(),
        **startup,
        # For an unchanged rebuild (`cached_build`): what the build depends on besides the app, the
        # digest of every file it wrote, and its summary.
        "inputs_key": inputs_key(options),
        "files": file_digests(build_dir, [f"generated/{name}" for name in sorted(emitted.files)]
                               + [MODULE_FILE] + ([OPENAPI_FILE] if startup.get("openapi") else [])),
        "summary": {
            "routes": len(ir.routes),
            "models": len(ir.models),
            "body_decoders": len(emitted.body_decoder_files),
            "generated_files": len(emitted.files),
            "generated_size": sum(len(text.encode("utf-8")) for text in emitted.files.values()),
            "route_labels": {str(route.index): route_label(route) for route in ir.routes
                             if route.index in emitted.route_fallbacks},
            "decoder_labels": {str(route.index): f"{'/'.join(route.methods)} {route.path}" for route in ir.routes
                               if route.mount is None
                               and emitted.decoder_fallbacks.get(route.index, "no parameters to decode")
                               != "no parameters to decode"},
        },
    }
    _write_if_changed(build_dir / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return BuildReport(
        ir_hash=ir.ir_hash(),
        build_dir=build_dir,
        routes_compiled=len(emitted.serializer_routes),
        route_count=len(ir.routes),
        route_fallbacks=emitted.route_fallbacks,
        model_fallbacks=emitted.model_fallbacks,
        files_written=written,
        objects_compiled=len(jobs),
        linked=linked,
        seconds=time.perf_counter() - started,
        module_size=module_path.stat().st_size,
        stage_seconds=stages,
        decoders_compiled=len(emitted.decoder_routes),
        body_decoders=len(emitted.body_decoder_files),
        generated_files=len(emitted.files),
        generated_size=manifest["summary"]["generated_size"],
        decoder_fallbacks=emitted.decoder_fallbacks,
        model_count=len(ir.models),
        route_labels={int(index): label for index, label in manifest["summary"]["route_labels"].items()},
        decoder_labels={int(index): label for index, label in manifest["summary"]["decoder_labels"].items()},
        route_indexes=tuple(route.index for route in ir.routes),
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def route_label(route: Any) -> str:
    """How the build's summary and `astraapi inspect` name a route: `GET /items/{id} (read_item)`."""
    methods = "ANY" if route.mount in ("static", "app", "asgi", "frontend") else "/".join(route.methods)
    return f"{methods} {route.path} ({route.name})"


def cached_build(app: Any, app_ref: str, options: BuildOptions) -> tuple[BuildReport | None, str]:
    """The build in `options.build_dir` when building `app` again would change nothing: the manifest
    was made for this app reference by this AstraAPI (its compiler, templates, runtime headers) with
    the same compiler command and flags, the declarations' fingerprint is unchanged (so the IR is, see
    fingerprint.py), and every file the build wrote (generated sources, ir.json, the module, the
    OpenAPI document) is on disk with the digest the manifest names. Then (report, "") without
    analysing, emitting, compiling or linking anything; otherwise (None, why not)."""
    from astraapi.introspection import fingerprint

    started = time.perf_counter()
    build_dir = Path(options.build_dir)
    manifest = read_manifest(build_dir)
    if not manifest:
        return None, f"no build in {build_dir}/"
    if manifest.get("abi_version") != ABI_VERSION or "summary" not in manifest or "fingerprint" not in manifest:
        return None, "the build was made by another AstraAPI"
    if manifest.get("app_ref") != app_ref:
        return None, f"the build was made for {manifest.get('app_ref')}"
    if manifest.get("inputs_key") != inputs_key(options):
        return None, "the compiler, its flags or AstraAPI's code generator changed"
    changed = fingerprint.differences(app, manifest["fingerprint"])
    if changed:
        return None, "; ".join(changed)
    altered = changed_files(build_dir, manifest)
    if altered:
        return None, altered
    summary = manifest["summary"]
    module_size = (build_dir / manifest["module"]).stat().st_size
    return BuildReport(
        ir_hash=manifest["ir_hash"],
        build_dir=build_dir,
        routes_compiled=len(manifest["serializers"]),
        route_count=summary["routes"],
        route_fallbacks={int(index): why for index, why in manifest["route_fallbacks"].items()},
        model_fallbacks=manifest["model_fallbacks"],
        files_written=0,
        objects_compiled=0,
        linked=False,
        seconds=time.perf_counter() - started,
        module_size=module_size,
        stage_seconds={"verify": time.perf_counter() - started},
        decoders_compiled=len(manifest.get("decoders", {})),
        body_decoders=summary["body_decoders"],
        generated_files=summary["generated_files"],
        generated_size=summary["generated_size"],
        decoder_fallbacks={int(index): why for index, why in manifest["decoder_fallbacks"].items()},
        model_count=summary["models"],
        route_labels={int(index): label for index, label in summary["route_labels"].items()},
        decoder_labels={int(index): label for index, label in summary.get("decoder_labels", {}).items()},
        route_indexes=tuple(range(summary["routes"])),
        cached=True,
    ), ""


def changed_files(build_dir: Path, manifest: dict) -> str:
    """Which file of the build is missing or not the one the build wrote ("" when all are)."""
    expected = dict(manifest.get("files", {}))
    expected[IR_FILE] = manifest.get("ir_sha256")
    if "serving_ir" in manifest:
        expected[manifest["serving_ir"]] = manifest.get("serving_ir_sha256")
    for name, digest in expected.items():
        try:
            actual = sha256_file(build_dir / name)
        except OSError:
            return f"{build_dir / name} is missing"
        if actual != digest:
            return f"{build_dir / name} is not the one the build wrote"
    return ""


def inputs_key(options: BuildOptions) -> str:
    """A digest of what a build depends on besides the app: the compiler command and flags, and
    AstraAPI's own files that shape the IR and the generated code (its Python package, the
    templates, the runtime's public headers), by content, so that an edited AstraAPI (an editable
    install) is not taken for the one that made the build."""
    from astraapi.compiler.paths import templates_dir

    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256("\0".join([options.compiler, *_compile_flags(options), str(ABI_VERSION)]).encode())
    for root, pattern in ((package, "*.py"), (templates_dir(), "*.j2"), (include_dir() / "astraapi", "*.h")):
        for path in sorted(root.rglob(pattern)):
            digest.update(b"\0" + str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _startup_data(app: Any, build_dir: Path) -> dict[str, Any]:
    """The manifest's start-up part: the declarations' fingerprint and the OpenAPI document."""
    from astraapi.introspection import fingerprint

    data: dict[str, Any] = {"fingerprint": fingerprint.take(app).to_json(), "openapi": None}
    document_path = build_dir / OPENAPI_FILE
    if app.openapi_url and _default_openapi(app):
        try:
            text = json.dumps(app.openapi(), ensure_ascii=False, allow_nan=False)
        except Exception as exc:  # noqa: BLE001 - recorded: compiled mode then makes it on request, and fails the same way
            data["openapi_error"] = f"{type(exc).__name__}: {exc}"
        else:
            _write_if_changed(document_path, text)
            data["openapi"] = OPENAPI_FILE
    if data["openapi"] is None and document_path.exists():
        document_path.unlink()
    return data


def _default_openapi(app: Any) -> bool:
    """The app makes its document with AstraAPI's own `openapi()` (not a replacement)."""
    from astraapi.applications import AstraAPI

    return "openapi" not in vars(app) and getattr(type(app), "openapi", None) is AstraAPI.openapi


def _compile_flags(options: BuildOptions) -> list[str]:
    optimisation = ["-O0", "-g"] if options.debug else ["-O2"]
    return [
        "-std=c++20",
        *optimisation,
        "-fPIC",
        "-fvisibility=hidden",
        "-Wall",
        "-Wno-unused-function",
        f"-I{include_dir()}",
    ]


def _compile(compiler: str, flags: list[str], source: Path, obj: Path) -> str | None:
    temporary = obj.with_suffix(".o.tmp")
    command = [compiler, *flags, "-c", str(source), "-o", str(temporary)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        return f"{source}:\n$ {shlex.join(command)}\n{done.stderr}"
    os.replace(temporary, obj)
    return None


def _runtime_headers_digest() -> str:
    digest = hashlib.sha256()
    for header in sorted((include_dir() / "astraapi").glob("*.h")):
        digest.update(header.name.encode() + b"\0" + header.read_bytes())
    return digest.hexdigest()


def _code_only(text: str) -> str:
    """The text without its leading // comment lines (the DO-NOT-EDIT line names the IR hash,
    the next names source lines): what an object file actually depends on."""
    lines = text.split("\n")
    while lines and lines[0].startswith("//"):
        lines.pop(0)
    return "\n".join(lines)


def _write_if_changed(path: Path, content: str) -> int:
    if path.exists() and path.read_text(encoding="utf-8") == content:
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(content, encoding="utf-8")
    os.replace(temporary, path)
    return 1


def _write_tree(root: Path, files: dict[str, str]) -> int:
    written = sum(_write_if_changed(root / name, content) for name, content in files.items())
    wanted = {root / name for name in files}
    for stale in [p for p in root.rglob("*") if p.is_file() and p not in wanted]:
        stale.unlink()
    return written


def _prune_objects(object_dir: Path, keep: set[Path]) -> None:
    for obj in object_dir.glob("*.o"):
        if obj not in keep:
            obj.unlink()
