"""The module a declaration belongs to, with a script's `__main__` named as `astraapi build` imports it.

`python main.py` runs `main.py` as the module `__main__`, while `astraapi build main:app` imports
the same file as `main`: without this, the classes and endpoints of an app started with
`app.run(mode="compiled")` from the script would be named `__main__.Item` where the build named
them `main.Item`, and the build would look stale. Introspection (the IR's model and endpoint
names) and the fingerprint read module names through `module_of`.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def module_of(obj: Any) -> str:
    """`obj.__module__`, or for `__main__` the name `script_module_name` gives it."""
    module = getattr(obj, "__module__", None) or "?"
    if module == "__main__":
        return script_module_name() or module
    return module


def script_module_name() -> str | None:
    """The name under which `astraapi build <name>:app`, run from the working directory, would
    import the program's `__main__` module: its `-m` name (`python -m pkg.main`), else the
    script's path relative to the working directory as a dotted name when the script lies inside
    it (`pkg/main.py` -> `pkg.main`), else the script's file name (`main`). None when `__main__`
    is not a file (an interactive session, `python -c`), or when that name is already loaded as
    another module (the script imported itself: the two copies would then share one name)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    name = getattr(spec, "name", None)
    if not name:
        filename = getattr(main, "__file__", None)
        if not isinstance(filename, str) or not filename.endswith(".py"):
            return None
        absolute = os.path.abspath(filename)
        cwd = os.getcwd()
        relative = os.path.relpath(absolute, cwd) if absolute.startswith(cwd + os.sep) else os.path.basename(absolute)
        parts = relative[: -len(".py")].split(os.sep)
        if not all(part.isidentifier() for part in parts):
            return None
        name = ".".join(parts)
    other = sys.modules.get(name)
    if other is not None and other is not main:
        return None
    return name
