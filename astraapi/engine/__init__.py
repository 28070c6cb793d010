"""The request engine both serving modes share: parameters, validation, endpoint call, serialization.

`Executor(app, ir).handle(request, route_index, path_params)` implements the handler
contract of docs/internals.md.
"""

from astraapi.engine.executor import Executor as Executor
