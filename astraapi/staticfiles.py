"""`StaticFiles`: serve a directory (FastAPI's `fastapi.staticfiles`, which is Starlette's).

Mounted with `app.mount("/static", StaticFiles(directory="static"), name="static")`. The mount
enters the App IR as a route whose path ends in `{path:path}` (so both modes route it through
the same trie); the engine then asks `get_response` for the answer and sends file bodies
natively with sendfile(2) (`astraapi.engine.streaming.send_file`).

What it answers, as Starlette does: GET and HEAD only (405 with `allow: GET, HEAD` otherwise);
the file with FileResponse's headers (content-type guess, content-length, last-modified, etag,
accept-ranges) and Range handling; 304 for a matching If-None-Match / If-Modified-Since with
Starlette's header set; with `html=True`, `index.html` for a directory (a directory path without
its trailing slash is redirected to it) and `404.html` for a miss. Paths are normalised and
resolved (symlinks included, unless `follow_symlink=True`) and must stay inside the directory;
anything else is a 404. Errors are raised as HTTPException, which the app's exception handlers
answer (FastAPI's default: `{"detail":"Not Found"}`).
"""

from __future__ import annotations

import errno
import importlib.util
import os
import stat
from email.utils import parsedate
from typing import Any, Union

from astraapi.datastructures import Headers
from astraapi.exceptions import StarletteHTTPException as HTTPException
from astraapi.responses import FileResponse, RedirectResponse, Response

PathLike = Union[str, "os.PathLike[str]"]

__all__ = ["NotModifiedResponse", "PathLike", "StaticFiles"]


class NotModifiedResponse(Response):
    """304 with only the validator and caching headers of the response it replaces."""

    NOT_MODIFIED_HEADERS = ("cache-control", "content-location", "date", "etag", "expires", "vary")

    def __init__(self, headers: Headers) -> None:
        super().__init__(
            status_code=304,
            headers={name: value for name, value in headers.items() if name in self.NOT_MODIFIED_HEADERS},
        )


