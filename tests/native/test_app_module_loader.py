"""load_app_module and the services table, with a hand-written app module
(tests/native/fixtures/test_app_module.cpp) compiled against the public headers."""

from __future__ import annotations

import gc
import json
import math
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter

SOURCE = "test_app_module.cpp"
HASH = "ab" * 32
OTHER_HASH = "cd" * 32
APP_REF = "tests.native.app:app"


class Address(BaseModel):
    city: str
    zip: str | None = None


class User(BaseModel):
    id: int
    name: str
    score: float
    tags: list[str]
    address: Address
    active: bool
    meta: Any = None


class SubUser(User):
    pass


@pytest.fixture(scope="module")
def module_path(compile_module):
    return compile_module(SOURCE, TEST_IR_HASH=HASH)


@pytest.fixture(scope="module")
def mod(rt, module_path):
    return rt.load_app_module(str(module_path), HASH)


def user(**kw) -> User:
    base = dict(id=7, name="Zoë \"the\" admin\n", score=1e-5, tags=["a", "é", "\x1f"],
                address=Address(city="Paris", zip=None), active=True, meta={"k": [1, 2.5, None]})
    base.update(kw)
    return User(**base)


# --- loading ------------------------------------------------------------------------------


def test_loads(rt, mod, module_path):
    assert mod.ir_hash == HASH
    assert mod.app_ref == APP_REF
    assert mod.path == str(module_path)
    assert mod.abi_version == rt.ABI_VERSION
    assert mod.serializer_names == ["User", "kinds", "floats", "intern"]


def test_load_accepts_pathlike(rt, module_path):
    assert rt.load_app_module(module_path, HASH).ir_hash == HASH


def test_hash_mismatch_refused(rt, module_path):
    with pytest.raises(ImportError) as exc:
        rt.load_app_module(str(module_path), OTHER_HASH)
    msg = str(exc.value)
    assert str(module_path) in msg
    assert HASH in msg and OTHER_HASH in msg
    assert f"astraapi build {APP_REF}" in msg
    assert exc.value.path == str(module_path)


def test_abi_mismatch_refused(rt, compile_module):
    path = compile_module(SOURCE, TEST_IR_HASH=HASH, TEST_ABI_VERSION=rt.ABI_VERSION + 1)
    with pytest.raises(ImportError) as exc:
        rt.load_app_module(str(path), HASH)
    msg = str(exc.value)
    assert str(path) in msg
    assert f"ABI version {rt.ABI_VERSION + 1}" in msg and f"ABI version {rt.ABI_VERSION}" in msg
    assert "astraapi build" in msg


def test_missing_file_refused(rt, tmp_path):
    path = tmp_path / "nope.so"
    with pytest.raises(ImportError) as exc:
        rt.load_app_module(str(path), HASH, app_ref="main:app")
    assert str(path) in str(exc.value) and "astraapi build main:app" in str(exc.value)


def test_not_an_app_module_refused(rt, compile_module):
    path = compile_module("not_a_module.cpp")
    with pytest.raises(ImportError) as exc:
        rt.load_app_module(str(path), HASH)
    assert "astraapi_app_module_entry" in str(exc.value)


def test_garbage_file_refused(rt, tmp_path):
    path = tmp_path / "garbage.so"
    path.write_bytes(b"not an ELF file")
    with pytest.raises(ImportError) as exc:
        rt.load_app_module(str(path), HASH)
    assert str(path) in str(exc.value)


def test_init_failure_refused(rt, compile_module):
    path = compile_module(SOURCE, TEST_IR_HASH=HASH, TEST_INIT_FAIL=None)
    with pytest.raises(ImportError) as exc:
        rt.load_app_module(str(path), HASH)
    assert "init failed" in str(exc.value)


# --- serializers --------------------------------------------------------------------------


def test_serialize_model_like_pydantic(mod):
    ta = TypeAdapter(User)
    for u in [
        user(),
        user(score=3.0, tags=[], meta=None, active=False),
        user(score=1e16, address=Address(city="", zip="75001"), meta="text"),
        user(score=-0.0, id=-(2**80), meta={"nested": {"deep": [True, False, "x" * 1000]}}),
        user(score=2.5e-7, name="日本語😀", meta=[1e-6, 1e-5, 123.0]),
    ]:
        assert mod.serialize(0, u) == ta.dump_json(u)


