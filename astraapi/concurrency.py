"""Thread-pool helpers under FastAPI's names."""

from contextlib import asynccontextmanager as asynccontextmanager

from astraapi.background import run_in_threadpool as run_in_threadpool

__all__ = ["asynccontextmanager", "run_in_threadpool"]
