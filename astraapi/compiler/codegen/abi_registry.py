"""What generated code may include and call: the Python side of the runtime's public headers.

Keep in step with runtime_cpp/include/astraapi/: the code generator names nothing else.
"""

from __future__ import annotations

ABI_VERSION = 2  # ASTRA_ABI_VERSION in abi.h
MODULE_ENTRY_SYMBOL = "astraapi_app_module_entry"  # ASTRA_MODULE_ENTRY_SYMBOL

RUNTIME_HEADERS = ("astraapi/abi.h", "astraapi/trie.h", "astraapi/gen_support.h")

# TypeRef kind -> inline helper in gen_support.h that serializes one scalar as pydantic does.
SCALAR_SERIALIZERS = {
    "int": "astra_ser_int",
    "float": "astra_ser_float",
    "str": "astra_ser_str",
    "bool": "astra_ser_bool",
    "none": "astra_ser_none",
    "any": "astra_ser_any",
    # out_typed: objects of exactly these classes (a validated instance holds them).
    "uuid": "astra_ser_uuid",
    "datetime": "astra_ser_datetime",
    "date": "astra_ser_date",
    "time": "astra_ser_time",
    "secret_str": "astra_ser_secret_str",
    "secret_bytes": "astra_ser_secret_bytes",
    "ipv4": "astra_ser_ipv4",
    "url": "astra_ser_url",
}
# Value kinds astra_ser_any writes exactly as pydantic does (JSON-native values).
JSON_NATIVE_KINDS = frozenset({"int", "float", "str", "bool", "none"})

# TypeRef kind -> inline test in gen_support.h of the canonical text form a body decoder accepts
# (the string is then passed to the type's constructor, which agrees with pydantic on that form).
TEXT_FORM_CHECKS = {
    "uuid": "astra_is_canonical_uuid",
    "date": "astra_is_iso_date",
    "datetime": "astra_is_iso_datetime",
    "time": "astra_is_iso_time",
    "decimal": "astra_is_plain_decimal",
}

# Parameter location -> the astra_param_location constant (abi.h) param_values reads it with.
PARAM_LOCATIONS = {
    "query": "ASTRA_PARAM_QUERY",
    "header": "ASTRA_PARAM_HEADER",
    "cookie": "ASTRA_PARAM_COOKIE",
}