def test_serialize_int_score_printed_as_float(mod):
    u = User.model_construct(**user().__dict__)
    u.__dict__["score"] = 3
    assert json.loads(mod.serialize(0, u))["score"] == 3.0
    assert b'"score":3.0' in mod.serialize(0, u)


def test_serialize_model_subclass(mod):
    u = SubUser(**user().__dict__)
    assert mod.serialize(0, u) == TypeAdapter(SubUser).dump_json(u)


def test_fallback_for_values_it_was_not_made_for(mod):
    assert mod.serialize(0, {"id": 1}) is None  # not a model
    assert mod.serialize(0, None) is None
    bad_score = User.model_construct(**{**user().__dict__, "score": math.nan})
    assert mod.serialize(0, bad_score) is None  # non-finite float: the generic path decides
    bad_tags = User.model_construct(**{**user().__dict__, "tags": ["a", 1]})
    assert mod.serialize(0, bad_tags) is None  # a value the serializer was not generated for
    missing = User.model_construct(id=1, name="x")  # fields absent from __dict__
    assert mod.serialize(0, missing) is None
    odd_meta = user(meta={"when": object()})  # json_any refuses: TypeError, cleared
    assert mod.serialize(0, odd_meta) is None
    # No error is left behind after a fallback.
    assert mod.serialize(0, user()) is not None


def test_serialize_index_out_of_range(mod):
    with pytest.raises(IndexError):
        mod.serialize(4, None)


def kinds(mod, value) -> list[int]:
    return [int(k) for k in json.loads(mod.serialize(1, value))]


def test_kind_of(mod):
    class MyInt(int):
        pass

    assert kinds(mod, None) == [1]
    assert kinds(mod, True) == [2]
    assert kinds(mod, False) == [2]
    assert kinds(mod, 5) == [3]
    assert kinds(mod, 2**100) == [3]
    assert kinds(mod, 1.5) == [4]
    assert kinds(mod, "s") == [5]
    assert kinds(mod, [1, "a", None]) == [6, 3, 5, 1]
    assert kinds(mod, (1.5, [], {})) == [7, 4, 6, 8]
    assert kinds(mod, {}) == [8]
    assert kinds(mod, user()) == [9]
    assert kinds(mod, SubUser(**user().__dict__)) == [9]
    assert kinds(mod, Address(city="x")) == [9]
    assert kinds(mod, MyInt(3)) == [0]
    assert kinds(mod, b"x") == [0]
    assert kinds(mod, object()) == [0]


def test_json_float_python_style(mod):
    values = [1e-5, 1e16, 0.1, 3, -0.0, 2**70, 1.5e-300]
    assert mod.serialize(2, values) == json.dumps([float(v) for v in values], separators=(",", ":")).encode()
    assert mod.serialize(2, [math.inf]) is None
    assert mod.serialize(2, [True]) is None  # bool is not a number here
    assert mod.serialize(2, ["1.0"]) is None
    assert mod.serialize(2, [10**400]) is None  # too large for a float: OverflowError, cleared


def test_intern_returns_the_same_object(mod):
    assert mod.serialize(3, None) == b"true"


# --- the trie --------------------------------------------------------------------------------


def test_trie_from_module(mod):
    trie = mod.trie
    assert trie is not None
    assert trie.match("GET", "/")[:2] == (0, 0)
    found = trie.match("POST", "/items/42")
    assert found[0] == 0 and found[1] == 1 and tuple(found[2]) == ("42",)
    assert trie.match("GET", "/nope") == (3,)


def test_trie_keeps_the_module_alive(rt, compile_module):
    path = compile_module(SOURCE, TEST_IR_HASH=OTHER_HASH)
    m = rt.load_app_module(str(path), OTHER_HASH)
    trie = m.trie
    del m
    gc.collect()
    assert trie.match("GET", "/items/1")[:2] == (0, 1)
