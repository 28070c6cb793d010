"""engine/email_cache.py: the table of validated e-mail addresses gives what pydantic's step gives."""

from __future__ import annotations

import pydantic.networks
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, EmailStr, TypeAdapter

from astraapi.engine import email_cache

ADDRESSES = ["ada@example.com", "Ada@EXAMPLE.com", " x@example.com ", "üñî@exämple.com", "Joe <joe@example.com>",
             "nope", "a@b", "", "a" * 3000 + "@x.com", "a@[127.0.0.1]", "x@localhost"]


def _outcome(step, value):
    try:
        return ("value", step(value))
    except Exception as error:  # noqa: BLE001 - the error itself is compared
        return ("error", type(error), str(error))


@pytest.mark.parametrize("value", ADDRESSES)
def test_the_table_gives_pydantic_s_answer(value):
    original = pydantic.networks.validate_email
    step = email_cache.table_step(original)
    for _ in range(2):  # the first call fills the table, the second reads it
        assert _outcome(step, value) == _outcome(original, value)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.emails(), st.text(max_size=40)))
def test_the_table_against_pydantic(value):
    original = pydantic.networks.validate_email
    step = email_cache.table_step(original)
    assert _outcome(step, value) == _outcome(original, value)
    assert _outcome(step, value) == _outcome(original, value)


def test_install_only_for_an_email_field(monkeypatch):
    class Plain(BaseModel):
        name: str

    class WithEmail(BaseModel):
        email: EmailStr

    original = pydantic.networks.validate_email
    while hasattr(original, "__wrapped__"):  # an app served in this process may have installed the table
        original = original.__wrapped__
    monkeypatch.setattr(pydantic.networks, "validate_email", original)
    assert email_cache.install(TypeAdapter(list[Plain])) is False
    assert pydantic.networks.validate_email is original
    assert email_cache.install(TypeAdapter(list[WithEmail])) is True
    installed = pydantic.networks.validate_email
    assert installed is not original
    assert email_cache.install(TypeAdapter(WithEmail)) is True  # once
    assert pydantic.networks.validate_email is installed
    adapter = TypeAdapter(list[WithEmail])
    values = adapter.validate_python([{"email": "Ada@EXAMPLE.com"}, {"email": "Ada@EXAMPLE.com"}])
    assert adapter.dump_json(values) == b'[{"email":"Ada@example.com"},{"email":"Ada@example.com"}]'
    with pytest.raises(pydantic.ValidationError) as raised:
        adapter.validate_python([{"email": "nope"}])
    assert raised.value.errors()[0]["type"] == "value_error"
