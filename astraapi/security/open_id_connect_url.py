"""OpenID Connect: the raw `Authorization` header value."""

from __future__ import annotations

from astraapi.exceptions import StarletteHTTPException as HTTPException
from astraapi.requests import HTTPConnection
from astraapi.security.base import SecurityBase
from astraapi.security.models import OpenIdConnect as OpenIdConnectModel
from astraapi.status import HTTP_401_UNAUTHORIZED


class OpenIdConnect(SecurityBase):
    def __init__(self, *, openIdConnectUrl: str, scheme_name: str | None = None,  # noqa: N803
                 description: str | None = None, auto_error: bool = True) -> None:
        self.model = OpenIdConnectModel(openIdConnectUrl=openIdConnectUrl, description=description)
        self.scheme_name = scheme_name or type(self).__name__
        self.auto_error = auto_error

    def make_not_authenticated_error(self) -> HTTPException:
        return HTTPException(status_code=HTTP_401_UNAUTHORIZED, detail="Not authenticated",
                             headers={"WWW-Authenticate": "Bearer"})

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self._answer(request.headers.get("Authorization"))

    def _answer(self, authorization: str | None) -> str | None:
        if authorization:
            return authorization
        if self.auto_error:
            raise self.make_not_authenticated_error()
        return None
