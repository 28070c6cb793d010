"""Security utilities: status codes, WWW-Authenticate headers, bodies and auto_error, and
the OAuth2 password form (application/x-www-form-urlencoded), compared with FastAPI's."""

from __future__ import annotations

import base64

import pytest

APP = """
from typing import Annotated, Optional
from FRAMEWORK import Depends, FastAPI, Form, Security
from FRAMEWORK.security import (
    APIKeyCookie, APIKeyHeader, APIKeyQuery, HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials,
    HTTPBearer, HTTPDigest, OAuth2AuthorizationCodeBearer, OAuth2PasswordBearer, OAuth2PasswordRequestForm,
    OAuth2PasswordRequestFormStrict, OpenIdConnect, SecurityScopes,
)

app = FastAPI()
oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"me": "Read me", "items": "Read items"})
oauth2_optional = OAuth2PasswordBearer(tokenUrl="token", auto_error=False)
code_flow = OAuth2AuthorizationCodeBearer(authorizationUrl="auth", tokenUrl="token")
basic = HTTPBasic()
basic_realm = HTTPBasic(realm="simple", auto_error=False)
bearer = HTTPBearer()
bearer_optional = HTTPBearer(auto_error=False)
digest = HTTPDigest()
key_header = APIKeyHeader(name="x-api-key")
key_query = APIKeyQuery(name="api_key", auto_error=False)
key_cookie = APIKeyCookie(name="session")
oidc = OpenIdConnect(openIdConnectUrl="/openid")

@app.get("/oauth2")
async def read_oauth2(token: Annotated[str, Depends(oauth2)]):
    return {"token": token}

@app.get("/oauth2-optional")
async def read_oauth2_optional(token: Optional[str] = Depends(oauth2_optional)):
    return {"token": token}

def current_user(security_scopes: SecurityScopes, token: str = Depends(oauth2)):
    return {"token": token, "scopes": security_scopes.scopes}

@app.get("/me")
async def me(user: dict = Security(current_user, scopes=["me"])):
    return user

@app.get("/code")
def read_code(token: str = Depends(code_flow)):
    return {"token": token}

@app.get("/basic")
def read_basic(credentials: HTTPBasicCredentials = Depends(basic)):
    return {"username": credentials.username, "password": credentials.password}

@app.get("/basic-realm")
def read_basic_realm(credentials: Optional[HTTPBasicCredentials] = Depends(basic_realm)):
    return {"credentials": credentials and credentials.username}

@app.get("/bearer")
def read_bearer(credentials: HTTPAuthorizationCredentials = Depends(bearer)):
    return {"scheme": credentials.scheme, "credentials": credentials.credentials}

@app.get("/bearer-optional")
def read_bearer_optional(credentials: Optional[HTTPAuthorizationCredentials] = Depends(bearer_optional)):
    return {"credentials": credentials and credentials.credentials}

@app.get("/digest")
def read_digest(credentials: HTTPAuthorizationCredentials = Security(digest)):
    return {"credentials": credentials.credentials}

@app.get("/keys")
def read_keys(h: str = Depends(key_header), q: Optional[str] = Depends(key_query), c: str = Depends(key_cookie)):
    return {"h": h, "q": q, "c": c}

@app.get("/oidc")
def read_oidc(authorization: str = Depends(oidc)):
    return {"authorization": authorization}

@app.post("/token")
async def login(form_data: Annotated[OAuth2PasswordRequestForm, Depends()]):
    return {"username": form_data.username, "password": form_data.password, "scopes": form_data.scopes,
            "grant_type": form_data.grant_type, "client_id": form_data.client_id,
            "client_secret": form_data.client_secret}

@app.post("/token-strict")
async def login_strict(form_data: OAuth2PasswordRequestFormStrict = Depends()):
    return {"username": form_data.username, "grant_type": form_data.grant_type}

@app.post("/form")
async def form(name: str = Form(), tags: list[str] = Form([]), age: int = Form(0), nick: Optional[str] = Form(None)):
    return {"name": name, "tags": tags, "age": age, "nick": nick}
"""


