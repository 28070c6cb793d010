"""The interactive documentation pages: Swagger UI and ReDoc, loaded from their CDNs.

The pages are the ones FastAPI serves, byte for byte, with the same default asset URLs and
Swagger UI parameters, so an app's `/docs` and `/redoc` look and behave the same.
"""

from __future__ import annotations

import json
from typing import Any

from astraapi.encoders import jsonable_encoder
from astraapi.responses import HTMLResponse

SWAGGER_JS_URL = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"
SWAGGER_CSS_URL = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"
REDOC_JS_URL = "https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"
FAVICON_URL = "https://fastapi.tiangolo.com/img/favicon.png"
GOOGLE_FONTS_URL = "https://fonts.googleapis.com/css?family=Montserrat:300,400,700|Roboto:300,400,700"

swagger_ui_default_parameters: dict[str, Any] = {
    "dom_id": "#swagger-ui",
    "layout": "BaseLayout",
    "deepLinking": True,
    "showExtensions": True,
    "showCommonExtensions": True,
}
"""Swagger UI options every page gets; `swagger_ui_parameters` adds to or overrides them."""

_INDENT = "    "


def _html_safe_json(value: Any) -> str:
    """JSON that cannot close the <script> element it is written into."""
    text = json.dumps(value)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return text


def _indented(lines: list[str]) -> str:
    return "".join(f"{_INDENT}{line}\n" if line else "\n" for line in lines)


def get_swagger_ui_html(
    *,
    openapi_url: str,
    title: str,
    swagger_js_url: str = SWAGGER_JS_URL,
    swagger_css_url: str = SWAGGER_CSS_URL,
    swagger_favicon_url: str = FAVICON_URL,
    oauth2_redirect_url: str | None = None,
    init_oauth: dict[str, Any] | None = None,
    swagger_ui_parameters: dict[str, Any] | None = None,
) -> HTMLResponse:
    """The Swagger UI page for the document at `openapi_url` (normally served at /docs)."""
    parameters = {**swagger_ui_default_parameters, **(swagger_ui_parameters or {})}
    page = "\n" + _indented([
        "<!DOCTYPE html>",
        "<html>",
        "<head>",
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
        f'<link type="text/css" rel="stylesheet" href="{swagger_css_url}">',
        f'<link rel="shortcut icon" href="{swagger_favicon_url}">',
        f"<title>{title}</title>",
        "</head>",
        "<body>",
        '<div id="swagger-ui">',
        "</div>",
        f'<script src="{swagger_js_url}"></script>',
        "<!-- `SwaggerUIBundle` is now available on the page -->",
        "<script>",
        "const ui = SwaggerUIBundle({",
        f"    url: '{openapi_url}',",
    ]) + _INDENT
    page += "".join(
        f"{_html_safe_json(key)}: {_html_safe_json(jsonable_encoder(value))},\n" for key, value in parameters.items()
    )
    if oauth2_redirect_url:
        page += f"oauth2RedirectUrl: window.location.origin + '{oauth2_redirect_url}',"
    page += "\n" + _indented([
        "presets: [",
        "    SwaggerUIBundle.presets.apis,",
        "    SwaggerUIBundle.SwaggerUIStandalonePreset",
        "    ],",
    ]) + _INDENT + "})"
    if init_oauth:
        page += f"\n{_INDENT * 2}ui.initOAuth({_html_safe_json(jsonable_encoder(init_oauth))})\n{_INDENT * 2}"
    page += "\n" + _indented(["</script>", "</body>", "</html>"]) + _INDENT
    return HTMLResponse(page)


