"""OpenTelemetry for AstraAPI apps, as FastAPI 0.165 gives it (`FastAPI(telemetry={...})`, `fastapi.telemetry`).

With an OpenTelemetry provider configured (the app's `telemetry=` settings or the global ones), every HTTP
request gets a SERVER span named after its method and route template (`GET /items/{item_id}`), with the
semantic-convention attributes (`http.request.method`, `http.route`, `http.response.status_code`, `url.path`,
`url.query` with signatures redacted, `url.scheme`, `server.address`, ...), the
`http.server.request.duration` histogram and the `http.server.active_requests` counter, and log records for
validation failures and unhandled exceptions. `get_telemetry_data()` gives processors local data about the
request being handled (the request, the body read, the parsed arguments, the validation errors).

Nothing of this costs anything when telemetry is off: `opentelemetry-api` is imported only when the app
asks for telemetry or the process has configured OpenTelemetry, and the server then wraps the app's handler
once at start-up (astraapi/telemetry/_server.py); otherwise the handler is the app's own."""

from astraapi.telemetry._api import TelemetryConfig as TelemetryConfig
from astraapi.telemetry._api import TelemetryData as TelemetryData
from astraapi.telemetry._api import get_telemetry_data as get_telemetry_data

__all__ = ["TelemetryConfig", "TelemetryData", "get_telemetry_data"]
