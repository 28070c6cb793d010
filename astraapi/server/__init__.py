"""Serving an app: the event loop + native server per worker, and the worker supervisor."""
