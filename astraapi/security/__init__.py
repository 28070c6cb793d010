"""Security utilities under FastAPI's names (`fastapi.security`)."""

from astraapi.security.api_key import APIKeyCookie as APIKeyCookie
from astraapi.security.api_key import APIKeyHeader as APIKeyHeader
from astraapi.security.api_key import APIKeyQuery as APIKeyQuery
from astraapi.security.http import HTTPAuthorizationCredentials as HTTPAuthorizationCredentials
from astraapi.security.http import HTTPBasic as HTTPBasic
from astraapi.security.http import HTTPBasicCredentials as HTTPBasicCredentials
from astraapi.security.http import HTTPBearer as HTTPBearer
from astraapi.security.http import HTTPDigest as HTTPDigest
from astraapi.security.oauth2 import OAuth2 as OAuth2
from astraapi.security.oauth2 import OAuth2AuthorizationCodeBearer as OAuth2AuthorizationCodeBearer
from astraapi.security.oauth2 import OAuth2PasswordBearer as OAuth2PasswordBearer
from astraapi.security.oauth2 import OAuth2PasswordRequestForm as OAuth2PasswordRequestForm
from astraapi.security.oauth2 import OAuth2PasswordRequestFormStrict as OAuth2PasswordRequestFormStrict
from astraapi.security.oauth2 import SecurityScopes as SecurityScopes
from astraapi.security.open_id_connect_url import OpenIdConnect as OpenIdConnect