@pytest.fixture
def pair(make_pair):
    return make_pair(APP)


def _basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


AUTHS = [None, "Bearer abc", "bearer  spaced ", "Token abc", "Bearer", "Basic", _basic("ann:pw"), _basic("nocolon"),
         "Basic !!!notbase64", _basic("a:b:c"), "Digest xyz", "Digest"]


@pytest.mark.parametrize("authorization", AUTHS)
@pytest.mark.parametrize("url", ["/oauth2", "/oauth2-optional", "/me", "/code", "/basic", "/basic-realm", "/bearer",
                                 "/bearer-optional", "/digest", "/oidc"])
def test_authorization_schemes(pair, url, authorization):
    pair.check("GET", url, headers={"authorization": authorization} if authorization else {})


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "k"}, {"x-api-key": "k", "cookie": "session=s"},
                                     {"x-api-key": "", "cookie": "session=s"}])
@pytest.mark.parametrize("query", ["", "?api_key=q", "?api_key="])
def test_api_keys(pair, headers, query):
    pair.check("GET", "/keys" + query, headers=headers)


FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize("content", [
    b"username=johndoe&password=secret",
    b"username=johndoe&password=secret&scope=me+items&grant_type=password&client_id=c&client_secret=s",
    b"username=johndoe&password=secret&grant_type=other",
    b"password=secret",
    b"",
    b"username=&password=x",
    b"username=j%C3%B6rg&password=a%26b",
])
def test_password_form(pair, content):
    pair.check("POST", "/token", headers=FORM, content=content)
    pair.check("POST", "/token-strict", headers=FORM, content=content)


@pytest.mark.parametrize("content,headers", [
    (b"name=n&tags=a&tags=b&age=3", FORM),
    (b"name=n&age=x", FORM),
    (b"name=n&nick=", FORM),
    (b"name=n", {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}),
    (b'{"name": "n"}', {"content-type": "application/json"}),
    (b"name=n", {}),
])
def test_form_fields(pair, content, headers):
    pair.check("POST", "/form", headers=headers, content=content)


def test_security_schemes_in_ir(pair):
    routes = {r.path: r for r in pair.ours.ir.routes}
    import json

    me = routes["/me"].dependencies[0]
    scheme = me.dependencies[0]
    assert scheme.security_scheme_name == "OAuth2PasswordBearer"
    reference = pair.reference_module.oauth2.model.model_dump(by_alias=True, exclude_none=True, mode="json")
    assert json.loads(scheme.security_scheme_json) == reference
    assert scheme.effective_scopes == ("me",)
    token = routes["/token"]
    assert token.body_is_form and token.body_embedded
    form_params = token.dependencies[0].params
    assert [p.alias for p in form_params] == ["grant_type", "username", "password", "scope", "client_id",
                                               "client_secret"]
    assert all(p.is_form and p.media_type == "application/x-www-form-urlencoded" for p in form_params)


def _multipart(*parts: tuple[str, bytes], boundary: str = "b0und", extra: bytes = b"") -> bytes:
    body = b""
    for disposition, value in parts:
        body += f"--{boundary}\r\n{disposition}\r\n\r\n".encode() + value + b"\r\n"
    return body + f"--{boundary}--\r\n".encode() + extra


MULTIPART = "multipart/form-data; boundary=b0und"


