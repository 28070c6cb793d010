"""Forms read by models, for the example-app set: a union of models in a Form() parameter (plain,
discriminated, optional, next to other form fields), an optional form model, several form models
in one body, AliasChoices on form fields and on model fields. The 422 bodies (union members named
by their tag) and the OpenAPI document (one Body_ model with an allOf per form model) are compared
byte for byte with FastAPI 0.165."""

from typing import Annotated, Literal, Optional, Union

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, Json

from astraapi import Depends, FastAPI, File, Form, Query, UploadFile

app = FastAPI()


class TextForm(BaseModel):
    kind: Literal["text"]
    value: str
    enabled: bool = False


class ListForm(BaseModel):
    kind: Literal["list"]
    value: list[str]


class Person(BaseModel):
    kind: Literal["person"] = Field(alias="contact_type")
    name: str
    tags: list[str] = Field(default_factory=list)


class Company(BaseModel):
    kind: Literal["company"] = Field(alias="contact_type")
    company_name: str


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    age: int


class Account(BaseModel):
    name: str
    age: int


class Settings(BaseModel):
    priority: int = Field(default=1, ge=1)
    label: Annotated[str, Field(validation_alias=AliasChoices("label", "title"))] = "none"


@app.post("/union")
def union(data: Annotated[Union[TextForm, ListForm], Form()]):
    return data.model_dump(exclude_unset=True)


@app.post("/discriminated")
def discriminated(data: Annotated[Union[TextForm, ListForm], Form(discriminator="kind")]):
    return data


@app.post("/combined")
def combined(
    contact: Annotated[Union[Person, Company], Form(discriminator="kind")],
    settings: Annotated[Settings, Form()],
    token: Annotated[str, Form()],
):
    return {"contact": contact, "settings": settings, "token": token}


@app.post("/optional")
def optional(
    token: Annotated[str, Form()],
    contact: Annotated[Optional[Union[Person, Company]], Form()] = None,
    account: Annotated[Optional[Account], Form()] = None,
):
    return {"contact": contact, "account": account}


def dependency_account(account: Annotated[Account, Form()]):
    return account


@app.post("/dependency")
async def dependency(
    profile: Annotated[Account, Depends(dependency_account)],
    avatar: Annotated[Optional[UploadFile], File()] = None,
):
    return {"profile": profile, "avatar": None if avatar is None else await avatar.read()}


@app.post("/forbid")
def forbid(profile: Annotated[Profile, Form()]):
    return profile


@app.post("/choices")
def choices(
    value: Annotated[int, Form(validation_alias=AliasChoices("first", "second"))] = 10,
    values: Annotated[list[int], Form(alias="legacy", validation_alias=AliasChoices("many", "more"))] = [],
):
    return {"value": value, "values": values}


@app.post("/json")
def json_values(items: Annotated[Json[list[str]], Form()], account: Annotated[Json[Account], Query()]):
    return {"items": items, "account": account}


def _multipart(*parts: tuple[str, str]) -> dict:
    return {"files": [(name, (None, value)) for name, value in parts]}


REQUESTS = [
    ("POST", "/union", {"data": {"kind": "text", "value": "hello"}}),
    ("POST", "/union", {"data": {"kind": "text", "value": "hello", "enabled": "on"}}),
    ("POST", "/union", {"data": {"kind": "list", "value": ["", "blue"]}}),
    ("POST", "/union", {"data": {"kind": "text", "value": ""}}),
    ("POST", "/union", {"data": {"kind": "other"}}),
    ("POST", "/union", {}),
    ("POST", "/union", _multipart(("kind", "list"), ("value", ""), ("value", "blue"))),
    ("POST", "/discriminated", {"data": {"kind": "list", "value": "one"}}),
    ("POST", "/discriminated", {"data": {"kind": "text", "value": ["a", "b"]}}),
    ("POST", "/discriminated", {"data": {"value": "hello"}}),
    ("POST", "/discriminated", {"data": {"kind": "unknown", "value": "hello"}}),
    ("POST", "/discriminated", {"data": {"kind": "text", "value": ""}}),
    ("POST", "/combined", {"data": {"contact_type": "person", "name": "Rick", "tags": ["", "b"], "token": "t",
                                    "priority": "2", "title": "boss"}}),
    ("POST", "/combined", {"data": {"contact_type": "company", "company_name": "Acme", "token": "t"}}),
    ("POST", "/combined", {"data": {"contact_type": "company", "token": "t", "priority": "0"}}),
    ("POST", "/combined", {"data": {"token": ""}}),
    ("POST", "/optional", {"data": {"token": "t"}}),
    ("POST", "/optional", {"data": {"token": "t", "contact_type": "company", "company_name": "Acme"}}),
    ("POST", "/optional", {"data": {"token": "t", "name": "Rick", "age": "70"}}),
    ("POST", "/optional", {"data": {"token": "t", "name": "Rick"}}),
    ("POST", "/optional", {"data": {"token": "t", "age": "70"}}),
    ("POST", "/dependency", {"data": {"name": "Rick", "age": "70"}}),
    ("POST", "/dependency", {"data": {"name": "Rick"}}),
    ("POST", "/forbid", {"data": {"name": "Rick", "age": "70"}}),
    ("POST", "/forbid", {"data": {"name": "Rick", "age": "70", "token": "t"}}),
    ("POST", "/dependency", {"data": {"name": "Rick", "age": "70"}, "files": {"avatar": ("a.png", b"img")}}),
    ("POST", "/choices", {"data": {"first": "", "second": "5"}}),
    ("POST", "/choices", {"data": {"first": "x", "second": "5"}}),
    ("POST", "/choices", {"data": {"more": ["1", "x"], "legacy": "3"}}),
    ("POST", "/choices", {"data": {"many": ["1", "2"], "more": "3"}}),
    ("POST", "/choices", {}),
    ("POST", "/json?account=%7B%22name%22%3A%22R%22%2C%22age%22%3A3%7D", {"data": {"items": '["a", "b"]'}}),
    ("POST", "/json?account=%7B%22name%22%3A%22R%22%7D", {"data": {"items": "[1]"}}),
    ("POST", "/json?account=nope", {"data": {"items": "x"}}),
    ("GET", "/openapi.json", {}),
]
