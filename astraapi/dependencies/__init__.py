"""Dependency helpers under FastAPI's module path (`fastapi.dependencies`)."""
