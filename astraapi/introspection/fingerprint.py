"""A cheap fingerprint of an app's declarations, so that compiled mode can start from the build.

`astraapi build` stores it in the manifest; `astraapi run` recomputes it instead of analysing
every endpoint (no signatures, no type hints, no pydantic adapters). When it differs, `run`
analyses the app after all and lets the IR hash decide, as `build --check` does: the same IR (an
edit that left the declarations alone, a new pydantic that analyses them the same) starts, more
slowly, with a warning naming what changed; another IR is refused, naming what changed. So the
fingerprint only needs to be sound in one direction: when it matches, nothing the IR depends on
may have changed.

What it covers:

- **the declarations as recorded** (`declarations`): for every route of `app.routes` (the docs
  routes included) its path, methods, name, endpoint (source file + qualname), where it was
  declared, and every decorator option (response model, status code, tags, responses, response
  class, dependencies, ...), plus the app's settings the IR or the OpenAPI document read (title,
  version, servers, tags, native middleware, sync_endpoints, max_body_size, webhooks, ...). One
  digest per route, so a mismatch names the routes that changed, appeared or went away.
  Callables and classes are named by source file (relative, as below) and qualified name, plain values by `repr`
  (memory addresses removed): a change of what a decorator was given is seen even when it comes
  from an environment variable rather than from an edited file.
- **the user's source files** (`files`): every module loaded when the fingerprint is taken whose
  file is not part of Python, of an installed package or of AstraAPI: size, modification time and
  sha256, named relative to the working directory when inside it (so a build made in CI matches
  the same tree in another folder). At start-up a file whose size and mtime are unchanged is
  taken as unchanged; otherwise
  its content is hashed, so a file that was only touched (a checkout, a copy) still matches.
  This covers everything declared in those files: endpoint signatures and annotations,
  `Query()`/`Body()`/`Depends()` markers, pydantic models and their fields, dependencies.
- **the versions** of Python (major.minor), pydantic and AstraAPI, which change how the same
  declarations are analysed.

What it does not see (rebuild, or serve in dynamic mode, when these change): code outside those
files that shapes the declarations -- an installed package's models, a data file or an
environment variable read while building a model or an annotation (as opposed to a decorator
argument) --, a module imported only after the app was (a lazy import inside a function), and a
file replaced by another of the same size and modification time (copied with preserved times).
Each route is also analysed on its first request; if that analysis differs from the build's IR
the route is served on the generic path with that fresh analysis (correct bytes, a warning in
the log), so a miss costs speed, not correctness, for the route itself.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

FORMAT = "1"  # how declarations are described: change it when that changes
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_ASTRAAPI_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# App attributes that the IR or the OpenAPI document read (beyond the routes).
APP_SETTINGS = (
    "title", "summary", "description", "version", "openapi_url", "openapi_tags", "servers", "terms_of_service",
    "contact", "license_info", "separate_input_output_schemas", "openapi_external_docs", "openapi_version",
    "docs_url", "redoc_url", "swagger_ui_oauth2_redirect_url", "sync_endpoints", "strict_content_type",
    "max_body_size", "redirect_slashes", "user_middleware",
)


@dataclass(frozen=True)
class Fingerprint:
    versions: dict[str, str]
    routes: list[tuple[str, str]]  # (label, digest) per route, in app.routes order
    app_settings: str  # digest
    files: list[tuple[str, int, int, str]]  # (path, relative to the cwd when inside it; size, mtime_ns, sha256)

    def to_json(self) -> dict[str, Any]:
        return {"versions": self.versions, "routes": [list(r) for r in self.routes],
                "app_settings": self.app_settings, "files": [list(f) for f in self.files]}


def take(app: Any) -> Fingerprint:
    """The app's fingerprint now (the user's files hashed in full: at build time)."""
    return Fingerprint(
        versions=_versions(),
        routes=_routes(app),
        app_settings=_digest(_describe_settings(app)),
        files=[(_portable(path), *_stat(path), _file_sha256(path)) for path in user_source_files()],
    )


def differences(app: Any, stored: Mapping[str, Any], limit: int = 5) -> list[str]:
    """What changed since `stored` (a manifest's fingerprint) was taken; empty: nothing seen."""
    found: list[str] = []
    versions = _versions()
    stored_versions = stored.get("versions", {})
    for name in sorted(set(versions) | set(stored_versions)):
        if versions.get(name) != stored_versions.get(name):
            found.append(f"{name} is {versions.get(name)} now, the build was made with {stored_versions.get(name)}")
    for entry in stored.get("files", ()):
        path, size, mtime_ns, digest = entry
        try:
            now = _stat(path)
        except OSError:
            found.append(f"{path} is gone")
            continue
        if now != (size, mtime_ns) and _file_sha256(path) != digest:
            found.append(f"{path} changed")
    if stored.get("app_settings") != _digest(_describe_settings(app)):
        found.append("the app's settings changed (title, servers, middleware, ...)")
    found.extend(_route_differences(stored.get("routes", []), _routes(app)))
    if len(found) > limit:
        found = found[:limit] + [f"and {len(found) - limit} more"]
    return found


def _route_differences(before: list[list[str]], now: list[tuple[str, str]]) -> list[str]:
    if [tuple(r) for r in before] == now:
        return []
    if len(before) != len(now):
        old_labels = {label for label, _ in before}
        new_labels = {label for label, _ in now}
        added = [label for label, _ in now if label not in old_labels]
        removed = [label for label, _ in before if label not in new_labels]
        found = [f"route {label} is new" for label in added] + [f"route {label} is gone" for label in removed]
        return found or [f"the app has {len(now)} routes, the build has {len(before)}"]
    found = []
    for (old_label, old_digest), (label, digest) in zip(before, now):
        if old_label != label:
            found.append(f"route {old_label} is now {label}")
        elif old_digest != digest:
            found.append(f"route {label}: its declaration changed")
    return found


# --------------------------------------------------------------------------- parts


def _versions() -> dict[str, str]:
    from astraapi._version import __version__

    try:
        from pydantic.version import VERSION as pydantic_version
    except ImportError:  # pragma: no cover - pydantic is a dependency
        pydantic_version = "none"
    return {"python": f"{sys.version_info[0]}.{sys.version_info[1]}", "pydantic": str(pydantic_version),
            "astraapi": __version__, "fingerprint": FORMAT}


def _routes(app: Any) -> list[tuple[str, str]]:
    from astraapi._routing.include import flat_records

    result = []
    for route in flat_records(app.routes):
        methods = getattr(route, "methods", None) or (type(route).__name__,)  # other kinds of route
        label = f"{'/'.join(methods)} {getattr(route, 'path', '?')} ({getattr(route, 'name', '?')})"
        result.append((label, _digest(_describe_route(route))))
    return result


def _describe_route(route: Any) -> str:
    fields = _FIELDS.get(type(route))
    if fields is None:
        import dataclasses

        if not dataclasses.is_dataclass(route):  # another kind of route: its public attributes
            return _describe({k: v for k, v in sorted(vars(route).items()) if not k.startswith("_")})
        fields = _fields(type(route))
    names, values = fields
    plain, describe = _PLAIN, _describe
    parts = []
    for name, value in zip(names, values(route)):  # a plain value inline: 505 routes x 29 fields at start-up
        if type(value) in plain:
            if name == "decl_file" and type(value) is str:
                value = _portable(value)
            parts.append(f"{name}={value!r}")
        else:
            parts.append(f"{name}={describe(value)}")
    return "\n".join(parts)


# A dataclass route class -> (its field names, a getter of their values as a tuple).
_FIELDS: dict[type, tuple[tuple[str, ...], Any]] = {}


def _fields(cls: type) -> tuple[tuple[str, ...], Any]:
    import dataclasses
    import operator

    names = tuple(f.name for f in dataclasses.fields(cls))
    getter = operator.attrgetter(*names)
    _FIELDS[cls] = found = (names, getter if len(names) > 1 else (lambda route: (getter(route),)))
    return found


def _describe_settings(app: Any) -> str:
    parts = [f"{name}={_describe(getattr(app, name, None))}" for name in APP_SETTINGS]
    webhooks = getattr(app, "webhooks", None)
    for route in getattr(webhooks, "routes", ()):
        parts.append("webhook " + _describe_route(route))
    return "\n".join(parts)


_PLAIN = frozenset({type(None), bool, int, float, str, bytes})
# id -> (object, its description): the same classes, callables and markers recur across routes.
# A fingerprint is taken once per process (at build, at start-up), so an object is described once.
_NAMES: dict[int, tuple[Any, str]] = {}


def _describe(value: Any, depth: int = 0) -> str:
    """A process-independent text for a declaration value."""
    kind = type(value)
    if kind in _PLAIN:
        return repr(value)
    if depth > 8:
        return "..."
    if kind is tuple or kind is list:
        return "[" + ",".join([_describe(v, depth + 1) for v in value]) + "]"
    if kind is dict:
        return "{" + ",".join([f"{_describe(k, depth + 1)}:{_describe(v, depth + 1)}"
                               for k, v in value.items()]) + "}"
    known = _NAMES.get(id(value))
    if known is not None and known[0] is value:
        return known[1]
    text = _describe_other(value, depth)
    _NAMES[id(value)] = (value, text)  # keeps `value` alive, so ids stay unique (one description per process)
    return text


def _describe_other(value: Any, depth: int) -> str:
    if isinstance(value, Enum):
        return f"{_callable_name(type(value))}.{value.name}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_describe(v, depth + 1) for v in value) + "]"
    if isinstance(value, (set, frozenset)):
        return "{" + ",".join(sorted(_describe(v, depth + 1) for v in value)) + "}"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{_describe(k, depth + 1)}:{_describe(v, depth + 1)}"
                              for k, v in value.items()) + "}"
    if isinstance(value, type) or callable(value) and hasattr(value, "__qualname__"):
        return _callable_name(value)
    slots = [name for cls in type(value).__mro__ for name in getattr(cls, "__slots__", ())
             if isinstance(name, str) and not name.startswith("_")]
    if slots:  # Depends(...), Security(...)
        return f"{_callable_name(type(value))}({_describe({n: getattr(value, n, None) for n in slots}, depth + 1)})"
    state = getattr(value, "__dict__", None)
    if isinstance(state, dict):  # Middleware(...), a callable instance
        return f"{_callable_name(type(value))}({_describe(state, depth + 1)})"
    return f"{_callable_name(type(value))}:{_ADDRESS.sub('', repr(value))}"


