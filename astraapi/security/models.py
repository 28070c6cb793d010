"""The OpenAPI "security scheme" objects the security utilities describe themselves with.

They dump (by alias, without nulls) to the `components.securitySchemes` entries FastAPI
writes. Unknown keys are kept (OpenAPI extensions such as `x-...`)."""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class SecuritySchemeType(Enum):
    apiKey = "apiKey"  # noqa: N815 (OpenAPI's spelling)
    http = "http"
    oauth2 = "oauth2"
    openIdConnect = "openIdConnect"  # noqa: N815


class SecurityBase(_Open):
    type_: SecuritySchemeType = Field(alias="type")
    description: str | None = None


class APIKeyIn(Enum):
    query = "query"
    header = "header"
    cookie = "cookie"


class APIKey(SecurityBase):
    type_: SecuritySchemeType = Field(default=SecuritySchemeType.apiKey, alias="type")
    in_: APIKeyIn = Field(alias="in")
    name: str


class HTTPBase(SecurityBase):
    type_: SecuritySchemeType = Field(default=SecuritySchemeType.http, alias="type")
    scheme: str


class HTTPBearer(HTTPBase):
    scheme: Literal["bearer"] = "bearer"
    bearerFormat: str | None = None  # noqa: N815


class OAuthFlow(_Open):
    refreshUrl: str | None = None  # noqa: N815
    scopes: dict[str, str] = {}


class OAuthFlowImplicit(OAuthFlow):
    authorizationUrl: str  # noqa: N815


class OAuthFlowPassword(OAuthFlow):
    tokenUrl: str  # noqa: N815


class OAuthFlowClientCredentials(OAuthFlow):
    tokenUrl: str  # noqa: N815


class OAuthFlowAuthorizationCode(OAuthFlow):
    authorizationUrl: str  # noqa: N815
    tokenUrl: str  # noqa: N815


class OAuthFlows(_Open):
    implicit: OAuthFlowImplicit | None = None
    password: OAuthFlowPassword | None = None
    clientCredentials: OAuthFlowClientCredentials | None = None  # noqa: N815
    authorizationCode: OAuthFlowAuthorizationCode | None = None  # noqa: N815


class OAuth2(SecurityBase):
    type_: SecuritySchemeType = Field(default=SecuritySchemeType.oauth2, alias="type")
    flows: OAuthFlows


class OpenIdConnect(SecurityBase):
    type_: SecuritySchemeType = Field(default=SecuritySchemeType.openIdConnect, alias="type")
    openIdConnectUrl: str  # noqa: N815
