"""`url_path_for` over route records (Starlette's), and the path helpers Starlette-style routes use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from astraapi._routing.records import Mount
from astraapi._path_template import PATH_PARAM


class NoMatchFound(Exception):
    """`url_path_for` / `url_for` found no route with that name and those parameters (Starlette's)."""

    def __init__(self, name: str, path_params: dict[str, Any]) -> None:
        params = ", ".join(list(path_params.keys()))
        # Exception's own __init__: with Starlette loaded, the class raised also derives from its NoMatchFound
        Exception.__init__(self, f'No route exists for name "{name}" and params "{params}".')


def no_match(name: str, path_params: dict[str, Any]) -> NoMatchFound:
    """The NoMatchFound to raise: also Starlette's while it is loaded (code written against Starlette catches it)."""
    from astraapi._starlette_compat import raised_class

    return raised_class(NoMatchFound, "starlette.routing", "NoMatchFound")(name, path_params)  # type: ignore[return-value]


def _param_text(convertor: str, value: Any) -> str:
    """A path parameter written back into a path, as Starlette's convertors' `to_string` do."""
    if convertor == "int":
        value = int(value)
        if value < 0:
            raise ValueError("Negative integers are not supported")
        return str(value)
    if convertor == "float":
        value = float(value)
        if value < 0.0 or value != value or value in (float("inf"), float("-inf")):
            raise ValueError("Negative floats, NaN and infinity are not supported")
        return ("%0.20f" % value).rstrip("0").rstrip(".")
    text = str(value)
    if convertor == "str" and "/" in text:
        raise ValueError("May not contain path separators")
    if convertor == "str" and not text:
        raise ValueError("Must not be empty")
    return text



def url_path_for(routes: Sequence[Any], name: str, path_params: dict[str, Any]) -> str:
    from astraapi.routing import APIRouter

    for route in routes:
        if isinstance(route, Mount) and isinstance(getattr(route.app, "router", None), APIRouter):
            # a sub-application's routes: "mount_name:route_name", or the route's own name when
            # the mount has none (Starlette's Mount.url_path_for)
            if route.name is None or name.startswith(route.name + ":"):
                child = name if route.name is None else name[len(route.name) + 1:]
                try:
                    return route.path + route.app.router.url_path_for(child, **path_params)
                except NoMatchFound:
                    pass
        if route.name != name:
            continue
        params = dict(path_params)
        if isinstance(route, Mount):
            if "path" not in params:
                continue
            params["path"] = str(params["path"]).lstrip("/")
            template = route.route_path
        else:
            template = route.path
        names = [m.group(1) for m in PATH_PARAM.finditer(template)]
        if set(names) != set(params):
            continue
        # each value written as its convertor writes it back (Starlette's to_string)
        return PATH_PARAM.sub(lambda m: _param_text(m.group(2) or "str", params[m.group(1)]), template)
    raise no_match(name, path_params)




def takes_path_params(function: Any, path: str, first: str, first_type: type) -> None:
    """Declare `function`'s parameters: `first` (the connection), then the path's parameters, taken as
    the path convertors give them (Starlette's endpoint reads them from `request.path_params`)."""
    import inspect
    import re

    names = re.findall(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-zA-Z_][a-zA-Z0-9_]*)?}", path)
    parameters = [inspect.Parameter(first, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=first_type)]
    parameters += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=Any) for name in names]
    function.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    function.__annotations__ = {first: first_type, **{name: Any for name in names}}


class _Convertor:
    """A path convertor as Starlette's (`convert` the matched text, `to_string` a value), when Starlette's
    own are not imported."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def convert(self, value: str) -> Any:
        from astraapi.asgi.matching import _CONVERT

        return _CONVERT[self.kind](value)

    def to_string(self, value: Any) -> str:
        return _param_text(self.kind, value)


def param_convertors(path: str) -> dict[str, Any]:
    """The convertors of `path`'s parameters by name: Starlette's when it is imported, else equivalents."""
    import sys

    starlette_convertors = sys.modules.get("starlette.convertors")
    convertors = {}
    for match in PATH_PARAM.finditer(path):
        kind = match.group(2) or "str"
        known = getattr(starlette_convertors, "CONVERTOR_TYPES", {}).get(kind)
        convertors[match.group(1)] = known if known is not None else _Convertor(kind)
    return convertors
