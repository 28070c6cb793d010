"""The build folder's layout and manifest: what `astraapi build` writes (astraapi/compiler/build.py)
and compiled serving reads (astraapi/server/build_loader.py), so that neither imports the other.

The build folder (`.astraapi/build` under the current directory by default) holds
`generated/` (the C++ sources), `ir.json`, `serving_ir.jsonl`, `obj/`, `app_module.so`,
`openapi.json` and `manifest.json`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from astraapi.ir.nodes import AppIR

DEFAULT_BUILD_DIR = Path(".astraapi") / "build"
MANIFEST = "manifest.json"
MODULE_FILE = "app_module.so"
IR_FILE = "ir.json"
SERVING_IR_FILE = "serving_ir.jsonl"  # the IR as compiled start-up reads it (AppIR.to_serving_text)
OPENAPI_FILE = "openapi.json"


class StaleBuildError(Exception):
    """The build on disk does not match the app; the message says what to run."""


def runtime_abi_version() -> int:
    """The ABI of the runtime this AstraAPI loads app modules into (ASTRA_ABI_VERSION in abi.h)."""
    from astraapi import _runtime

    return _runtime.ABI_VERSION


def read_manifest(build_dir: Path) -> dict:
    path = Path(build_dir) / MANIFEST
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def file_digests(build_dir: Path, names: list[str]) -> dict[str, str]:
    return {name: sha256_file(build_dir / name) for name in names}


def rebuild_hint(app_ref: str | None) -> str:
    return f"run `astraapi build {app_ref or '<module:app>'}`"


def runtime_manifest(build_dir: Path, rebuild: str) -> dict:
    """The manifest of the build in `build_dir` when this runtime can load it (it exists and targets
    this ABI); StaleBuildError saying what to run otherwise."""
    manifest = read_manifest(build_dir)
    if not manifest:
        raise StaleBuildError(f"no compiled build in {build_dir}/: {rebuild} first")
    abi_version = runtime_abi_version()
    if manifest.get("abi_version") != abi_version:
        raise StaleBuildError(
            f"the build in {build_dir}/ targets runtime ABI {manifest.get('abi_version')}, "
            f"this AstraAPI has ABI {abi_version}: {rebuild}"
        )
    return manifest


def require_module(build_dir: Path, manifest: dict, rebuild: str) -> None:
    if not (build_dir / manifest["module"]).is_file():
        raise StaleBuildError(f"the build in {build_dir}/ has no {manifest['module']}: {rebuild}")


def verify_build(ir: AppIR, build_dir: Path) -> dict:
    """The manifest of a build that matches `ir`; StaleBuildError saying what to run otherwise."""
    build_dir = Path(build_dir)
    rebuild = rebuild_hint(ir.app_ref)
    manifest = runtime_manifest(build_dir, rebuild)
    if manifest.get("ir_hash") != ir.ir_hash():
        raise StaleBuildError(
            f"the build in {build_dir}/ is stale: it was made for IR hash {manifest.get('ir_hash')}, "
            f"the app now has IR hash {ir.ir_hash()}: {rebuild}"
        )
    require_module(build_dir, manifest, rebuild)
    return manifest
