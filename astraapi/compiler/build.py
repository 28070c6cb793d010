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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable

from astraapi.compiler.codegen.abi_registry import ABI_VERSION
from astraapi.compiler.codegen.emit import GENERATOR, emit_app_module
from astraapi.compiler.ir import AppIR
from astraapi.compiler.paths import include_dir
from astraapi.compiler.trie import RoutePathError, parse_route_path

DEFAULT_BUILD_DIR = Path(".astraapi") / "build"
MANIFEST = "manifest.json"
MODULE_FILE = "app_module.so"


class BuildError(Exception):
    """A build that cannot complete; the message says which route or file and why."""


class StaleBuildError(Exception):
    """The build on disk does not match the app; the message says what to run."""


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


def _progress_none(stage: str, detail: str) -> None:
    pass


def check_ir(ir: AppIR) -> None:
    """Every problem the compiler can see in the IR, reported together."""
    problems = []
    for route in ir.routes:
        try:
            parse_route_path(route)
        except RoutePathError as exc:
            problems.append(str(exc))
    if problems:
        raise BuildError("the app cannot be compiled:\n" + "\n".join(f"  {p}" for p in problems))


def build(
    ir: AppIR,
    options: BuildOptions,
    progress: Callable[[str, str], None] = _progress_none,
) -> BuildReport:
    started = time.perf_counter()
    stages: dict[str, float] = {}
    build_dir = Path(options.build_dir)
    generated_dir = build_dir / "generated"
    object_dir = build_dir / "obj"
    generated_dir.mkdir(parents=True, exist_ok=True)
    object_dir.mkdir(parents=True, exist_ok=True)

    mark = time.perf_counter()
    progress("check", f"{len(ir.routes)} routes, {len(ir.models)} models")
    check_ir(ir)
    stages["check"] = time.perf_counter() - mark

    mark = time.perf_counter()
    emitted = emit_app_module(ir)
    written = _write_tree(generated_dir, emitted.files)
    written += _write_if_changed(build_dir / "ir.json", json.dumps(json.loads(ir.to_json()), indent=2, ensure_ascii=False) + "\n")
    stages["emit"] = time.perf_counter() - mark
    progress("emit", f"{len(emitted.files)} files, {written} rewritten")

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
    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        failures = [f for f in pool.map(lambda job: _compile(options.compiler, flags, *job), jobs) if f]
    if failures:
        raise BuildError("compiling the generated code failed:\n" + "\n".join(failures))
    stages["compile"] = time.perf_counter() - mark

    mark = time.perf_counter()
    module_path = build_dir / MODULE_FILE
    link_key = hashlib.sha256("\0".join(str(o) for o in objects).encode()).hexdigest()
    previous = read_manifest(build_dir)
    linked = False
    if not module_path.exists() or previous.get("link_key") != link_key:
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
    )


def verify_build(ir: AppIR, build_dir: Path) -> dict:
    """The manifest of a build that matches `ir`; StaleBuildError saying what to run otherwise."""
    build_dir = Path(build_dir)
    rebuild = f"run `astraapi build {ir.app_ref or '<module:app>'}`"
    manifest = read_manifest(build_dir)
    if not manifest:
        raise StaleBuildError(f"no compiled build in {build_dir}/: {rebuild} first")
    if manifest.get("abi_version") != ABI_VERSION:
        raise StaleBuildError(
            f"the build in {build_dir}/ targets runtime ABI {manifest.get('abi_version')}, "
            f"this AstraAPI has ABI {ABI_VERSION}: {rebuild}"
        )
    if manifest.get("ir_hash") != ir.ir_hash():
        raise StaleBuildError(
            f"the build in {build_dir}/ is stale: it was made for IR hash {manifest.get('ir_hash')}, "
            f"the app now has IR hash {ir.ir_hash()}: {rebuild}"
        )
    if not (build_dir / manifest["module"]).is_file():
        raise StaleBuildError(f"the build in {build_dir}/ has no {manifest['module']}: {rebuild}")
    return manifest


@dataclass(frozen=True)
class LoadedBuild:
    module: object  # _runtime.AppModule
    serializers: dict  # route index -> callable(validated value) -> bytes | None
    decoders: dict  # route index -> callable(query_string, path_params) -> dict | None
    encoders: dict  # route index -> callable(raw return value) -> bytes | None


def load_build(ir: AppIR, build_dir: Path) -> LoadedBuild:
    """The compiled module of a build matching `ir`, with its per-route entry points."""
    from astraapi import _runtime

    manifest = verify_build(ir, build_dir)
    module = _runtime.load_app_module(str(Path(build_dir) / manifest["module"]), ir.ir_hash())
    serializers = {int(index): partial(module.serialize, sid) for index, sid in manifest["serializers"].items()}
    decoders = {int(index): partial(module.decode, did) for index, did in manifest.get("decoders", {}).items()}
    encoders = {index: partial(module.encode, manifest["serializers"][str(index)])
                for index in manifest.get("encoders", [])}
    return LoadedBuild(module=module, serializers=serializers, decoders=decoders, encoders=encoders)


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


def read_manifest(build_dir: Path) -> dict:
    path = Path(build_dir) / MANIFEST
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))
