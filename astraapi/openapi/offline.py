"""The docs pages served from the app itself, for machines that cannot reach a CDN (`docs_offline=True`).

The assets come from the optional package `openapi-ui-bundles` (PyPI, no dependencies of its own;
install with `pip install 'astraapi[docs-offline]'`), which ships Swagger UI 5 and ReDoc 2 builds.
Google's fonts, which FastAPI's ReDoc page links, are left out in offline mode.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from astraapi.responses import Response

OFFLINE_PACKAGE = "openapi-ui-bundles"
ASSETS_SEGMENT = "assets"

_JS = "text/javascript; charset=utf-8"
# Per page: the files it loads and the content type each is served with. Only these names are
# served; a request for any other name never reaches the file system.
PAGE_ASSETS: dict[str, dict[str, str]] = {
    "swagger_ui": {"swagger-ui-bundle.js": _JS, "swagger-ui.css": "text/css; charset=utf-8",
                   "favicon-32x32.png": "image/png"},
    "redoc": {"redoc.standalone.js": _JS, "logo-mini.svg": "image/svg+xml"},
}


class OfflineDocsUnavailable(RuntimeError):
    """docs_offline=True was asked for, but the package with the assets is not installed."""


@dataclass(frozen=True)
class SwaggerAssetUrls:
    js: str
    css: str
    favicon: str


@dataclass(frozen=True)
class RedocAssetUrls:
    js: str
    favicon: str


def asset_directory(page: str) -> str:
    """The folder holding `page`'s distribution; raises when the package is missing or incomplete."""
    try:
        import openapi_ui_bundles
    except ImportError as exc:
        raise OfflineDocsUnavailable(
            f"docs_offline=True serves the docs pages' assets from the optional package {OFFLINE_PACKAGE!r}, "
            f"which is not installed: pip install 'astraapi[docs-offline]' (or leave docs_offline off to load "
            f"them from the CDN)"
        ) from exc
    directory = str(getattr(openapi_ui_bundles, page).static_path)
    missing = [name for name in PAGE_ASSETS[page] if not os.path.isfile(os.path.join(directory, name))]
    if missing:
        raise OfflineDocsUnavailable(f"{OFFLINE_PACKAGE} at {directory} lacks {', '.join(missing)}")
    return directory


def swagger_asset_urls(prefix: str) -> SwaggerAssetUrls:
    return SwaggerAssetUrls(js=f"{prefix}/swagger-ui-bundle.js", css=f"{prefix}/swagger-ui.css",
                            favicon=f"{prefix}/favicon-32x32.png")


def redoc_asset_urls(prefix: str) -> RedocAssetUrls:
    return RedocAssetUrls(js=f"{prefix}/redoc.standalone.js", favicon=f"{prefix}/logo-mini.svg")


@cache
def _asset_bytes(page: str, name: str) -> bytes:
    with open(os.path.join(asset_directory(page), name), "rb") as handle:
        return handle.read()


def asset_response(page: str, name: str) -> Response:
    """The asset `name` of `page`, or a 404 for any name the page does not load."""
    media_type = PAGE_ASSETS[page].get(name)
    if media_type is None:
        from astraapi.exceptions import HTTPException

        raise HTTPException(status_code=404, detail="Not Found")
    return Response(_asset_bytes(page, name), media_type=media_type,
                    headers={"cache-control": "public, max-age=86400"})
