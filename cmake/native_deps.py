#!/usr/bin/env python3
"""Obtain the native libraries AstraAPI's runtime links: llhttp, yyjson, libdeflate.

Run by CMake at configure time (see the top-level CMakeLists.txt) with the build's Python:

    python cmake/native_deps.py --cache-dir DIR --cmake-out FILE

The libraries come from the package registries, pinned by version and sha256
(see shared/NATIVE_DEPS.md); their code is never committed to the repository:

    llhttp      PyPI source distribution httptools==0.9.0 (vendor/llhttp, llhttp 9.4.3)
    yyjson      PyPI source distribution yyjson==4.0.6    (yyjson 0.10.0)
    libdeflate  the system's libdeflate-dev (header + static library) when present,
                else PyPI source distribution deflate==0.9.0 (libdeflate 1.26)

Source distributions are fetched with `python -m pip download --no-deps --no-binary NAME`,
so pip's own configuration (index, proxy, certificates) applies. Each archive is checked
against its pinned sha256, then only the files the build needs (and the licence texts) are
extracted into the cache directory. A second run finds everything in the cache and touches
nothing, so incremental builds stay incremental.

Environment:
    ASTRAAPI_DEPS_CACHE  cache directory (overrides --cache-dir)
    ASTRAAPI_SDIST_DIR   a folder of already-downloaded source distributions; an archive
                         found there is used (hash-checked) and the network is not touched
    ASTRAAPI_LIBDEFLATE  auto (default: system if present, else sdist) | system | sdist

The CMake file written to --cmake-out sets ASTRA_<LIB>_* variables (include dirs, sources,
licence file, version, origin) that CMakeLists.txt turns into static libraries.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

# Bump the layout number when the set of extracted files changes, so stale caches are redone.
CACHE_LAYOUT = 1


class DepError(Exception):
    """A failure the user can act on; printed without a traceback."""


@dataclass(frozen=True)
class Pin:
    lib: str  # library name, as used in variable and licence file names
    dist: str  # PyPI distribution that carries it
    version: str  # distribution version
    sha256: str  # sha256 of the source distribution archive
    lib_version: str  # version of the library inside
    # archive-relative paths (below the top folder) to extract -> destination (relative)
    files: dict[str, str] = field(default_factory=dict)
    # archive-relative folders extracted recursively (below the top folder) -> destination
    trees: dict[str, str] = field(default_factory=dict)

    @property
    def requirement(self) -> str:
        return f"{self.dist}=={self.version}"


PINS: dict[str, Pin] = {
    "llhttp": Pin(
        lib="llhttp",
        dist="httptools",
        version="0.9.0",
        sha256="d484ebb7e3a3f3597b0f645fbd1b85633674ca808c1f5ba11c2caf7c66f5c8b6",
        lib_version="9.4.3",
        files={
            "vendor/llhttp/include/llhttp.h": "include/llhttp.h",
            "vendor/llhttp/src/api.c": "src/api.c",
            "vendor/llhttp/src/http.c": "src/http.c",
            "vendor/llhttp/src/llhttp.c": "src/llhttp.c",
            "vendor/llhttp/LICENSE-MIT": "LICENSE-MIT",
        },
    ),
    "yyjson": Pin(
        lib="yyjson",
        dist="yyjson",
        version="4.0.6",
        sha256="fcd4dc15c1e39a30bf9fa85d56903029111506860fc3080ab0d81c6c6dacaa8c",
        lib_version="0.10.0",
        files={
            "yyjson/yyjson.c": "src/yyjson.c",
            "yyjson/yyjson.h": "include/yyjson.h",
        },
    ),
    "libdeflate": Pin(
        lib="libdeflate",
        dist="deflate",
        version="0.9.0",
        sha256="962e0a6f1ea3a94b900a8ea0ce138fa92bfcbafda5b86367104a259ffcd3462b",
        lib_version="1.26",
        files={
            "libdeflate/libdeflate.h": "libdeflate.h",
            "libdeflate/common_defs.h": "common_defs.h",
            "libdeflate/COPYING": "COPYING",
        },
        trees={"libdeflate/lib": "lib"},
    ),
}


def log(msg: str) -> None:
    print(f"astraapi native deps: {msg}", flush=True)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sdist_names(pin: Pin) -> list[str]:
    """File names the source distribution may have (PEP 625 normalizes to underscores)."""
    stems = {f"{pin.dist}-{pin.version}", f"{pin.dist.replace('-', '_')}-{pin.version}"}
    return [f"{stem}{ext}" for stem in sorted(stems) for ext in (".tar.gz", ".zip")]


def check_hash(pin: Pin, path: Path) -> None:
    got = sha256_of(path)
    if got != pin.sha256:
        raise DepError(
            f"sha256 mismatch for {pin.lib} ({pin.requirement}) in {path}:\n"
            f"    expected {pin.sha256}\n"
            f"    got      {got}\n"
            "The file is not the pinned release (corrupt download, or a different build of it). "
            "Delete it and build again, or fix the file in ASTRAAPI_SDIST_DIR."
        )


def pip_download(pin: Pin, dest: Path) -> Path:
    """Download the pinned sdist into dest with pip; return its path."""
    cmd = [
        sys.executable, "-m", "pip", "download",
        "--no-deps", "--no-binary", pin.dist, "--disable-pip-version-check",
        "-d", str(dest), pin.requirement,
    ]
    log(f"downloading {pin.requirement} (source of {pin.lib} {pin.lib_version}) with pip")
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except OSError as exc:
        raise DepError(f"cannot run {sys.executable} -m pip: {exc}") from exc
    if proc.returncode != 0:
        hint = ""
        if "No module named pip" in proc.stdout:
            hint = (
                "\npip is not installed in this build's Python; it must be in the project's "
                "build-system.requires (pyproject.toml)."
            )
        raise DepError(
            f"could not download {pin.requirement} (needed for {pin.lib}):\n"
            f"    command: {' '.join(cmd)}\n"
            + "".join(f"    | {line}\n" for line in proc.stdout.strip().splitlines()[-25:])
            + "Without network access, put the source distribution "
            f"({sdist_names(pin)[0]}) in a folder and set ASTRAAPI_SDIST_DIR to it."
            + hint
        )
    for name in sdist_names(pin):
        if (dest / name).is_file():
            return dest / name
    found = sorted(p.name for p in dest.iterdir())
    raise DepError(
        f"pip reported success for {pin.requirement} but no source distribution appeared in "
        f"{dest} (found: {found or 'nothing'}); expected one of {sdist_names(pin)}"
    )


def obtain_sdist(pin: Pin, cache: Path) -> tuple[Path, str]:
    """Return (archive path, where it came from), hash-checked."""
    offline = os.environ.get("ASTRAAPI_SDIST_DIR")
    if offline:
        for name in sdist_names(pin):
            candidate = Path(offline) / name
            if candidate.is_file():
                check_hash(pin, candidate)
                return candidate, f"offline folder {offline}"
    sdists = cache / "sdists"
    for name in sdist_names(pin):
        candidate = sdists / name
        if candidate.is_file():
            if sha256_of(candidate) == pin.sha256:
                return candidate, "download cache"
            log(f"cached {candidate} does not match its pinned sha256; downloading it again")
            candidate.unlink()
    sdists.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".dl-{pin.dist}-", dir=sdists) as tmp:
        downloaded = pip_download(pin, Path(tmp))
        check_hash(pin, downloaded)
        final = sdists / downloaded.name
        os.replace(downloaded, final)
    return final, "PyPI (pip download)"


def _safe_relative(name: str) -> PurePosixPath | None:
    """Archive member name below the top folder, or None if it is unsafe or the top itself."""
    p = PurePosixPath(name)
    if p.is_absolute() or ".." in p.parts or len(p.parts) < 2:
        return None
    return PurePosixPath(*p.parts[1:])


def extract(pin: Pin, archive: Path, dest: Path) -> None:
    """Extract the pin's files and trees from archive into dest (which must not exist)."""
    if not archive.name.endswith(".tar.gz"):
        raise DepError(f"{archive}: only .tar.gz source distributions are supported")
    wanted = {PurePosixPath(k): PurePosixPath(v) for k, v in pin.files.items()}
    trees = {PurePosixPath(k): PurePosixPath(v) for k, v in pin.trees.items()}
    found: set[PurePosixPath] = set()
    tmp = Path(tempfile.mkdtemp(prefix=f".x-{pin.lib}-", dir=dest.parent))
    try:
        try:
            tar = tarfile.open(archive, "r:gz")
        except (tarfile.TarError, OSError) as exc:
            raise DepError(f"cannot open {archive} ({pin.requirement}): {exc}") from exc
        with tar:
            for member in tar:
                if not member.isfile():
                    continue
                rel = _safe_relative(member.name)
                if rel is None:
                    continue
                target = wanted.get(rel)
                if target is None:
                    for src, dst in trees.items():
                        if rel.parts[: len(src.parts)] == src.parts:
                            target = dst.joinpath(*rel.parts[len(src.parts):])
                            break
                if target is None:
                    continue
                found.add(rel)
                fobj = tar.extractfile(member)
                assert fobj is not None
                out = tmp / target
                out.parent.mkdir(parents=True, exist_ok=True)
                with fobj, open(out, "wb") as f:
                    shutil.copyfileobj(fobj, f)
        missing = sorted(str(k) for k in wanted if k not in found)
        for src in trees:
            if not any(f.parts[: len(src.parts)] == src.parts for f in found):
                missing.append(str(src) + "/")
        if missing:
            raise DepError(
                f"{archive} ({pin.requirement}) lacks files the build needs: {', '.join(missing)}"
            )
        if pin.lib == "yyjson":
            write_yyjson_license(pin, tmp)
        (tmp / ".complete").write_text(f"{pin.requirement} {pin.sha256} layout {CACHE_LAYOUT}\n")
        try:
            os.replace(tmp, dest)
        except OSError:
            if not (dest / ".complete").is_file():  # not merely a concurrent build that won
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_yyjson_license(pin: Pin, root: Path) -> None:
    """yyjson's licence is the comment at the top of yyjson.c (the sdist's own LICENSE
    file is the Python binding's, not the library's)."""
    text = (root / "src/yyjson.c").read_text(encoding="utf-8")
    start = text.find("/*")
    end = text.find("*/", start)
    if start != 0 or end < 0 or "Permission is hereby granted" not in text[start:end]:
        raise DepError(f"yyjson.c from {pin.requirement}: no licence comment at the top")
    lines = []
    for line in text[start + 2 : end].splitlines():
        stripped = line.strip()
        if stripped and set(stripped) <= set("=*"):
            continue
        lines.append(line[1:] if line.startswith(" ") else line)
    body = "\n".join(l.rstrip() for l in lines).strip("\n")
    (root / "LICENSE").write_text(
        f"yyjson {pin.lib_version} (https://github.com/ibireme/yyjson), MIT License\n\n{body}\n",
        encoding="utf-8",
    )


