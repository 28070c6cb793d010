"""Introspection: the app's declarations -> analysis records and the App IR (the front half, read by
both modes, OpenAPI and the compiler; the only place that inspects user functions).

`app` (analyze_app, analyze_route, build_ir), `records` (the analysis records), `analyzer` (routes,
parameters, dependencies), `dependencies` and `params` (their helpers), `annotations` (annotation and
callable helpers), `types` (annotation -> TypeRef), `models` (pydantic models -> ModelIR),
`openapi_schema` (OpenAPI schema pieces), `fingerprint` (the declarations' fingerprint),
`source_lines` and `module_names` (where a declaration comes from)."""
