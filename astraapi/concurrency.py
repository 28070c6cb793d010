"""Thread-pool helpers under FastAPI's names."""

from astraapi.background import run_in_threadpool as run_in_threadpool

__all__ = ["run_in_threadpool"]