def from_sdist(pin: Pin, cache: Path) -> tuple[Path, str]:
    """Return (extracted root, description of origin)."""
    dest = cache / "src" / f"{pin.lib}-{pin.lib_version}-{pin.dist}-{pin.version}-{pin.sha256[:12]}"
    stamp = dest / ".complete"
    expected = f"{pin.requirement} {pin.sha256} layout {CACHE_LAYOUT}\n"
    if stamp.is_file() and stamp.read_text() == expected:
        return dest, f"PyPI sdist {pin.requirement} (sha256 {pin.sha256[:12]}..., cached)"
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    archive, origin = obtain_sdist(pin, cache)
    extract(pin, archive, dest)
    return dest, f"PyPI sdist {pin.requirement} (sha256 {pin.sha256[:12]}..., from {origin})"


# --- system libdeflate ---------------------------------------------------------------


@dataclass
class SystemLib:
    include_dir: Path
    library: Path
    version: str
    license: Path


def find_system_libdeflate() -> tuple[SystemLib | None, str]:
    """The system's libdeflate (header + static library), or (None, why not)."""
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    prefixes = [Path("/usr"), Path("/usr/local")]
    for prefix in prefixes:
        header = prefix / "include" / "libdeflate.h"
        if not header.is_file():
            continue
        libdirs = [prefix / "lib" / multiarch] if multiarch else []
        libdirs += [prefix / "lib64", prefix / "lib"]
        library = next((d / "libdeflate.a" for d in libdirs if (d / "libdeflate.a").is_file()), None)
        if library is None:
            return None, f"{header} found but no libdeflate.a beside it (install libdeflate-dev)"
        version = "unknown"
        for line in header.read_text(errors="replace").splitlines():
            if line.startswith("#define LIBDEFLATE_VERSION_STRING"):
                version = line.split(None, 2)[2].strip().strip('"')
                break
        licenses = [
            Path("/usr/share/doc/libdeflate-dev/copyright"),
            Path("/usr/share/doc/libdeflate0/copyright"),
            prefix / "share/doc/libdeflate/COPYING",
        ]
        lic = next((p for p in licenses if p.is_file()), None)
        if lic is None:
            return None, f"{library} found but not its licence text (looked at {', '.join(map(str, licenses))})"
        return SystemLib(header.parent, library, version, lic), ""
    return None, "no libdeflate.h in /usr/include or /usr/local/include (Debian: apt-get install libdeflate-dev)"


