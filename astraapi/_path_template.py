"""Route path templates: `{name}` and `{name:convertor}` (Starlette's syntax), the one pattern every
layer reads them with (routing, introspection, the trie, the ASGI matcher, OpenAPI, telemetry).
No astraapi imports: declaring routes reads it (docs/internals.md "Import cost")."""

import re

# group 1 the name, group 2 the convertor (None: str)
PATH_PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-zA-Z_][a-zA-Z0-9_]*))?}")


def path_format(path: str) -> str:
    """The path as OpenAPI and telemetry show it: `{name:convertor}` -> `{name}`."""
    return PATH_PARAM.sub(r"{\1}", path)
