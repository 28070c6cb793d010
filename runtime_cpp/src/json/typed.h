// Typed scalars as pydantic-core's dump_json writes them (the value's exact type only; anything
// else, or a value whose text this does not reproduce, is refused so the caller falls back):
//   uuid.UUID           "6f1d2c3b-8a9e-4b7c-9d0e-1f2a3b4c5d6e" (lower-case hex)
//   datetime.datetime   "2026-11-02T09:30:00", ".ffffff" when it has microseconds, then "Z" for a zero
//                       offset or "+HH:MM"/"-HH:MM"; only naive values and datetime.timezone offsets
//                       of whole minutes (other tzinfo classes run Python code to answer utcoffset)
//   datetime.date       "2026-11-02"
//   datetime.time       "09:30:00[.ffffff]", naive only
//   SecretStr/Bytes     "**********", or "" for an empty secret (pydantic's mask)
//   IPv4Address         "192.0.2.1"
//   URLs                pydantic_core.Url / MultiHostUrl, or a pydantic.networks class (HttpUrl, AnyUrl,
//                       PostgresDsn, ...) holding one and keeping _BaseUrl.__str__: the URL's text
//   an enum member      its value (write_any, pydantic's float style), for the member's exact class
// Nothing here runs Python code (a URL's text comes from pydantic-core's Rust __str__). Each returns 0, or -1 with a Python exception set.
#pragma once

#include <Python.h>

#include "astraapi/abi.h"

namespace astra::json {

int write_typed(astra_out* out, PyObject* value, int kind);  // kind: enum astra_typed_kind
int write_enum(astra_out* out, PyObject* value, PyObject* cls);

}  // namespace astra::json