# --- CMake output ----------------------------------------------------------------------


def cmake_quote(value: str) -> str:
    n = 0
    while f"]{'=' * n}]" in value:
        n += 1
    eq = "=" * n
    return f"[{eq}[{value}]{eq}]"


def cmake_set(lines: list[str], name: str, *values: Path | str) -> None:
    lines.append(f"set({name} {' '.join(cmake_quote(str(v)) for v in values)})")


def write_if_changed(path: Path, text: str) -> None:
    if path.is_file() and path.read_text() == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache-dir", required=True, help="cache directory (env ASTRAAPI_DEPS_CACHE wins)")
    ap.add_argument("--cmake-out", required=True, help="CMake file to write")
    ap.add_argument("--libdeflate", choices=["auto", "system", "sdist"], default=None,
                    help="where libdeflate comes from (env ASTRAAPI_LIBDEFLATE; default auto)")
    args = ap.parse_args(argv)

    cache = Path(os.environ.get("ASTRAAPI_DEPS_CACHE") or args.cache_dir).resolve()
    deflate_mode = args.libdeflate or os.environ.get("ASTRAAPI_LIBDEFLATE") or "auto"
    if deflate_mode not in ("auto", "system", "sdist"):
        raise DepError(f"ASTRAAPI_LIBDEFLATE={deflate_mode!r}: expected auto, system or sdist")

    lines = ["# Written by cmake/native_deps.py; do not edit."]

    llhttp, origin = from_sdist(PINS["llhttp"], cache)
    log(f"llhttp {PINS['llhttp'].lib_version} from {origin} -> {llhttp}")
    cmake_set(lines, "ASTRA_LLHTTP_VERSION", PINS["llhttp"].lib_version)
    cmake_set(lines, "ASTRA_LLHTTP_INCLUDE_DIR", llhttp / "include")
    cmake_set(lines, "ASTRA_LLHTTP_SOURCES", *(llhttp / "src" / f for f in ("api.c", "http.c", "llhttp.c")))
    cmake_set(lines, "ASTRA_LLHTTP_LICENSE", llhttp / "LICENSE-MIT")

    yy, origin = from_sdist(PINS["yyjson"], cache)
    log(f"yyjson {PINS['yyjson'].lib_version} from {origin} -> {yy}")
    cmake_set(lines, "ASTRA_YYJSON_VERSION", PINS["yyjson"].lib_version)
    cmake_set(lines, "ASTRA_YYJSON_INCLUDE_DIR", yy / "include")
    cmake_set(lines, "ASTRA_YYJSON_SOURCES", yy / "src" / "yyjson.c")
    cmake_set(lines, "ASTRA_YYJSON_LICENSE", yy / "LICENSE")

    system = None
    if deflate_mode in ("auto", "system"):
        system, why_not = find_system_libdeflate()
        if system is None:
            if deflate_mode == "system":
                raise DepError(f"ASTRAAPI_LIBDEFLATE=system but {why_not}")
            log(f"no usable system libdeflate ({why_not}); using the PyPI sdist")
    if system is not None:
        log(f"libdeflate {system.version} from the system: {system.library} (headers {system.include_dir})")
        cmake_set(lines, "ASTRA_LIBDEFLATE_ORIGIN", "system")
        cmake_set(lines, "ASTRA_LIBDEFLATE_VERSION", system.version)
        cmake_set(lines, "ASTRA_LIBDEFLATE_INCLUDE_DIR", system.include_dir)
        cmake_set(lines, "ASTRA_LIBDEFLATE_LIBRARY", system.library)
        cmake_set(lines, "ASTRA_LIBDEFLATE_SOURCES")
        cmake_set(lines, "ASTRA_LIBDEFLATE_LICENSE", system.license)
    else:
        pin = PINS["libdeflate"]
        root, origin = from_sdist(pin, cache)
        log(f"libdeflate {pin.lib_version} from {origin} -> {root}")
        sources = sorted((root / "lib").glob("*.c"))
        # Both cpu_features.c files are compiled everywhere (as upstream's CMakeLists does):
        # each is empty unless built for its own architecture.
        sources += [root / "lib/x86/cpu_features.c", root / "lib/arm/cpu_features.c"]
        cmake_set(lines, "ASTRA_LIBDEFLATE_ORIGIN", "sdist")
        cmake_set(lines, "ASTRA_LIBDEFLATE_VERSION", pin.lib_version)
        cmake_set(lines, "ASTRA_LIBDEFLATE_INCLUDE_DIR", root)
        cmake_set(lines, "ASTRA_LIBDEFLATE_LIBRARY")
        cmake_set(lines, "ASTRA_LIBDEFLATE_SOURCES", *sources)
        cmake_set(lines, "ASTRA_LIBDEFLATE_LICENSE", root / "COPYING")

    write_if_changed(Path(args.cmake_out), "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except DepError as exc:
        print(f"astraapi native deps: error: {exc}", file=sys.stderr)
        sys.exit(1)
