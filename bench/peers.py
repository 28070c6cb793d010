"""The peers' virtual environment (bench/.venv-peers): created on demand, each peer installed on
its own, and the outcome recorded so that a peer that fails is reported, never fatal."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-peers"
REQUIREMENTS = HERE / "peers.txt"
STATUS = VENV / "bench-status.json"
# The import that proves each requirement usable, keyed by the package name the targets use.
IMPORTS = {"fastapi": "fastapi", "uvicorn": "uvicorn, uvloop, httptools", "blacksheep": "blacksheep",
           "socketify": "socketify", "robyn": "robyn",
           "email-validator": "email_validator"}


def python() -> Path:
    return VENV / "bin" / "python"


def requirements() -> list[str]:
    return [line.split("#")[0].strip() for line in REQUIREMENTS.read_text().splitlines()
            if line.split("#")[0].strip()]


def _name(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower()


def ensure(log=print) -> dict[str, str]:
    """Install what peers.txt names (skipping what is already installed at that pin); returns
    package -> "" when usable, else the reason."""
    if not python().exists():
        log(f"bench: creating {VENV.relative_to(HERE.parent)}")
        done = subprocess.run([sys.executable, "-m", "venv", str(VENV)], capture_output=True, text=True)
        if done.returncode != 0:
            reason = f"could not create the peers' venv: {done.stderr.strip()[-200:]}"
            return {_name(r): reason for r in requirements()}
    previous = json.loads(STATUS.read_text()) if STATUS.exists() else {}
    status: dict[str, str] = {}
    for requirement in requirements():
        name = _name(requirement)
        if previous.get(requirement) == "" and _importable(name):
            status[name] = ""
            continue
        log(f"bench: installing {requirement} into the peers' venv")
        done = subprocess.run([str(python()), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                               requirement], capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            lines = [l for l in (done.stderr or done.stdout).splitlines() if l.strip() and "is ignored" not in l]
            status[name] = "pip install failed: " + (lines[-1] if lines else f"exit {done.returncode}")[-200:]
        elif not _importable(name):
            status[name] = f"installed but `import {IMPORTS.get(name, name)}` fails"
        else:
            status[name] = ""
        previous[requirement] = status[name]
    STATUS.write_text(json.dumps(previous, indent=1))
    # uvicorn is the server of fastapi and blacksheep here: without it, neither runs.
    if status.get("uvicorn"):
        for dependent in ("fastapi", "blacksheep"):
            status[dependent] = status[dependent] or f"uvicorn unusable: {status['uvicorn']}"
    return status


def _importable(name: str) -> bool:
    modules = IMPORTS.get(name, name)
    done = subprocess.run([str(python()), "-c", f"import {modules}"], capture_output=True, timeout=120)
    return done.returncode == 0


def versions() -> dict[str, str]:
    if not python().exists():
        return {}
    done = subprocess.run([str(python()), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        return {}
    wanted = {"fastapi", "uvicorn", "uvloop", "httptools", "starlette", "blacksheep", "socketify", "robyn",
              "pydantic", "pydantic-core", "pydantic_core"}
    return {p["name"]: p["version"] for p in json.loads(done.stdout) if p["name"].lower() in wanted}
