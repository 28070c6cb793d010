"""OAuth2 flows (password, authorization code), the password request form, and SecurityScopes."""

from __future__ import annotations

from typing import Annotated, Any

from astraapi.exceptions import HTTPException
from astraapi.param_functions import Form
from astraapi.requests import HTTPConnection
from astraapi.security.base import SecurityBase
from astraapi.security.models import OAuth2 as OAuth2Model
from astraapi.security.models import OAuthFlows as OAuthFlowsModel
from astraapi.security.utils import get_authorization_scheme_param
from astraapi.status import HTTP_401_UNAUTHORIZED


class OAuth2PasswordRequestForm:
    """The form of OAuth2's password flow, as a class dependency: `form: Annotated[..., Depends()]`."""

    def __init__(
        self,
        *,
        grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
        username: Annotated[str, Form()],
        password: Annotated[str, Form(json_schema_extra={"format": "password"})],
        scope: Annotated[str, Form()] = "",
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form(json_schema_extra={"format": "password"})] = None,
    ) -> None:
        self.grant_type = grant_type
        self.username = username
        self.password = password
        self.scopes = scope.split()
        self.client_id = client_id
        self.client_secret = client_secret


class OAuth2PasswordRequestFormStrict(OAuth2PasswordRequestForm):
    """The same form with `grant_type=password` required."""

    def __init__(
        self,
        grant_type: Annotated[str, Form(pattern="^password$")],
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        scope: Annotated[str, Form()] = "",
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form()] = None,
    ) -> None:
        super().__init__(grant_type=grant_type, username=username, password=password, scope=scope,
                         client_id=client_id, client_secret=client_secret)


class OAuth2(SecurityBase):
    def __init__(self, *, flows: OAuthFlowsModel | dict[str, dict[str, Any]] = OAuthFlowsModel(),
                 scheme_name: str | None = None, description: str | None = None, auto_error: bool = True) -> None:
        self.model = OAuth2Model(flows=flows, description=description)  # type: ignore[arg-type]
        self.scheme_name = scheme_name or type(self).__name__
        self.auto_error = auto_error

    def make_not_authenticated_error(self) -> HTTPException:
        return HTTPException(status_code=HTTP_401_UNAUTHORIZED, detail="Not authenticated",
                             headers={"WWW-Authenticate": "Bearer"})

    def _reject(self) -> None:
        if self.auto_error:
            raise self.make_not_authenticated_error()
        return None

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self._answer(request.headers.get("Authorization"))  # type: ignore[return-value]

    def _answer(self, authorization: str | None) -> str | None:
        if not authorization:
            return self._reject()
        return authorization


class _BearerToken(OAuth2):
    def _answer(self, authorization: str | None) -> str | None:
        scheme, token = get_authorization_scheme_param(authorization)
        if not authorization or scheme.lower() != "bearer":
            return self._reject()
        return token


class OAuth2PasswordBearer(_BearerToken):
    def __init__(self, tokenUrl: str, scheme_name: str | None = None, scopes: dict[str, str] | None = None,  # noqa: N803
                 description: str | None = None, auto_error: bool = True, refreshUrl: str | None = None) -> None:  # noqa: N803
        flows = OAuthFlowsModel(password={"tokenUrl": tokenUrl, "refreshUrl": refreshUrl,  # type: ignore[arg-type]
                                          "scopes": scopes or {}})
        super().__init__(flows=flows, scheme_name=scheme_name, description=description, auto_error=auto_error)


class OAuth2AuthorizationCodeBearer(_BearerToken):
    def __init__(self, authorizationUrl: str, tokenUrl: str, refreshUrl: str | None = None,  # noqa: N803
                 scheme_name: str | None = None, scopes: dict[str, str] | None = None,
                 description: str | None = None, auto_error: bool = True) -> None:
        flows = OAuthFlowsModel(authorizationCode={  # type: ignore[arg-type]
            "authorizationUrl": authorizationUrl, "tokenUrl": tokenUrl, "refreshUrl": refreshUrl,
            "scopes": scopes or {},
        })
        super().__init__(flows=flows, scheme_name=scheme_name, description=description, auto_error=auto_error)


class SecurityScopes:
    """The OAuth2 scopes required by every `Security()` along the chain to this dependency."""

    def __init__(self, scopes: list[str] | None = None) -> None:
        self.scopes: list[str] = scopes or []
        self.scope_str: str = " ".join(self.scopes)
