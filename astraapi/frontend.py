"""`app.frontend(path, directory=...)`: a built single-page app, as FastAPI 0.165 serves it.

The files are served like StaticFiles(html=True) (index.html for directories, with the
trailing-slash redirect), but only when no route, mount or trailing-slash redirect of the app
matched (the router's low-priority pass: `RouteIR.mount == "frontend"`). For a path with no
file: `404.html` (status 404) when it exists (fallback "auto" or "404.html"), else `index.html`
(status 200) when the request is a browser navigation -- its Accept header lists text/html or
application/xhtml+xml with a non-zero q -- (fallback "auto" or "index.html"), else 404.
A method other than GET/HEAD is 405 when the path names a file, else 404.
"""

from __future__ import annotations

import email.message
import os
import stat
import sys
import warnings
from collections.abc import Iterator
from typing import Any

from astraapi.background import BackgroundTasks
from astraapi.concurrency import run_in_threadpool
from astraapi.exceptions import StarletteHTTPException as HTTPException
from astraapi.requests import Request
from astraapi.responses import RedirectResponse, Response
from astraapi.staticfiles import StaticFiles, directory_url

FALLBACKS = ("auto", "index.html", "404.html", None)


def resolve_frontend_check_dir(*, directory: str | os.PathLike[str], check_dir: bool | str) -> bool:
    """check_dir="auto": check, except with FASTAPI_ENV=development (then only warn)."""
    if check_dir != "auto":
        return bool(check_dir)
    if os.environ.get("FASTAPI_ENV") != "development":
        return True
    if not os.path.isdir(directory):
        warnings.warn(
            f"Frontend directory '{directory}' does not exist. "
            f"Resolved absolute path: '{os.path.realpath(os.fspath(directory))}'",
            stacklevel=_user_stacklevel(),
        )
    return False


def _user_stacklevel() -> int:
    """The `stacklevel` of the caller's caller's nearest frame outside the astraapi package (the user's
    `app.frontend(...)` or `router.frontend(...)` line)."""
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame = sys._getframe(1)  # the function that warns: stacklevel 1
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame = frame.f_back
        level += 1
    return level


class FrontendStaticFiles(StaticFiles):
    def __init__(self, *, directory: str | os.PathLike[str], fallback: str | None, check_dir: bool) -> None:
        if fallback not in FALLBACKS:
            raise AssertionError("fallback must be 'auto', 'index.html', '404.html', or None")
        self.fallback = fallback
        if check_dir and not os.path.isdir(directory):
            raise RuntimeError(
                f"Frontend directory '{directory}' does not exist. "
                f"Resolved absolute path: '{os.path.realpath(os.fspath(directory))}'"
            )
        super().__init__(directory=directory, html=True, check_dir=check_dir, follow_symlink=False)
        if check_dir and fallback in ("index.html", "404.html"):
            _, stat_result = self.lookup_path(fallback)
            if stat_result is None or not stat.S_ISREG(stat_result.st_mode):
                raise RuntimeError(self._missing_fallback(fallback))

    def _missing_fallback(self, fallback: str) -> str:
        return (f"Frontend fallback file '{fallback}' does not exist in directory '{self.directory}'. "
                f"Resolved absolute directory: '{os.path.realpath(os.fspath(self.directory or ''))}'")

    def _static_resource(self, path: str) -> tuple[str, os.stat_result, bool] | None:
        full_path, stat_result = self.lookup(path)
        if stat_result is None:
            return None
        if stat.S_ISREG(stat_result.st_mode):
            return full_path, stat_result, False
        if stat.S_ISDIR(stat_result.st_mode):
            full_path, stat_result = self.lookup(os.path.join(path, "index.html"))
            if stat_result is not None and stat.S_ISREG(stat_result.st_mode):
                return full_path, stat_result, True
        return None

    def _exists(self, fallback: str) -> bool:
        _, stat_result = self.lookup_path(fallback)
        return stat_result is not None and stat.S_ISREG(stat_result.st_mode)

    def _fallback(self, fallback: str, request: Any, status_code: int) -> Response:
        full_path, stat_result = self.lookup_path(fallback)
        if stat_result is None or not stat.S_ISREG(stat_result.st_mode):
            raise RuntimeError(self._missing_fallback(fallback))
        return self.file_response(full_path, stat_result, request, status_code=status_code)

    def get_response(self, path: str, request: Any) -> Response:
        if not self.config_checked:
            self.check_config()
            self.config_checked = True
        if request.method not in ("GET", "HEAD"):
            if self._static_resource(path) is not None:
                raise HTTPException(status_code=405)
            raise HTTPException(status_code=404)
        resource = self._static_resource(path)
        if resource is not None:
            full_path, stat_result, is_directory_index = resource
            if is_directory_index and not request.url.path.endswith("/"):
                return RedirectResponse(url=directory_url(request))
            return self.file_response(full_path, stat_result, request)
        if self.fallback == "404.html" or (self.fallback == "auto" and self._exists("404.html")):
            return self._fallback("404.html", request, 404)
        if (self.fallback == "index.html" or (self.fallback == "auto" and self._exists("index.html"))) \
                and is_navigation_request(request.headers.get("accept", "")):
            return self._fallback("index.html", request, 200)
        raise HTTPException(status_code=404)


def _accept_media_types(accept: str) -> Iterator[tuple[str, float]]:
    for raw_value in accept.split(","):
        message = email.message.Message()
        message["content-type"] = raw_value.strip()
        q = message.get_param("q")
        quality = 1.0
        if isinstance(q, str):
            try:
                quality = float(q)
            except ValueError:
                pass
        yield f"{message.get_content_maintype()}/{message.get_content_subtype()}", quality


def is_navigation_request(accept: str) -> bool:
    """A browser navigation: the Accept header takes HTML (text/html or application/xhtml+xml, q != 0)."""
    return any(media in ("text/html", "application/xhtml+xml") and quality != 0
               for media, quality in _accept_media_types(accept))


def guarded_endpoint(files: FrontendStaticFiles, with_path: bool) -> Any:
    """The endpoint of a frontend's GET/HEAD route when its router has dependencies: the engine
    solves them (exception handlers, background tasks and all) before the files answer.
    `with_path`: the route's path ends in {path:path} (the path below the frontend's prefix)."""

    async def serve(request: Request, rest: str, dependencies: Response, background: BackgroundTasks) -> Response:
        answer = await run_in_threadpool(files.get_response, files.get_path("/" + rest), request)
        # what the dependencies set on their Response and BackgroundTasks goes with the file (FastAPI)
        answer.raw_headers.extend(dependencies.raw_headers)
        if answer.background is None:
            answer.background = background
        return answer

    if with_path:
        async def serve_frontend_path(request: Request, path: str, response: Response,
                                      background_tasks: BackgroundTasks) -> Response:
            return await serve(request, path, response, background_tasks)

        return serve_frontend_path

    async def serve_frontend(request: Request, response: Response, background_tasks: BackgroundTasks) -> Response:
        return await serve(request, "", response, background_tasks)

    return serve_frontend
