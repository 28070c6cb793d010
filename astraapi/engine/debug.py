"""The answer to an unhandled exception in `FastAPI(debug=True)`, as Starlette's ServerErrorMiddleware
gives it in debug mode: for a client whose `accept` names text/html, an HTML page (title, "500 Server
Error", the exception, then the innermost frames first with a few lines of source each); for any other
client the plain-text traceback Python prints. Status 500 in both cases. The page is AstraAPI's own
markup: its structure follows Starlette's, its frames are AstraAPI's (see docs/compat-differences.md)."""

from __future__ import annotations

import html
import inspect
import traceback
from typing import Any

from astraapi.responses import HTMLResponse, PlainTextResponse, Response

_PAGE = """
<html>
    <head>
        <style type='text/css'>
            body {{ font-family: sans-serif; margin: 1.5em; }}
            .traceback-container {{ border: 1px solid #999; }}
            .traceback-title {{ background: #eee; margin: 0; padding: 0.5em; font-weight: bold; }}
            .frame-title {{ margin: 0.6em 0 0.2em 0.5em; }}
            .frame-line {{ font-family: monospace; margin: 0 0 0 1.5em; white-space: pre; }}
            .center-line {{ background: #fdd; }}
        </style>
        <title>AstraAPI Debugger</title>
    </head>
    <body>
        <h1>500 Server Error</h1>
        <h2>{error}</h2>
        <div class="traceback-container">
            <p class="traceback-title">Traceback</p>
            <div>{frames}</div>
        </div>
    </body>
</html>
"""

FRAME_LIMIT = 7  # source lines shown around each frame's current line


def plain_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))


def _frame_html(frame: inspect.FrameInfo) -> str:
    lines = []
    first = frame.lineno - (frame.index or 0)
    for offset, line in enumerate(frame.code_context or ()):
        number = first + offset
        css = "frame-line center-line" if number == frame.lineno else "frame-line"
        lines.append(f'<p class="{css}"><span>{number}.</span> {html.escape(line.rstrip())}</p>')
    return (
        f'<div><p class="frame-title">File <span class="frame-filename">{html.escape(frame.filename)}</span>, '
        f"line <i>{frame.lineno}</i>, in <b>{html.escape(frame.function)}</b></p>"
        f'<div class="source-code">{"".join(lines)}</div></div>'
    )


def html_page(error: BaseException) -> str:
    frames = ""
    if error.__traceback__ is not None:
        for frame in reversed(inspect.getinnerframes(error.__traceback__, FRAME_LIMIT)):
            frames += _frame_html(frame)
    text = html.escape(f"{type(error).__name__}: {error}")
    return _PAGE.format(error=text, frames=frames)


def debug_response(request: Any, error: BaseException) -> Response:
    if "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(html_page(error), status_code=500)
    return PlainTextResponse(plain_text(error), status_code=500)
