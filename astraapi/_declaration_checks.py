"""The checks FastAPI makes when a route is declared, made at the same point (the decorator), with
FastAPI's messages and the user's file:line.

FastAPI analyses an endpoint's parameters when the route is declared and refuses some declarations
there (`AssertionError`s, `PydanticV1NotSupportedError`); AstraAPI analyses routes when the app
starts (astraapi.introspection), so code that expects those refusals at the decorator (tests written
with `pytest.raises` around it) would see them too late. This module repeats only those checks,
cheaply: it reads the signature and annotations and never imports pydantic (a pydantic model can only
be in an annotation when the user already imported pydantic, so `sys.modules` answers). A signature
whose annotations cannot be resolved yet (a forward reference to a class defined further down) is
left to the analysis at start-up, which checks everything again with the same messages."""

from __future__ import annotations

import collections
import dataclasses
import functools
import inspect
import sys
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, Union, get_args, get_origin

from astraapi.exceptions import DependencyScopeError, InvalidDeclarationError, PydanticV1NotSupportedError

_SEQUENCES: tuple[type, ...] = (list, set, frozenset, tuple, collections.deque)
_UNIONS = (Union, types.UnionType)
_MAX_DEPTH = 32


def check_route(endpoint: Any, path: str, decl_file: str, decl_line: int, *, response_model: Any = None,
                responses: Mapping[Any, Any] | None = None, return_is_model: bool = False,
                dependencies: Any = None) -> None:
    """Raise what FastAPI raises when declaring `endpoint` at `path`. `return_is_model`: the return
    annotation is the response model (no response_model= given); `dependencies`: the route's own
    `dependencies=[...]`."""
    site = f"{decl_file}:{decl_line}"
    path_names = set(_path_names(path))
    seen: set[int] = set()
    _check_call(endpoint, path_names, site, seen, 0)
    params = _params()
    for depends in dependencies or ():
        if params is not None and isinstance(depends, params.Depends) and depends.dependency is not None:
            _check_call(depends.dependency, path_names, site, seen, 1, depends.scope)
    models = [response_model]
    if return_is_model:
        models.append(_return_annotation(endpoint))
    for spec in (responses or {}).values():
        if isinstance(spec, Mapping):
            models.append(spec.get("model"))
    for model in models:
        if model is not None:
            _check_not_v1(model, site)
            _check_response_model(model, site)


def _check_not_v1(annotation: Any, site: str) -> None:
    if _is_pydantic_v1(annotation):
        raise PydanticV1NotSupportedError(
            "pydantic.v1 models are no longer supported by FastAPI."
            f" Please update the response model {annotation!r}. ({site})"
        )


# Classes of these modules are types pydantic knows (or typing's constructs): no need to ask it.
_KNOWN_MODULES = frozenset({"builtins", "datetime", "decimal", "uuid", "pathlib", "ipaddress", "enum", "typing",
                            "typing_extensions", "collections", "collections.abc", "re", "fractions", "types"})
_KNOWN_PACKAGES = ("pydantic", "pydantic_core", "annotated_types", "pydantic_extra_types")


def _check_response_model(annotation: Any, site: str) -> None:
    """A response model pydantic cannot make a schema for (an arbitrary class, a Response in a union): FastAPI
    refuses it when the route is declared. Only a class this walk does not recognise is put to pydantic (so
    declaring a route with ordinary types does not import it)."""
    if _unknown_class(annotation, 0) is None:
        return
    from pydantic import TypeAdapter
    from pydantic.errors import PydanticSchemaGenerationError

    try:
        TypeAdapter(annotation)
    except PydanticSchemaGenerationError as error:
        from astraapi.exceptions import FastAPIError

        raise FastAPIError(
            f"The response model {annotation!r} is not a valid Pydantic field type ({site}). If it comes from the "
            "return annotation and is not meant as the response model, declare the route with the parameter "
            "response_model=None.") from error


def _unknown_class(annotation: Any, depth: int) -> type | None:
    """The first class in `annotation` that pydantic may not know, else None."""
    if depth > _MAX_DEPTH:
        return None
    annotation = _strip(annotation)
    origin = get_origin(annotation)
    if origin is not None:
        if origin is typing.Literal:
            return None
        for arg in get_args(annotation):
            found = _unknown_class(arg, depth + 1)
            if found is not None:
                return found
        return _unknown_class(origin, depth + 1) if isinstance(origin, type) else None
    if not isinstance(annotation, type) or annotation is type(None):
        return None  # Any, None, a TypeVar, a forward reference: the start-up analysis decides
    module = getattr(annotation, "__module__", "") or ""
    if module in _KNOWN_MODULES or module.split(".")[0] in _KNOWN_PACKAGES:
        return None
    import enum

    if (issubclass(annotation, (enum.Enum, str, int, float, bytes, tuple, list, dict, set, frozenset))
            or dataclasses.is_dataclass(annotation) or typing.is_typeddict(annotation)
            or hasattr(annotation, "__get_pydantic_core_schema__") or hasattr(annotation, "__pydantic_core_schema__")):
        return None
    return annotation


