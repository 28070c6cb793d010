"""HTTP Basic, HTTP Bearer and Digest, OpenID Connect, an authorization-code flow, an optional scheme."""

from typing import Annotated

from FRAMEWORK import Depends, FastAPI, Security
from FRAMEWORK.security import (
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
    HTTPDigest,
    OAuth2AuthorizationCodeBearer,
    OpenIdConnect,
)

app = FastAPI()
security = HTTPBasic()
bearer = HTTPBearer(bearerFormat="JWT", description="A bearer token", auto_error=False)
digest = HTTPDigest(scheme_name="DigestAuth")
oidc = OpenIdConnect(openIdConnectUrl="/.well-known/openid-configuration")
code_flow = OAuth2AuthorizationCodeBearer(authorizationUrl="authorize", tokenUrl="token", refreshUrl="refresh",
                                          scopes={"read": "Read", "write": "Write"})


@app.get("/users/me")
def read_current_user(credentials: Annotated[HTTPBasicCredentials, Depends(security)]):
    return {"username": credentials.username, "password": credentials.password}


@app.get("/bearer")
def read_bearer(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]):
    return {"credentials": credentials}


@app.get("/digest", dependencies=[Depends(digest)])
def read_digest():
    return {}


@app.get("/oidc")
def read_oidc(token: Annotated[str, Depends(oidc)], basic: Annotated[HTTPBasicCredentials, Depends(security)]):
    return {}


@app.post("/code")
def code(token: Annotated[str, Security(code_flow, scopes=["write"])], other: Annotated[str, Security(code_flow, scopes=["read"])]):
    return {}