class StaticFiles:
    def __init__(
        self,
        *,
        directory: PathLike | None = None,
        packages: list[str | tuple[str, str]] | None = None,
        html: bool = False,
        check_dir: bool = True,
        follow_symlink: bool = False,
    ) -> None:
        self.directory = directory
        self.packages = packages
        self.all_directories = self.get_directories(directory, packages)
        self.html = html
        self.config_checked = False
        self.follow_symlink = follow_symlink
        if check_dir and directory is not None and not os.path.isdir(directory):
            raise RuntimeError(f"Directory '{directory}' does not exist")

    def get_directories(
        self, directory: PathLike | None = None, packages: list[str | tuple[str, str]] | None = None
    ) -> list[PathLike]:
        """The directories files are looked up in, in order: `directory`, then each package's
        `statics` folder (or the folder named in a `(package, folder)` pair)."""
        directories: list[PathLike] = []
        if directory is not None:
            directories.append(directory)
        for package in packages or []:
            if isinstance(package, tuple):
                package, statics_dir = package
            else:
                statics_dir = "statics"
            spec = importlib.util.find_spec(package)
            assert spec is not None, f"Package {package!r} could not be found."
            assert spec.origin is not None, f"Package {package!r} could not be found."
            package_directory = os.path.normpath(os.path.join(spec.origin, "..", statics_dir))
            assert os.path.isdir(package_directory), (
                f"Directory '{statics_dir!r}' in package {package!r} could not be found."
            )
            directories.append(package_directory)
        return directories

    def check_config(self) -> None:
        """Checked once, on the first request: a missing directory is a loud error, not 404s."""
        if self.directory is None:
            return
        try:
            stat_result = os.stat(self.directory)
        except FileNotFoundError:
            raise RuntimeError(f"StaticFiles directory '{self.directory}' does not exist.") from None
        if not (stat.S_ISDIR(stat_result.st_mode) or stat.S_ISLNK(stat_result.st_mode)):
            raise RuntimeError(f"StaticFiles path '{self.directory}' is not a directory.")

    @staticmethod
    def get_path(route_path: str) -> str:
        """The path below the mount ('/css/a.css') as a relative file system path, with '.'
        and '..' components collapsed ('..' may remain in front: lookup_path refuses it)."""
        return os.path.normpath(os.path.join(*route_path.split("/")))

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        """The full path and stat of `path` in the first directory that has it, or ("", None).
        A path that resolves outside the directory (through '..' or a symlink, unless
        follow_symlink) is not looked up."""
        if path.startswith(("/", "\\")):
            return "", None
        for directory in self.all_directories:
            joined_path = os.path.join(directory, path)
            if self.follow_symlink:
                full_path = os.path.abspath(joined_path)
                directory = os.path.abspath(directory)
            else:
                full_path = os.path.realpath(joined_path)
                directory = os.path.realpath(directory)
            if os.path.commonpath([full_path, directory]) != str(directory):
                continue
            try:
                return full_path, os.stat(full_path)
            except (FileNotFoundError, NotADirectoryError):
                continue
        return "", None

    def lookup(self, path: str) -> tuple[str, os.stat_result | None]:
        """lookup_path, with Starlette's answers for what the file system refuses."""
        try:
            return self.lookup_path(path)
        except PermissionError:
            raise HTTPException(status_code=401) from None
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                raise HTTPException(status_code=404) from None
            raise
        except ValueError:  # a NUL byte in the path
            raise HTTPException(status_code=404) from None

    def get_response(self, path: str, request: Any) -> Response:
        """The answer for `path` (get_path's result). `request`: an astraapi Request (method,
        headers, url). Blocking (stat calls): the engine runs it in the thread pool."""
        if not self.config_checked:
            self.check_config()
            self.config_checked = True
        if request.method not in ("GET", "HEAD"):
            raise HTTPException(status_code=405, headers={"Allow": "GET, HEAD"})
        full_path, stat_result = self.lookup(path)
        if stat_result and stat.S_ISREG(stat_result.st_mode):
            return self.file_response(full_path, stat_result, request)
        if stat_result and stat.S_ISDIR(stat_result.st_mode) and self.html:
            full_path, stat_result = self.lookup(os.path.join(path, "index.html"))
            if stat_result is not None and stat.S_ISREG(stat_result.st_mode):
                if not request.url.path.endswith("/"):
                    return RedirectResponse(url=directory_url(request))  # a directory URL ends in "/"
                return self.file_response(full_path, stat_result, request)
        if self.html:
            full_path, stat_result = self.lookup("404.html")
            if stat_result and stat.S_ISREG(stat_result.st_mode):
                return FileResponse(full_path, stat_result=stat_result, status_code=404)
        raise HTTPException(status_code=404)

    def file_response(self, full_path: PathLike, stat_result: os.stat_result, request: Any,
                      status_code: int = 200) -> Response:
        response = FileResponse(full_path, status_code=status_code, stat_result=stat_result)
        if self.is_not_modified(response.headers, request.headers):
            return NotModifiedResponse(response.headers)
        return response

    def is_not_modified(self, response_headers: Headers, request_headers: Headers) -> bool:
        """If-None-Match (any listed tag, weak ones compared strongly, or '*') wins over
        If-Modified-Since (not modified when the file is not newer than the given date)."""
        if_none_match = request_headers.get("if-none-match")
        if if_none_match:
            if if_none_match.strip() == "*":
                return True
            etag = response_headers["etag"]
            return etag in [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        try:
            if_modified_since = parsedate(request_headers["if-modified-since"])
            last_modified = parsedate(response_headers["last-modified"])
            if if_modified_since is not None and last_modified is not None and if_modified_since >= last_modified:
                return True
        except KeyError:
            pass
        return False


def directory_url(request: Any) -> str:
    """The request's URL with "/" appended to its path, as Starlette builds it from the scope."""
    url = request.url
    path = url.path.replace("?", "%3F").replace("#", "%23").replace("\\", "%5C") + "/"
    relative = path + ("?" + url.query if url.query else "")
    return f"{url.scheme}://{url.netloc}{relative}" if url.netloc else relative
