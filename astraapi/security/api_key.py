"""API keys read from a query parameter, a header or a cookie."""

from __future__ import annotations

from astraapi.exceptions import StarletteHTTPException as HTTPException
from astraapi.requests import HTTPConnection
from astraapi.security.base import SecurityBase
from astraapi.security.models import APIKey, APIKeyIn
from astraapi.status import HTTP_401_UNAUTHORIZED


class APIKeyBase(SecurityBase):
    model: APIKey

    def __init__(self, location: APIKeyIn, name: str, description: str | None, scheme_name: str | None,
                 auto_error: bool) -> None:
        self.auto_error = auto_error
        self.model = APIKey(**{"in": location}, name=name, description=description)
        self.scheme_name = scheme_name or type(self).__name__

    def make_not_authenticated_error(self) -> HTTPException:
        # A 401 must carry WWW-Authenticate; API keys have no standard challenge, so "APIKey".
        return HTTPException(status_code=HTTP_401_UNAUTHORIZED, detail="Not authenticated",
                             headers={"WWW-Authenticate": "APIKey"})

    def _source(self) -> tuple[str, str]:
        return (self.model.in_.value, self.model.name)

    def _answer(self, api_key: str | None) -> str | None:
        return self.check_api_key(api_key)

    def check_api_key(self, api_key: str | None) -> str | None:
        if api_key:
            return api_key
        if self.auto_error:
            raise self.make_not_authenticated_error()
        return None


class APIKeyQuery(APIKeyBase):
    def __init__(self, *, name: str, scheme_name: str | None = None, description: str | None = None,
                 auto_error: bool = True) -> None:
        super().__init__(APIKeyIn.query, name, description, scheme_name, auto_error)

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self.check_api_key(request.query_params.get(self.model.name))


class APIKeyHeader(APIKeyBase):
    def __init__(self, *, name: str, scheme_name: str | None = None, description: str | None = None,
                 auto_error: bool = True) -> None:
        super().__init__(APIKeyIn.header, name, description, scheme_name, auto_error)

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self.check_api_key(request.headers.get(self.model.name))


class APIKeyCookie(APIKeyBase):
    def __init__(self, *, name: str, scheme_name: str | None = None, description: str | None = None,
                 auto_error: bool = True) -> None:
        super().__init__(APIKeyIn.cookie, name, description, scheme_name, auto_error)

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self.check_api_key(request.cookies.get(self.model.name))
