"""Loading a build for serving: compiled start-up (`load_startup`: the build's serving IR and app
module, checked against the app by its declarations' fingerprint) and `load_build` (a build's module
with its per-route entry points). Reads what `astraapi build` wrote (astraapi/ir/build_layout.py);
imports nothing of the code generator (astraapi.compiler)."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from astraapi.ir.build_layout import (
    IR_FILE,
    StaleBuildError,
    read_manifest,
    rebuild_hint,
    require_module,
    runtime_manifest,
    verify_build,
)
from astraapi.ir.nodes import AppIR

logger = logging.getLogger("astraapi.server")


@dataclass(frozen=True)
class StartupBuild:
    """What compiled mode starts from: the build's serving IR and module, without analysing the app."""

    ir: AppIR
    loaded: LoadedBuild
    openapi_path: Path | None  # the OpenAPI document made at build time (None: made on first request)
    analysed: bool = False  # the fingerprint differed, the app was analysed (its IR matched the build's)


def load_startup(app: Any, build_dir: Path, app_ref: str | None = None) -> StartupBuild:
    """The build in `build_dir`, checked against `app` by its declarations' fingerprint (see
    astraapi/introspection/fingerprint.py) instead of by analysing the app. When the fingerprint
    differs, the app is analysed and its IR hash decides (as `build --check`): the same, it starts
    (more slowly, with a warning); different, StaleBuildError naming what changed and what to run."""
    from astraapi import _runtime
    from astraapi.introspection import fingerprint

    build_dir = Path(build_dir)
    ref = app_ref or read_manifest(build_dir).get("app_ref")
    rebuild = rebuild_hint(ref)
    manifest = runtime_manifest(build_dir, rebuild)
    changed = (fingerprint.differences(app, manifest["fingerprint"]) if "fingerprint" in manifest
               else ["the build has no fingerprint (made by an older AstraAPI)"])
    analysed = None
    if changed:
        # Something the declarations may depend on changed: the full IR decides, as `build --check` does.
        from astraapi.introspection.app import build_ir

        analysed = build_ir(app, app_ref=ref, openapi=False)
        if analysed.ir_hash() != manifest.get("ir_hash"):
            raise StaleBuildError(
                f"the build in {build_dir}/ is stale: " + "; ".join(changed) + f" since it was made: {rebuild}"
            )
        logger.warning(
            "%s since the build in %s/ was made, but the app's declarations are the same: started by analysing "
            "the app; %s to start from the build again", "; ".join(changed), build_dir, rebuild,
        )
    ir = analysed or _serving_ir(build_dir, manifest, rebuild)
    require_module(build_dir, manifest, rebuild)
    module = _runtime.load_app_module(str(build_dir / manifest["module"]), manifest["ir_hash"])
    openapi = manifest.get("openapi")
    return StartupBuild(ir=ir, loaded=_entry_points(module, manifest),
                        openapi_path=build_dir / openapi if openapi and analysed is None else None,
                        analysed=analysed is not None)


def _serving_ir(build_dir: Path, manifest: dict, rebuild: str) -> AppIR:
    """The build's IR as compiled mode serves it, from `serving_ir.jsonl` (each route parsed when
    first used), or from `ir.json` for a build made before that file existed; checked against the
    manifest's sha256 (the module loader checks the IR hash)."""
    name, digest_key = ((manifest["serving_ir"], "serving_ir_sha256") if "serving_ir" in manifest
                        else (IR_FILE, "ir_sha256"))
    try:
        data = (build_dir / name).read_bytes()
    except OSError:
        raise StaleBuildError(f"the build in {build_dir}/ has no {name}: {rebuild}") from None
    if hashlib.sha256(data).hexdigest() != manifest.get(digest_key):
        raise StaleBuildError(f"{build_dir / name} is not the one the build wrote: {rebuild}")
    text = data.decode("utf-8")
    if name == IR_FILE:
        return AppIR.serving_from_json(text, manifest["ir_hash"])
    return AppIR.serving_from_text(text, manifest["ir_hash"])


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
    return _entry_points(module, manifest)


def _entry_points(module: Any, manifest: dict) -> LoadedBuild:
    # One bound method each: looking a method up on the native module costs tens of µs.
    serialize, decode, encode = module.serialize, module.decode, module.encode
    serializers = {int(index): partial(serialize, sid) for index, sid in manifest["serializers"].items()}
    decoders = {int(index): partial(decode, did) for index, did in manifest.get("decoders", {}).items()}
    encoders = {index: partial(encode, manifest["serializers"][str(index)]) for index in manifest.get("encoders", [])}
    return LoadedBuild(module=module, serializers=serializers, decoders=decoders, encoders=encoders)
