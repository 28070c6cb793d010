"""OpenAPI document generation and the interactive docs pages (FastAPI's `fastapi.openapi`)."""
