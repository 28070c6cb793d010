"""Server-Sent Events under FastAPI's module path (`fastapi.sse`, FastAPI 0.165).

A generator endpoint declared with `response_class=EventSourceResponse` streams each item it
yields as one event (`text/event-stream`): a `ServerSentEvent` gives the event's fields, any other
value is JSON-encoded into the `data:` field (validated and dumped with the item type of an
`AsyncIterable[T]`-style return annotation, as JSON Lines items are). While the generator is idle
for `_PING_INTERVAL` seconds, a `: ping` comment keeps the connection alive. The stream itself is
driven by astraapi.engine.streaming (`generator_response`, mode "sse"). See docs/sse.md.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from astraapi.responses import StreamingResponse

# The event object's schema (OpenAPI 3.2, "Special Considerations for Server-Sent Events"): the
# `itemSchema` of a text/event-stream response.
SSE_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "data": {"type": "string"},
        "event": {"type": "string"},
        "id": {"type": "string"},
        "retry": {"type": "integer", "minimum": 0},
    },
}

# The keep-alive comment, and how long the generator may stay idle before one is sent (seconds;
# module-level so that tests can lower it).
KEEPALIVE_COMMENT = b": ping\n\n"
_PING_INTERVAL: float = 15.0  # FastAPI's name; the engine reads astraapi.routing._PING_INTERVAL (patched there)


class EventSourceResponse(StreamingResponse):
    """`text/event-stream` streaming response; as `response_class` of a generator endpoint it
    turns the yielded items into events (any HTTP method)."""

    media_type = "text/event-stream"


class ServerSentEvent(BaseModel):
    """One event. `data` is always JSON-encoded (a str becomes `"hello"` with quotes); `raw_data`
    is written as given. `event` and `id` are single lines (`id` without NUL), `retry` is in
    milliseconds, `comment` lines start with `:` and are ignored by EventSource clients."""

    data: Any = None
    raw_data: str | None = None
    event: str | None = None
    id: str | None = None
    retry: int | None = Field(default=None, ge=0)
    comment: str | None = None

    @field_validator("event")
    @classmethod
    def _event_one_line(cls, value: str | None) -> str | None:
        return _one_line(value, "event")

    @field_validator("id")
    @classmethod
    def _id_valid(cls, value: str | None) -> str | None:
        if value is not None and "\0" in value:
            raise ValueError("SSE 'id' must not contain null characters")
        return _one_line(value, "id")

    @model_validator(mode="after")
    def _data_or_raw_data(self) -> ServerSentEvent:
        if self.data is not None and self.raw_data is not None:
            raise ValueError(
                "Cannot set both 'data' and 'raw_data' on the same ServerSentEvent. Use 'data' for "
                "JSON-serialized payloads or 'raw_data' for pre-formatted strings.")
        return self


def _one_line(value: str | None, name: str) -> str | None:
    if value is not None and ("\r" in value or "\n" in value):
        raise ValueError(f"SSE '{name}' must be a single line")
    return value


def _lines(text: str) -> list[str]:
    """Split on the line ends the SSE format knows (CRLF, LF, CR), keeping empty last lines."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def format_sse_event(*, data_str: str | None = None, event: str | None = None, id: str | None = None,
                     retry: int | None = None, comment: str | None = None) -> bytes:
    """The wire bytes of one event from already serialized data: comment lines, `event:`, one
    `data:` line per line of data, `id:`, `retry:`, then the blank line that ends the event."""
    out: list[str] = []
    if comment is not None:
        out.extend(f": {line}" for line in _lines(comment))
    if event is not None:
        out.append(f"event: {event}")
    if data_str is not None:
        out.extend(f"data: {line}" for line in _lines(data_str))
    if id is not None:
        out.append(f"id: {id}")
    if retry is not None:
        out.append(f"retry: {retry}")
    return "\n".join([*out, "", ""]).encode("utf-8")


__all__ = ["EventSourceResponse", "KEEPALIVE_COMMENT", "SSE_EVENT_SCHEMA", "ServerSentEvent", "format_sse_event"]