def _callable_name(obj: Any) -> str:
    import functools

    if isinstance(obj, functools.partial):
        return (f"partial({_callable_name(obj.func)},{_describe(obj.args)},"
                f"{_describe(obj.keywords)})")
    if isinstance(obj, type):
        # Not through the metaclass's __getattr__: pydantic's takes ~0.5 ms to say no, per model.
        try:
            code = type.__getattribute__(obj, "__code__")
        except AttributeError:
            code = None
    else:
        code = getattr(obj, "__code__", None)
    if code is not None:
        where = _portable(code.co_filename)
    else:
        from astraapi.introspection.module_names import module_of

        where = module_of(obj)
    return f"{where}:{getattr(obj, '__qualname__', type(obj).__qualname__)}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def _stat(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


def _file_sha256(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


_PORTABLE: dict[tuple[str, str], str] = {}  # (path, cwd) -> _portable(path): a few files, named per route


def _portable(path: str) -> str:
    """`path` relative to the working directory when it lies inside it (so that a build made in one
    checkout still matches the same files in another folder, e.g. built in CI, served in an
    image), else absolute."""
    cwd = os.getcwd()
    known = _PORTABLE.get((path, cwd))
    if known is not None:
        return known
    absolute = os.path.abspath(path)
    if absolute.startswith(cwd + os.sep):
        result = os.path.relpath(absolute, cwd).replace(os.sep, "/")
    else:
        result = absolute
    _PORTABLE[(path, cwd)] = result
    return result


def _excluded_roots() -> tuple[str, ...]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, _ASTRAAPI_DIR}
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(name)
        if path:
            roots.add(path)
    return tuple(os.path.abspath(r) + os.sep for r in roots if r)


def user_source_files() -> list[str]:
    """The files of the loaded modules that belong to the user (not Python, not an installed
    package, not AstraAPI), sorted."""
    excluded = _excluded_roots()
    files = set()
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        if not filename or not isinstance(filename, str):
            continue
        path = os.path.abspath(filename)
        if path.startswith(excluded) or "site-packages" in path or not os.path.isfile(path):
            continue
        files.add(path)
    return sorted(files)