def _params() -> Any:
    """astraapi.params when loaded: without it no marker and no Depends() can be in a signature (it
    imports pydantic, which declaring a plain route must not)."""
    return sys.modules.get("astraapi.params")


def _path_names(path: str) -> list[str]:
    from astraapi._path_template import PATH_PARAM

    return [match.group(1) for match in PATH_PARAM.finditer(path)]


def _return_annotation(endpoint: Any) -> Any:
    hints = _hints(endpoint)
    annotation = hints.get("return") if hints is not None else None
    from astraapi.responses import Response

    responses = (Response,)
    starlette = sys.modules.get("starlette.responses")  # a Starlette Response subclass is a response class too
    if starlette is not None:
        responses += (starlette.Response,)
    if isinstance(_strip(annotation), type) and issubclass(_strip(annotation), responses):
        return None
    return annotation


def _hints(call: Any) -> dict[str, Any] | None:
    target = call
    if not (inspect.isfunction(target) or inspect.ismethod(target)):
        target = target.__init__ if inspect.isclass(target) else getattr(target, "__call__", target)
    try:
        return typing.get_type_hints(target, include_extras=True)
    except Exception:  # noqa: BLE001 - unresolvable yet (forward references): the start-up analysis decides
        return None


def _is_generator(call: Any) -> bool:
    while isinstance(call, functools.partial):
        call = call.func
    call = inspect.unwrap(call)
    if inspect.isgeneratorfunction(call) or inspect.isasyncgenfunction(call):
        return True
    dunder = None if inspect.isroutine(call) or inspect.isclass(call) else getattr(call, "__call__", None)
    return dunder is not None and (inspect.isgeneratorfunction(dunder) or inspect.isasyncgenfunction(dunder))


def _check_call(call: Any, path_names: set[str], site: str, seen: set[tuple[int, Any]], depth: int,
                scope: str | None = None) -> None:
    """One callable's parameters (the endpoint's, or a dependency's declared with `scope`), and its
    dependencies' below it."""
    if (id(call), scope) in seen or depth > _MAX_DEPTH or not callable(call):
        return
    seen.add((id(call), scope))
    # a `yield` dependency whose exit runs after the response cannot use one whose exit runs before it
    request_scoped = depth > 0 and (scope or "request") == "request" and _is_generator(call)
    try:
        signature = inspect.signature(call)
    except (TypeError, ValueError):
        return
    hints = _hints(call)
    if hints is None:
        return
    for name, parameter in signature.parameters.items():
        if parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        annotation = hints.get(name, parameter.annotation)
        depends = _check_param(name, annotation, parameter.default, path_names, site)
        if depends is not None:
            dependency, dependency_scope = depends
            if request_scoped and dependency_scope == "function":
                call_name = getattr(call, "__name__", "<unnamed_callable>")
                raise DependencyScopeError(
                    f'The dependency "{call_name}" has a scope of "request", it cannot depend on dependencies with '
                    f'scope "function". ({site})'
                )
            _check_call(dependency, path_names, site, seen, depth + 1, dependency_scope)


def _fail(message: str, site: str) -> None:
    raise InvalidDeclarationError(f"{message} ({site})")


