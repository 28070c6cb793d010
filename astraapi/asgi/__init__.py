"""ASGI on the native server: the scope a native request gives (scope.py) and the bridge that runs
pure ASGI middleware and mounted ASGI applications on the engine's handler contract (bridge.py)."""
