"""The OpenAPI "security scheme" objects the security utilities describe themselves with.

They are astraapi.openapi.models' classes (as FastAPI's security utilities use
fastapi.openapi.models); they dump (by alias, without nulls) to the
`components.securitySchemes` entries FastAPI writes, keeping unknown keys (`x-...`)."""

from astraapi.openapi.models import (
    APIKey,
    APIKeyIn,
    HTTPBase,
    HTTPBearer,
    OAuth2,
    OAuthFlow,
    OAuthFlowAuthorizationCode,
    OAuthFlowClientCredentials,
    OAuthFlowImplicit,
    OAuthFlowPassword,
    OAuthFlows,
    OpenIdConnect,
    SecurityBase,
    SecuritySchemeType,
)

__all__ = [
    "APIKey", "APIKeyIn", "HTTPBase", "HTTPBearer", "OAuth2", "OAuthFlow", "OAuthFlowAuthorizationCode",
    "OAuthFlowClientCredentials", "OAuthFlowImplicit", "OAuthFlowPassword", "OAuthFlows", "OpenIdConnect",
    "SecurityBase", "SecuritySchemeType",
]