def get_redoc_html(
    *,
    openapi_url: str,
    title: str,
    redoc_js_url: str = REDOC_JS_URL,
    redoc_favicon_url: str = FAVICON_URL,
    with_google_fonts: bool = True,
) -> HTMLResponse:
    """The ReDoc page for the document at `openapi_url` (normally served at /redoc)."""
    page = "\n" + _indented([
        "<!DOCTYPE html>",
        "<html>",
        "<head>",
        f"<title>{title}</title>",
        "<!-- needed for adaptive design -->",
        '<meta charset="utf-8"/>',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
    ]) + _INDENT
    if with_google_fonts:
        page += "\n" + _indented([f'<link href="{GOOGLE_FONTS_URL}" rel="stylesheet">']) + _INDENT
    page += "\n" + _indented([
        f'<link rel="shortcut icon" href="{redoc_favicon_url}">',
        "<!--",
        "ReDoc doesn't change outer page styles",
        "-->",
        "<style>",
        "  body {",
        "    margin: 0;",
        "    padding: 0;",
        "  }",
        "</style>",
        "</head>",
        "<body>",
        "<noscript>",
        "    ReDoc requires Javascript to function. Please enable it to browse the documentation.",
        "</noscript>",
        f'<redoc spec-url="{openapi_url}"></redoc>',
        f'<script src="{redoc_js_url}"> </script>',
        "</body>",
        "</html>",
    ]) + _INDENT
    return HTMLResponse(page)


# Swagger UI's OAuth2 redirect page (the page swagger-ui-dist ships as oauth2-redirect.html).
_OAUTH2_REDIRECT_PAGE = """\
<!doctype html>
<html lang="en-US">
<head>
    <title>Swagger UI: OAuth2 Redirect</title>
</head>
<body>
<script>
    'use strict';
    function run () {
        var oauth2 = window.opener.swaggerUIRedirectOauth2;
        var sentState = oauth2.state;
        var redirectUrl = oauth2.redirectUrl;
        var isValid, qp, arr;

        if (/code|token|error/.test(window.location.hash)) {
            qp = window.location.hash.substring(1).replace('?', '&');
        } else {
            qp = location.search.substring(1);
        }

        arr = qp.split("&");
        arr.forEach(function (v,i,_arr) { _arr[i] = '"' + v.replace('=', '":"') + '"';});
        qp = qp ? JSON.parse('{' + arr.join() + '}',
                function (key, value) {
                    return key === "" ? value : decodeURIComponent(value);
                }
        ) : {};

        isValid = qp.state === sentState;

        if ((
          oauth2.auth.schema.get("flow") === "accessCode" ||
          oauth2.auth.schema.get("flow") === "authorizationCode" ||
          oauth2.auth.schema.get("flow") === "authorization_code"
        ) && !oauth2.auth.code) {
            if (!isValid) {
                oauth2.errCb({
                    authId: oauth2.auth.name,
                    source: "auth",
                    level: "warning",
                    message: "Authorization may be unsafe, passed state was changed in server. The passed state wasn't returned from auth server."
                });
            }

            if (qp.code) {
                delete oauth2.state;
                oauth2.auth.code = qp.code;
                oauth2.callback({auth: oauth2.auth, redirectUrl: redirectUrl});
            } else {
                let oauthErrorMsg;
                if (qp.error) {
                    oauthErrorMsg = "["+qp.error+"]: " +
                        (qp.error_description ? qp.error_description+ ". " : "no accessCode received from the server. ") +
                        (qp.error_uri ? "More info: "+qp.error_uri : "");
                }

                oauth2.errCb({
                    authId: oauth2.auth.name,
                    source: "auth",
                    level: "error",
                    message: oauthErrorMsg || "[Authorization failed]: no accessCode received from the server."
                });
            }
        } else {
            oauth2.callback({auth: oauth2.auth, token: qp, isValid: isValid, redirectUrl: redirectUrl});
        }
        window.close();
    }

    if (document.readyState !== 'loading') {
        run();
    } else {
        document.addEventListener('DOMContentLoaded', function () {
            run();
        });
    }
</script>
</body>
</html>"""


def get_swagger_ui_oauth2_redirect_html() -> HTMLResponse:
    """The page an OAuth2 provider redirects back to from Swagger UI (normally /docs/oauth2-redirect)."""
    page = "\n" + _indented(_OAUTH2_REDIRECT_PAGE.split("\n")) + _INDENT * 2
    return HTMLResponse(page)
