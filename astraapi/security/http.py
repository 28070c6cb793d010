"""HTTP authentication schemes read from the `Authorization` header: Basic, Bearer, Digest."""

from __future__ import annotations

import binascii
from base64 import b64decode

from pydantic import BaseModel

from astraapi.exceptions import HTTPException
from astraapi.requests import HTTPConnection
from astraapi.security.base import SecurityBase
from astraapi.security.models import HTTPBase as HTTPBaseModel
from astraapi.security.models import HTTPBearer as HTTPBearerModel
from astraapi.security.utils import get_authorization_scheme_param
from astraapi.status import HTTP_401_UNAUTHORIZED


class HTTPBasicCredentials(BaseModel):
    username: str
    password: str


class HTTPAuthorizationCredentials(BaseModel):
    scheme: str
    credentials: str


class HTTPBase(SecurityBase):
    model: HTTPBaseModel

    def __init__(self, *, scheme: str, scheme_name: str | None = None, description: str | None = None,
                 auto_error: bool = True) -> None:
        self.model = HTTPBaseModel(scheme=scheme, description=description)
        self.scheme_name = scheme_name or type(self).__name__
        self.auto_error = auto_error

    def make_authenticate_headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": self.model.scheme.title()}

    def make_not_authenticated_error(self) -> HTTPException:
        return HTTPException(status_code=HTTP_401_UNAUTHORIZED, detail="Not authenticated",
                             headers=self.make_authenticate_headers())

    def _reject(self) -> None:
        if self.auto_error:
            raise self.make_not_authenticated_error()
        return None

    async def __call__(self, request: HTTPConnection) -> HTTPAuthorizationCredentials | None:
        return self._answer(request.headers.get("Authorization"))  # type: ignore[return-value]

    def _answer(self, authorization: str | None) -> HTTPAuthorizationCredentials | None:
        scheme, credentials = get_authorization_scheme_param(authorization)
        if not (authorization and scheme and credentials):
            return self._reject()
        return HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials)


class HTTPBasic(HTTPBase):
    def __init__(self, *, scheme_name: str | None = None, realm: str | None = None, description: str | None = None,
                 auto_error: bool = True) -> None:
        self.model = HTTPBaseModel(scheme="basic", description=description)
        self.scheme_name = scheme_name or type(self).__name__
        self.realm = realm
        self.auto_error = auto_error

    def make_authenticate_headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": f'Basic realm="{self.realm}"' if self.realm else "Basic"}

    def _answer(self, authorization: str | None) -> HTTPBasicCredentials | None:  # type: ignore[override]
        scheme, param = get_authorization_scheme_param(authorization)
        if not authorization or scheme.lower() != "basic":
            return self._reject()
        # Undecodable credentials are always an error, even with auto_error=False.
        try:
            decoded = b64decode(param).decode("ascii")
        except (ValueError, UnicodeDecodeError, binascii.Error) as error:
            raise self.make_not_authenticated_error() from error
        username, colon, password = decoded.partition(":")
        if not colon:
            raise self.make_not_authenticated_error()
        return HTTPBasicCredentials(username=username, password=password)


class _SchemeChecked(HTTPBase):
    _expected = ""

    def _answer(self, authorization: str | None) -> HTTPAuthorizationCredentials | None:
        scheme, credentials = get_authorization_scheme_param(authorization)
        if not (authorization and scheme and credentials) or scheme.lower() != self._expected:
            return self._reject()
        return HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials)


class HTTPBearer(_SchemeChecked):
    _expected = "bearer"

    def __init__(self, *, bearerFormat: str | None = None, scheme_name: str | None = None,  # noqa: N803
                 description: str | None = None, auto_error: bool = True) -> None:
        self.model = HTTPBearerModel(bearerFormat=bearerFormat, description=description)
        self.scheme_name = scheme_name or type(self).__name__
        self.auto_error = auto_error


class HTTPDigest(_SchemeChecked):
    _expected = "digest"

    def __init__(self, *, scheme_name: str | None = None, description: str | None = None,
                 auto_error: bool = True) -> None:
        self.model = HTTPBaseModel(scheme="digest", description=description)
        self.scheme_name = scheme_name or type(self).__name__
        self.auto_error = auto_error