@pytest.mark.parametrize("content,content_type", [
    (_multipart(('Content-Disposition: form-data; name="name"', b"n"), ('content-disposition: form-data; name="tags"', b"a"),
                ('Content-Disposition: form-data; name="tags"', b"b"), ('Content-Disposition: form-data; name="age"', b"7")),
     MULTIPART),
    (_multipart(('Content-Disposition: form-data; name="name"', "jörg".encode())), MULTIPART),
    (_multipart(('Content-Disposition: form-data; name="name"', "jörg".encode("latin-1"))), MULTIPART + "; charset=latin-1"),
    (_multipart(('Content-Disposition: form-data; name="name"', b"line1\r\nline2"),
                ('Content-Type: text/plain\r\nContent-Disposition: form-data; name="nick"', b"")), MULTIPART),
    (_multipart(('Content-Disposition: form-data; name="name"', b"n"), extra=b"epilogue"), MULTIPART),
    (_multipart(('Content-Disposition: form-data; name="na\\"me"', b"n")), MULTIPART),
    (_multipart(('Content-Disposition: form-data; name="name"', b"n"), boundary="other"), 'multipart/form-data; boundary="other"'),
    (_multipart(('Content-Disposition: form-data', b"n")), MULTIPART),
    (_multipart(('Content-Disposition: form-data; name="name"', b"n")), "multipart/form-data"),
    (_multipart(), MULTIPART),
    (b"garbage", MULTIPART),
    (b"", MULTIPART),
    (b"--b0und\r\n", MULTIPART),  # truncated: no complete part
    (b'--b0und\r\nContent-Disposition: form-data; name="name"\r\n\r\nn\r\n--b0und', MULTIPART),
    (b'\r\n--b0und\r\nContent-Disposition: form-data; name="name"\r\n\r\nn\r\n--b0und--\r\n', MULTIPART),
    (b"--b0und\r\n\r\nn\r\n--b0und--\r\n", MULTIPART),  # a part without headers
    (b'--b0und\r\nbad\r\nContent-Disposition: form-data; name="name"\r\n\r\nn\r\n--b0und--\r\n', MULTIPART),
    (b'--b0und\nContent-Disposition: form-data; name="name"\n\nn\n--b0und--', MULTIPART),
])
def test_multipart_text_fields(pair, content, content_type):
    pair.check("POST", "/form", headers={"content-type": content_type}, content=content)
    pair.check("POST", "/token", headers={"content-type": content_type}, content=content)


def test_multipart_password_form(pair):
    content = _multipart(('Content-Disposition: form-data; name="username"', b"ann"),
                         ('Content-Disposition: form-data; name="password"', b"pw"),
                         ('Content-Disposition: form-data; name="scope"', b"me items"))
    pair.check("POST", "/token", headers={"content-type": MULTIPART}, content=content)


def test_multipart_file_part_for_a_text_field_is_422(pair):
    content = _multipart(('Content-Disposition: form-data; name="name"; filename="a.txt"', b"n"))
    status, _, _ = pair.check("POST", "/form", headers={"content-type": MULTIPART}, content=content)
    assert status == 422


FORM_MODELS = """
from typing import Annotated, Optional
from pydantic import BaseModel, ConfigDict, Field
from FRAMEWORK import FastAPI, Form

class Login(BaseModel):
    username: str
    password: str = Field(min_length=2)
    tags: list[str] = []
    remember: bool = False

class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str

class Filters(BaseModel):
    q: Optional[str] = None
    size: int = 10

app = FastAPI()

@app.post("/login")
async def login(data: Annotated[Login, Form()]):
    return data

@app.post("/strict")
def strict(data: Annotated[Strict, Form()]):
    return data

@app.post("/optional")
def optional(data: Annotated[Optional[Filters], Form()] = None):
    return {"data": data}
"""


@pytest.mark.parametrize("url", ["/login", "/strict", "/optional"])
@pytest.mark.parametrize("content", [
    b"username=ann&password=pw&tags=a&tags=b&remember=true",
    b"username=ann&password=p",
    b"username=&password=",
    b"name=n&other=1&other=2",
    b"name=n",
    b"q=x&size=3",
    b"size=x",
    b"",
])
def test_form_models(make_pair, url, content):
    make_pair(FORM_MODELS).check("POST", url, headers=FORM, content=content)
