// The runtime's JSON writer: Python objects -> JSON text, written straight into one growing
// buffer (astra_out, shared with generated serializers), then into one bytes object.
//
// Output equals json.dumps(obj, ensure_ascii=False, allow_nan=False, indent=None,
// separators=(",", ":")).encode() byte for byte for the JSON-native built-in types; floats
// are printed in one of two styles (json/float_format.h). Strings are escaped as json.dumps
// and pydantic-core both do: `"` `\` and control characters (\b \t \n \f \r by name, the
// others as \u00xx, lower-case hex); everything else, DEL and non-ASCII included, as is.
//
// Everything here runs with the GIL held. Functions that can fail return -1 / nullptr with a
// Python exception set; nothing clears an error. Nothing here runs Python code (no __str__,
// no __eq__), so the values cannot change while they are written.
//
// Accepted values (exact types only: subclasses, enums, models, ... raise TypeError so the
// caller can run jsonable_encoder / pydantic first):
//   None, bool, int (any size), float (finite), str, list, tuple, dict.
// Dict keys:
//   FLOAT_PYTHON:   str as is; like json.dumps, int -> its decimal text, float -> its repr,
//                   True/False/None -> "true"/"false"/"null"; anything else TypeError.
//   FLOAT_PYDANTIC: str only (pydantic spells non-str keys differently: TypeError -> fallback).
// Errors:
//   TypeError   "Object of type X is not JSON serializable" / "keys must be str, ..."
//   ValueError  "Out of range float values are not JSON compliant" for NaN/Infinity
//               (with ": nan" etc. appended on Python >= 3.12, as json does there)
//   RecursionError for nesting deeper than the interpreter's recursion limit or
//               kMaxDepth, whichever is hit first; a circular structure also ends here
//               (json.dumps says ValueError "Circular reference detected" instead).
//   UnicodeEncodeError for str values holding lone surrogates (as .encode("utf-8") would).
#pragma once

#include <Python.h>

#include <cstddef>
#include <cstring>

#include "astraapi/abi.h"

namespace astra::json {

// Hard cap on container nesting, independent of sys.getrecursionlimit(), so that the
// native stack can never overflow (each level costs well under 200 bytes of stack).
inline constexpr int kMaxDepth = 10000;

// Grows out->data (malloc'd, or the runtime's reusable buffer) so that `extra` more bytes fit.
// 0, or -1 with MemoryError set.
int reserve(astra_out* out, std::size_t extra);

inline int put(astra_out* out, const char* text, std::size_t n) {
    if (out->cap - out->len < n && reserve(out, n) != 0) return -1;
    std::memcpy(out->data + out->len, text, n);
    out->len += n;
    return 0;
}

// One value each; exact types (write_int: int, not bool; write_float: float, or an int
// printed as a float, as pydantic prints a float field given an int); TypeError otherwise.
int write_int(astra_out* out, PyObject* exact_int);
int write_float(astra_out* out, PyObject* value, int float_style);
int write_double(astra_out* out, double value, int float_style);
int write_str(astra_out* out, PyObject* exact_str);
int write_any(astra_out* out, PyObject* obj, int float_style, bool jsonable = false);

// Sets the ValueError json.dumps raises for a non-finite float.
void set_out_of_range_error(double value);

// An output buffer for one serialization: the runtime's reusable buffer when it is free
// (serializations do not nest, but a second one while the first is in progress gets its own),
// released (or kept for reuse) by the destructor.
class Output {
public:
    Output();
    ~Output();
    Output(const Output&) = delete;
    Output& operator=(const Output&) = delete;
    astra_out* get() { return &out_; }
    // The text written so far as a new bytes object (nullptr + MemoryError).
    PyObject* to_bytes() const;

private:
    astra_out out_;
    bool shared_;
};

// dumps(obj, float_style) -> bytes; nullptr + exception on failure. With `jsonable`, a str
// dict key starting with "_sa" raises TypeError: FastAPI's jsonable_encoder would drop it,
// so such data must go through jsonable_encoder first.
PyObject* dumps(PyObject* obj, int float_style, bool jsonable = false);

}  // namespace astra::json
