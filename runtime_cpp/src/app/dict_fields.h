// Reading the values of known keys from a dict, for generated serializers and encoders.
#pragma once

#include <Python.h>

#include <cstddef>

namespace astra {

// values[i] = d[keys[i]] (borrowed; nullptr when absent), for an exact dict or a model's
// __dict__. keys are interned str objects. A dict built from literals, or by pydantic for a
// model, holds the keys in field order as the same objects, so the values are first read in
// insertion order by identity, and only the keys not found that way are looked up.
// Returns 0 when every key was found in order, 1 when some had to be looked up, or -1 when a
// lookup failed (a Python error is set).
int dict_fields(PyObject* d, PyObject* const* keys, std::size_t n, PyObject** values);

// 1 when the keys among `keys` that `d` holds appear in it in that order, else 0 (-1: an error).
// pydantic writes a model's fields in its __dict__'s order: a SQLModel table object, whose attributes
// SQLAlchemy sets in another order, is written so by pydantic too.
int keys_in_order(PyObject* d, PyObject* const* keys, std::size_t n);

}  // namespace astra