def _check_param(name: str, annotation: Any, value: Any, path_names: set[str], site: str) -> Any:
    """FastAPI's declaration-time assertions for one parameter; (the dependency to check further, the
    scope it is declared with), if it is one."""
    empty = inspect.Parameter.empty
    is_path = name in path_names
    if annotation is empty:
        annotation = Any
    if type(annotation).__name__ == "TypeAliasType":
        annotation = annotation.__value__
    type_annotation = annotation
    marker: Any = None
    depends: Any = None
    field_info_type = _field_info_type()
    params = _params()
    if params is None:  # no markers, no Depends: only the plain annotation's checks
        if get_origin(annotation) is Annotated:
            type_annotation = get_args(annotation)[0]
        _check_not_v1(type_annotation, site)
        if is_path and not _is_scalar(type_annotation):
            _fail("Path params must be of one of the supported types", site)
        return None
    if get_origin(annotation) is Annotated:
        type_annotation, *extras = get_args(annotation)
        ours = [arg for arg in extras if isinstance(arg, (params.Param, params.Body, params.Depends))]
        if ours:
            last = ours[-1]
            if isinstance(last, params.Depends):
                depends = last
            else:
                marker = last
                if last.default is not _undefined() and last.default is not ...:
                    _fail(f"`{type(last).__name__}` default value cannot be set in `Annotated` for {name!r}. "
                          "Set the default value with `=` instead.", site)
                if value is not empty and is_path:
                    _fail("Path parameters cannot have default values", site)
    if isinstance(value, params.Depends):
        if depends is not None:
            _fail(f"Cannot specify `Depends` in `Annotated` and default value together for {name!r}", site)
        if marker is not None:
            _fail("Cannot specify a FastAPI annotation in `Annotated` and `Depends` as a default value together "
                  f"for {name!r}", site)
        depends = value
    elif field_info_type is not None and isinstance(value, field_info_type):
        if marker is not None:
            _fail(f"Cannot specify FastAPI annotations in `Annotated` and default value together for {name!r}",
                  site)
        marker = value
    if depends is not None:
        return (depends.dependency if depends.dependency is not None else type_annotation), depends.scope
    _check_not_v1(type_annotation, site)
    if is_path:
        if marker is not None and not isinstance(marker, params.Path):
            _fail(f"Cannot use `{type(marker).__name__}` for path param {name!r}", site)
        if not _is_scalar(type_annotation):
            _fail("Path params must be of one of the supported types", site)
    elif isinstance(marker, params.Query):
        if not (_is_scalar(type_annotation) or _is_scalar_sequence(type_annotation)
                or _param_model(type_annotation)):
            _fail(f"Query parameter {name!r} must be one of the supported types", site)
    return None


def _undefined() -> Any:
    from pydantic_core import PydanticUndefined  # a marker exists, so pydantic is loaded

    return PydanticUndefined


def _field_info_type() -> Any:
    fields = sys.modules.get("pydantic.fields")
    return getattr(fields, "FieldInfo", None)


def _base_model() -> Any:
    module = sys.modules.get("pydantic")
    return getattr(module, "BaseModel", None) if module is not None else None


def _strip(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _subclass(candidate: Any, classes: Any) -> bool:
    return isinstance(candidate, type) and bool(classes) and issubclass(candidate, classes)


def _is_sequence(annotation: Any) -> bool:
    annotation = _strip(annotation)
    origin = get_origin(annotation)
    if origin in _UNIONS:
        return any(_is_sequence(arg) for arg in get_args(annotation))
    return any(_subclass(candidate, _SEQUENCES) and not _subclass(candidate, (str, bytes))
               for candidate in (annotation, origin))


def _is_scalar(annotation: Any) -> bool:
    """FastAPI's notion of a scalar annotation: not a model, a mapping, a sequence or a dataclass."""
    annotation = _strip(annotation)
    if annotation is Ellipsis:
        return True
    origin = get_origin(annotation)
    if origin in _UNIONS:
        return all(_is_scalar(arg) for arg in get_args(annotation))
    base_model = _base_model()
    complex_types: tuple[type, ...] = (Mapping, dict) + ((base_model,) if base_model is not None else ())
    target = origin or annotation
    return not (_subclass(target, complex_types) or _is_sequence(annotation) or dataclasses.is_dataclass(target))


def _is_scalar_sequence(annotation: Any) -> bool:
    annotation = _strip(annotation)
    origin = get_origin(annotation)
    if origin in _UNIONS:
        args = get_args(annotation)
        return any(_is_scalar_sequence(arg) for arg in args) and all(
            _is_scalar_sequence(arg) or _is_scalar(arg) for arg in args)
    if not _is_sequence(annotation):
        return False
    return all(_is_scalar(arg) for arg in get_args(annotation) if arg is not Ellipsis)


def _param_model(annotation: Any) -> bool:
    annotation = _strip(annotation)
    if get_origin(annotation) in _UNIONS:
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) != 1:
            return False
        annotation = _strip(args[0])
    base_model = _base_model()
    return base_model is not None and _subclass(annotation, base_model)


def _is_pydantic_v1(annotation: Any) -> bool:
    """A pydantic.v1 model, or a union or sequence holding one (FastAPI's test)."""
    v1 = sys.modules.get("pydantic.v1")
    base = getattr(v1, "BaseModel", None) if v1 is not None else None
    if base is None:
        return False
    annotation = _strip(annotation)
    if _subclass(annotation, base):
        return True
    if get_origin(annotation) in _UNIONS and any(_subclass(_strip(arg), base) for arg in get_args(annotation)):
        return True
    if _is_sequence(annotation):
        return any(_is_pydantic_v1(arg) for arg in get_args(annotation))
    return False
