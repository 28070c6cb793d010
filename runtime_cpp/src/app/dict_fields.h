// Reading the values of known keys from a dict, for generated serializers and encoders.
#pragma once

#include <Python.h>

#include <cstddef>

namespace astra {

// values[i] = d[keys[i]] (borrowed; nullptr when absent), for an exact dict or a model's
// __dict__. keys are interned str objects. A dict built from literals, or by pydantic for a
// model, holds the keys in field order as the same objects, so the values are first read in
// insertion order by identity, and only the keys not found that way are looked up.
// Returns 0, or -1 when a lookup failed (a Python error is set).
int dict_fields(PyObject* d, PyObject* const* keys, std::size_t n, PyObject** values);

}  // namespace astra
