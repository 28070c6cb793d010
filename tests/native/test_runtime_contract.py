"""The constants Python and the runtime share have one source (astraapi/_runtime_contract.py,
docs/internals.md "Shared constants"): every side agrees with it."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import astraapi._runtime_contract as contract

ROOT = Path(__file__).resolve().parents[2]


def _flat() -> dict[str, object]:
    out: dict[str, object] = {}
    for name, value in vars(contract).items():
        if not name.isupper():
            continue
        if isinstance(value, dict):
            out.update({f"{name}.{key}": item for key, item in value.items()})
        else:
            out[name] = value
    return out


def test_the_built_module_was_compiled_with_the_contract():
    from astraapi import _runtime

    flat = _flat()
    assert _runtime.CONTRACT == flat, "rebuild the native module (bash scripts/setup.sh)"
    for name, value in flat.items():  # bool stays bool, float stays float
        assert type(_runtime.CONTRACT[name]) is type(value), name


def test_public_trie_header_agrees():
    text = (ROOT / "runtime_cpp" / "include" / "astraapi" / "trie.h").read_text()
    enums = {m.group(1): m.group(2) for m in re.finditer(r"\b(ASTRA_(?:PARAM|M)_[A-Z]+)\s*=\s*([^,/\n]+)", text)}

    def value(expr: str) -> int:
        expr = expr.strip().replace("1u", "1")
        assert re.fullmatch(r"[0-9 <]+", expr), expr
        return eval(expr)  # "1 << 9"

    kinds = {name[len("ASTRA_PARAM_"):].lower(): value(v) for name, v in enums.items() if name.startswith("ASTRA_PARAM_")}
    assert kinds == contract.PARAM_KINDS
    bits = {name[len("ASTRA_M_"):]: value(v) for name, v in enums.items() if name.startswith("ASTRA_M_")}
    assert bits.pop("ANY") == contract.ANY_METHOD
    assert bits.pop("LOW") == contract.LOW_PRIORITY
    assert bits.pop("OTHER") == contract.EXTENSION_METHOD
    assert bits == contract.METHOD_BITS


def test_server_keyword_defaults_agree():
    from astraapi import _runtime

    # pybind11 writes the signature with its defaults as the first line of __init__'s docstring.
    doc = _runtime.Server.__init__.__doc__
    defaults = dict(re.findall(r"(\w+): [^=,]+ = ([^,)]+)", doc.split("\n")[0]))
    defaults.pop("reuse_port")
    expected = {name: repr(value.encode()) if name == "server_header" else repr(value)
                for name, value in contract.SERVER_DEFAULTS.items() if name != "max_chunk_ext_size"}
    assert defaults == expected


def test_python_users_read_the_contract():
    from astraapi.ir import trie
    from astraapi.engine import direct, executor
    from astraapi.server.config import ServerConfig

    assert (executor.NOT_FOUND_ROUTE, executor.METHOD_NOT_ALLOWED_ROUTE, executor.REDIRECT_ROUTE) == (
        0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD)
    for name in ("NOT_FOUND_ROUTE", "METHOD_NOT_ALLOWED_ROUTE", "REDIRECT_ROUTE"):
        assert getattr(executor, name) == getattr(contract, name)
    for name in ("RENDER_PYTHON", "RENDER_DEFAULT_JSON", "RENDER_ENCODER", "DECODE_NONE", "DECODE_QUERY_PATH",
                 "DECODE_WITH_BODY", "DECODE_WITH_HEADERS"):
        assert getattr(direct, name) == getattr(contract, name)
    assert trie.METHOD_BITS == contract.METHOD_BITS and trie.PARAM_KINDS == contract.PARAM_KINDS
    assert (trie.ANY_METHOD, trie.LOW_PRIORITY) == (contract.ANY_METHOD, contract.LOW_PRIORITY)

    config = ServerConfig()
    kwargs = config.server_kwargs()
    # The app-level defaults that differ from the native server's on purpose (server/config.py).
    assert (kwargs.pop("proxy_headers"), kwargs.pop("body_min_rate")) == (True, 240)
    assert config.forwarded_allow_ips is None
    kwargs.pop("forwarded_allow_ips")  # $FORWARDED_ALLOW_IPS, else the native default
    for name, value in kwargs.items():
        assert value == contract.SERVER_DEFAULTS[name], name
    sig = inspect.signature(ServerConfig)
    assert sig.parameters["keep_alive_timeout"].default == contract.SERVER_DEFAULTS["idle_timeout"]


def test_generated_header_matches_the_contract(tmp_path):
    out = tmp_path / "astraapi_contract.h"
    subprocess.run([sys.executable, str(ROOT / "cmake" / "gen_contract.py"), str(out)], check=True)
    text = out.read_text()
    assert "inline constexpr uint32_t kNotFoundRoute = 0xFFFFFFFFu;" in text
    assert "inline constexpr int kRenderEncoder = 2;" in text
    assert "inline constexpr double kServerIdleTimeout = 5.0;" in text
    for name in _flat():
        assert f'X("{name}", ' in text, name
    for built in ROOT.glob("build/*/generated/astraapi_contract.h"):  # the module build's copy, if any
        assert built.read_text() == text, f"{built} is stale: rebuild (bash scripts/setup.sh)"


def test_contract_module_imports_nothing():
    code = ("import sys; before = set(sys.modules); import astraapi._runtime_contract; "
            "print(sorted(set(sys.modules) - before))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    new = set(eval(out))
    assert {m for m in new if m.startswith("astraapi")} <= {"astraapi", "astraapi._version", "astraapi._runtime_contract"}
    assert "pydantic" not in new and "asyncio" not in new
