"""The OpenAPI document, made from the App IR alone (`openapi_from_ir`), and FastAPI's `get_openapi`.

Introspection stores in the IR everything the document needs (see
`astraapi.introspection.openapi_schema`): JSON Schemas as JSON text, operation metadata as plain
values. This module only assembles them, in FastAPI's order and with FastAPI's rules, then
passes the result through the `OpenAPI` model and `jsonable_encoder(by_alias=True,
exclude_none=True)`, as FastAPI does, so key order and value types come out the same.
"""

from __future__ import annotations

import copy
import http.client
import json
import warnings
from collections.abc import Sequence
from enum import Enum
from typing import Any

from astraapi.datastructures import DefaultPlaceholder as DefaultPlaceholder
from astraapi.ir.nodes import AppIR, DependencyIR, ParamIR, RouteIR
from astraapi.encoders import jsonable_encoder
from astraapi.exceptions import AstraAPIError, FastAPIDeprecationWarning
from astraapi.openapi.constants import METHODS_WITH_BODY, REF_PREFIX
from astraapi.openapi.models import OpenAPI

validation_error_definition = {
    "title": "ValidationError",
    "type": "object",
    "properties": {
        "loc": {
            "title": "Location",
            "type": "array",
            "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        },
        "msg": {"title": "Message", "type": "string"},
        "type": {"title": "Error Type", "type": "string"},
        "input": {"title": "Input"},
        "ctx": {"title": "Context", "type": "object"},
    },
    "required": ["loc", "msg", "type"],
}

validation_error_response_definition = {
    "title": "HTTPValidationError",
    "type": "object",
    "properties": {
        "detail": {
            "title": "Detail",
            "type": "array",
            "items": {"$ref": REF_PREFIX + "ValidationError"},
        }
    },
}

status_code_ranges: dict[str, str] = {
    "1XX": "Information",
    "2XX": "Success",
    "3XX": "Redirection",
    "4XX": "Client Error",
    "5XX": "Server Error",
    "DEFAULT": "Default Response",
}

_PARAMETER_LOCATIONS = ("path", "query", "header", "cookie")


def deep_dict_update(main_dict: dict[Any, Any], update_dict: dict[Any, Any]) -> None:
    """Merge `update_dict` into `main_dict`: dicts merge recursively, lists concatenate, the rest replaces."""
    for key, value in update_dict.items():
        current = main_dict.get(key)
        if key in main_dict and isinstance(current, dict) and isinstance(value, dict):
            deep_dict_update(current, value)
        elif key in main_dict and isinstance(current, list) and isinstance(value, list):
            main_dict[key] = current + value
        else:
            main_dict[key] = value


def is_body_allowed_for_status_code(status_code: int | str | None) -> bool:
    if status_code is None:
        return True
    if status_code in {"default", "1XX", "2XX", "3XX", "4XX", "5XX"}:
        return True
    code = int(status_code)
    return not (code < 200 or code in {204, 205, 304})


_ENUM_TAGS: dict[str, Enum] = {}


def _enum_tag(value: str) -> Enum:
    """A tag that was declared as a member of a non-str Enum. FastAPI keeps such members in the
    operation, where the OpenAPI model's `tags: list[str]` rejects them: that path's item is then
    written as built instead of through the model (another key order). An Enum member here
    reproduces that; `jsonable_encoder` writes its value."""
    member = _ENUM_TAGS.get(value)
    if member is None:
        member = _ENUM_TAGS[value] = Enum("Tag", [("tag", value)]).tag  # type: ignore[attr-defined]
    return member



def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


# --------------------------------------------------------------------------- operations


def parameter_object(param: ParamIR) -> dict[str, Any]:
    """One path/query/header/cookie parameter of an operation."""
    parameter: dict[str, Any] = {
        "name": param.alias,
        "in": param.location,
        "required": param.required,
        "schema": _loads(param.schema_json),
    }
    if param.description:
        parameter["description"] = param.description
    if param.openapi_examples_json is not None:
        parameter["examples"] = _loads(param.openapi_examples_json)
    elif param.example_json is not None:
        parameter["example"] = _loads(param.example_json)
    if param.deprecated:
        parameter["deprecated"] = True
    return parameter


def flat_dependency_data(route: RouteIR) -> tuple[list[ParamIR], list[tuple[DependencyIR, tuple[str, ...]]]]:
    """FastAPI's flattening of a route's dependency tree for the document: (the request
    parameters of the endpoint and of each dependency, visited once by its identity — call,
    cache scopes, computed scope — in depth-first order; the security scheme dependencies met
    on the way, each with the OAuth2 scopes required along its chain)."""
    params: list[ParamIR] = list(route.params)
    security: list[tuple[DependencyIR, tuple[str, ...]]] = []
    visited: set[tuple[Any, ...]] = set()
    stack: list[tuple[DependencyIR, tuple[str, ...]]] = [(dep, ()) for dep in reversed(route.dependencies)]
    while stack:
        node, parent_scopes = stack.pop()
        key = (node.call, node.call_id, node.cache_scopes, node.computed_scope or "")
        if key in visited:
            continue
        visited.add(key)
        params.extend(node.params)
        scopes = list(parent_scopes)
        for scope in node.effective_scopes:
            if scope not in scopes:
                scopes.append(scope)
        if node.security_scheme_json is not None and node.security_scheme_name is not None:
            security.append((node, tuple(scopes)))
        stack.extend((sub, tuple(scopes)) for sub in reversed(node.dependencies))
    return params, security


def operation_security(security: list[tuple[DependencyIR, tuple[str, ...]]]) -> tuple[
        dict[str, Any], list[dict[str, list[str]]]]:
    """(securitySchemes entries, the operation's `security`): one requirement per scheme name,
    its scopes merged in order."""
    definitions: dict[str, Any] = {}
    requirements: dict[str, list[str]] = {}
    for node, scopes in security:
        name = node.security_scheme_name
        assert name is not None
        definitions[name] = _loads(node.security_scheme_json)
        merged = requirements.setdefault(name, [])
        merged.extend(scope for scope in scopes if scope not in merged)
    return definitions, [{name: scopes} for name, scopes in requirements.items()]


def operation_parameters(route: RouteIR, flat_params: Sequence[ParamIR] | None = None) -> list[dict[str, Any]]:
    """Path, then query, header and cookie parameters (of the endpoint and its dependencies);
    a (location, name) pair appears once, a required declaration winning over an optional one."""
    if flat_params is None:
        flat_params = flat_dependency_data(route)[0]
    parameters = [
        parameter_object(entry)
        for location in _PARAMETER_LOCATIONS
        for param in flat_params
        if param.location == location and param.include_in_schema
        for entry in (param.fields or (param,))  # a parameter model: each of its fields
        if entry.schema_json is not None
    ]
    unique = {(p["in"], p["name"]): p for p in parameters}
    unique.update({(p["in"], p["name"]): p for p in parameters if p.get("required")})
    return list(unique.values())


def request_body_object(route: RouteIR) -> dict[str, Any] | None:
    if route.body_schema_json is None:
        return None
    body: dict[str, Any] = {}
    if route.body_required:
        body["required"] = True
    content: dict[str, Any] = {"schema": _loads(route.body_schema_json)}
    if route.body_openapi_examples_json is not None:
        content["examples"] = _loads(route.body_openapi_examples_json)
    elif route.body_example_json is not None:
        content["example"] = _loads(route.body_example_json)
    body["content"] = {route.body_media_type: content}
    return body


def _has_request_fields(route: RouteIR, flat_params: Sequence[ParamIR]) -> bool:
    return any(p.location in _PARAMETER_LOCATIONS for p in flat_params) or route.body_schema_json is not None


def operation_object(route: RouteIR, method: str, operation_ids: set[str],
                     definitions: dict[str, Any], security_schemes: dict[str, Any] | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {}
    if route.tags:
        operation["tags"] = [_enum_tag(tag) if tag in route.enum_tags else tag for tag in route.tags]
    operation["summary"] = route.summary or route.name.replace("_", " ").title()
    if route.description:
        operation["description"] = route.description
    operation_id = route.operation_id or route.unique_id
    if operation_id in operation_ids:
        warnings.warn(
            f"Duplicate Operation ID {operation_id} for function {route.endpoint.rpartition(':')[2]} "
            f"at {route.source}",
            stacklevel=1,
        )
    operation_ids.add(operation_id)
    operation["operationId"] = operation_id
    if route.deprecated:
        operation["deprecated"] = route.deprecated
    flat_params, security = flat_dependency_data(route)
    scheme_definitions, requirements = operation_security(security)
    if requirements:
        operation.setdefault("security", []).extend(requirements)
    if scheme_definitions and security_schemes is not None:
        security_schemes.update(scheme_definitions)
    parameters = operation_parameters(route, flat_params)
    if parameters:
        operation["parameters"] = parameters
    if method in METHODS_WITH_BODY:
        body = request_body_object(route)
        if body:
            operation["requestBody"] = body
    if route.callbacks:
        # FastAPI documents each callback route under its name and (raw) path; what a callback's
        # operation would add to the components or security schemes is not kept.
        operation["callbacks"] = {callback.name: {callback.path: path_item(callback, operation_ids, {}, None)}
                                  for callback in route.callbacks}

    responses = operation.setdefault("responses", {})
    status_code = route.openapi_status_code
    responses.setdefault(status_code, {})["description"] = route.response_description
    if is_body_allowed_for_status_code(route.status_code) and route.json_stream:
        item_schema = _loads(route.stream_item_schema_json) if route.stream_item_schema_json is not None else {}
        responses.setdefault(status_code, {}).setdefault("content", {})["application/jsonl"] = {
            "itemSchema": item_schema}
    elif is_body_allowed_for_status_code(route.status_code) and route.response_media_type:
        schema: Any = {"type": "string"}
        if route.response_class_is_json:
            schema = _loads(route.response_schema_json) if route.response_schema_json is not None else {}
        content = responses.setdefault(status_code, {}).setdefault("content", {})
        if route.response_media_type == "text/event-stream" and route.response_schema_json is not None:
            # a generator endpoint with EventSourceResponse: the schema of each event
            content[route.response_media_type] = {"itemSchema": _loads(route.response_schema_json)}
        else:
            content.setdefault(route.response_media_type, {})["schema"] = schema
    for extra in route.responses:
        declared = copy.deepcopy(_loads(extra.spec_json))
        key = extra.status.upper()
        if key == "DEFAULT":
            key = "default"
        response = responses.setdefault(key, {})
        if extra.schema_json is not None:
            media_type = route.response_media_type or "application/json"
            target = declared.setdefault("content", {}).setdefault(media_type, {}).setdefault("schema", {})
            deep_dict_update(target, _loads(extra.schema_json))
        status_text = status_code_ranges.get(extra.status.upper()) or http.client.responses.get(int(extra.status))
        description = declared.get("description") or response.get("description") or status_text or (
            "Additional Response")
        deep_dict_update(response, declared)
        response["description"] = description
    if _has_request_fields(route, flat_params) and not any(s in responses for s in ("422", "4XX", "default")):
        responses["422"] = {
            "description": "Validation Error",
            "content": {"application/json": {"schema": {"$ref": REF_PREFIX + "HTTPValidationError"}}},
        }
        if "ValidationError" not in definitions:
            definitions["ValidationError"] = validation_error_definition
            definitions["HTTPValidationError"] = validation_error_response_definition
    if route.openapi_extra_json is not None:
        deep_dict_update(operation, _loads(route.openapi_extra_json))
    return operation


def path_item(route: RouteIR, operation_ids: set[str], definitions: dict[str, Any],
              security_schemes: dict[str, Any] | None = None) -> dict[str, Any]:
    """{method: operation} for one route ({} when it is not in the schema)."""
    if not route.include_in_schema:
        return {}
    return {method.lower(): operation_object(route, method, operation_ids, definitions, security_schemes)
            for method in route.methods}


# --------------------------------------------------------------------------- documents


def openapi_document(
    *,
    title: str,
    version: str,
    routes: Sequence[RouteIR],
    schemas: dict[str, Any],
    openapi_version: str = "3.1.0",
    summary: str | None = None,
    description: str | None = None,
    webhooks: Sequence[RouteIR] = (),
    tags: list[dict[str, Any]] | None = None,
    servers: list[dict[str, Any]] | None = None,
    terms_of_service: str | None = None,
    contact: dict[str, Any] | None = None,
    license_info: dict[str, Any] | None = None,
    external_docs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The document for IR routes whose shared schemas are `schemas` (component name -> schema)."""
    from astraapi.routing import path_format

    info: dict[str, Any] = {"title": title, "version": version}
    if summary:
        info["summary"] = summary
    if description:
        info["description"] = description
    if terms_of_service:
        info["termsOfService"] = terms_of_service
    if contact:
        info["contact"] = contact
    if license_info:
        info["license"] = license_info
    output: dict[str, Any] = {"openapi": openapi_version, "info": info}
    if servers:
        output["servers"] = servers
    definitions = copy.deepcopy(schemas)
    operation_ids: set[str] = set()
    paths: dict[str, dict[str, Any]] = {}
    security_schemes: dict[str, Any] = {}
    for route in routes:
        item = path_item(route, operation_ids, definitions, security_schemes)
        if item:
            paths.setdefault(path_format(route.path), {}).update(item)
    webhook_paths: dict[str, dict[str, Any]] = {}
    for route in webhooks:
        item = path_item(route, operation_ids, definitions, security_schemes)
        if item:
            webhook_paths.setdefault(path_format(route.path), {}).update(item)
    components: dict[str, Any] = {}
    if definitions:
        components["schemas"] = {name: definitions[name] for name in sorted(definitions)}
    if security_schemes:
        components["securitySchemes"] = security_schemes
    if components:
        output["components"] = components
    output["paths"] = paths
    if webhook_paths:
        output["webhooks"] = webhook_paths
    if tags:
        output["tags"] = tags
    if external_docs:
        output["externalDocs"] = external_docs
    return jsonable_encoder(OpenAPI(**output), by_alias=True, exclude_none=True)  # type: ignore[no-any-return]


def openapi_from_ir(ir: AppIR) -> dict[str, Any]:
    """The app's OpenAPI document: a function of its IR only."""
    if ir.openapi_error is not None:
        raise AstraAPIError(f"cannot generate the OpenAPI document: {ir.openapi_error}")
    settings = _loads(ir.openapi_settings_json) or {}
    return openapi_document(
        title=settings.get("title", ir.title),
        version=settings.get("version", ir.version),
        openapi_version=settings.get("openapi_version") or "3.1.0",
        summary=settings.get("summary"),
        description=settings.get("description"),
        routes=ir.routes,
        webhooks=ir.webhooks,
        schemas=_loads(ir.schemas_json) or {},
        tags=settings.get("tags"),
        servers=settings.get("servers"),
        terms_of_service=settings.get("terms_of_service"),
        contact=settings.get("contact"),
        license_info=settings.get("license_info"),
        external_docs=settings.get("external_docs"),
    )


def routes_ir(routes: Sequence[Any], webhooks: Sequence[Any] = (), *,
              separate_input_output_schemas: bool = True) -> tuple[tuple[RouteIR, ...], tuple[RouteIR, ...], dict[str, Any]]:
    """Introspect route records (e.g. `app.routes`) and webhook records into IR routes with their
    OpenAPI fields, and the component schemas they share."""
    from astraapi.introspection.app import analyze_records
    from astraapi.introspection.openapi_schema import with_openapi

    def endpoints(records: Sequence[Any]) -> list[Any]:  # mounts document nothing
        return [route for route in analyze_records(records).routes if route.ir.mount is None
                and not route.ir.low_priority]

    route_endpoints = endpoints(routes)
    webhook_endpoints = endpoints(webhooks) if webhooks else []
    ir_routes, schemas_json = with_openapi([*route_endpoints, *webhook_endpoints],
                                           separate_input_output_schemas=separate_input_output_schemas)
    split = len(route_endpoints)
    return tuple(ir_routes[:split]), tuple(ir_routes[split:]), json.loads(schemas_json)


def get_openapi(
    *,
    title: str,
    version: str,
    openapi_version: str = "3.1.0",
    summary: str | None = None,
    description: str | None = None,
    routes: Sequence[Any],
    webhooks: Sequence[Any] | None = None,
    tags: list[dict[str, Any]] | None = None,
    servers: list[dict[str, str | Any]] | None = None,
    terms_of_service: str | None = None,
    contact: dict[str, str | Any] | None = None,
    license_info: dict[str, str | Any] | None = None,
    separate_input_output_schemas: bool = True,
    external_docs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """FastAPI's `get_openapi`: the document for `routes` (e.g. `app.routes`, or RouteContexts), with these settings."""
    from astraapi._routing.include import flat_records

    # RouteContexts and inclusions: the routes as served (an included route with the inclusion's prefix, ...)
    routes = flat_records(routes)
    webhooks = flat_records(webhooks or ())
    ir_routes, ir_webhooks, schemas = routes_ir(routes, webhooks,
                                                separate_input_output_schemas=separate_input_output_schemas)
    return openapi_document(
        title=title, version=version, routes=ir_routes, schemas=schemas,
        openapi_version=openapi_version, summary=summary, description=description,
        webhooks=ir_webhooks,
        tags=tags, servers=servers, terms_of_service=terms_of_service, contact=contact,
        license_info=license_info, external_docs=external_docs,
    )


def generate_operation_summary(*, route: Any, method: str) -> str:
    """The operation's summary: the declared one, else the route name in title case."""
    return route.summary or route.name.replace("_", " ").title()


def generate_operation_id_for_path(*, name: str, path: str, method: str) -> str:
    """FastAPI's deprecated helper: `name + path`, non-word characters as `_`, then the method."""
    import re

    warnings.warn("generate_operation_id_for_path() is deprecated: operation ids come from generate_unique_id",
                  DeprecationWarning, stacklevel=2)
    return f"{re.sub(r'[^0-9a-zA-Z_]', '_', name + path)}_{method.lower()}"


def generate_operation_id(*, route: Any, method: str) -> str:
    """FastAPI's deprecated helper: the declared operation id, else one from the name, path and method."""
    from astraapi.routing import path_format

    if route.operation_id:
        return route.operation_id  # type: ignore[no-any-return]
    return generate_operation_id_for_path(name=route.name, path=path_format(route.path), method=method)


def _reexports() -> None:
    """FastAPI's module also exposes these names."""
    from astraapi import params, responses
    from astraapi.dependencies.utils import lenient_issubclass

    globals().update(Body=params.Body, ParamTypes=params.ParamTypes, JSONResponse=responses.JSONResponse,
                     Response=responses.Response, lenient_issubclass=lenient_issubclass,
                     FastAPIDeprecationWarning=FastAPIDeprecationWarning)


_reexports()

__all__ = [
    "generate_operation_id",
    "generate_operation_id_for_path",
    "generate_operation_summary",
    "get_openapi",
    "openapi_document",
    "openapi_from_ir",
    "routes_ir",
]
