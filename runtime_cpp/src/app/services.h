// The astra_services table (astraapi/abi.h): what generated app modules may call.
//
// Every entry runs with the GIL held. Failures return NULL / -1 / (size_t)-1, usually with
// a Python exception set; no entry clears an error: the caller (AppModule::serialize)
// clears it and falls back to the generic path.
#pragma once

#include <Python.h>

#include "astraapi/abi.h"

namespace astra {

// The process-wide services table. The first call imports pydantic (to recognise model
// instances); it returns nullptr with a Python exception set if that fails.
const astra_services* services();

// enum astra_obj_kind of a value (exact built-in types; pydantic models -> MODEL).
int kind_of(PyObject* value);

}  // namespace astra
