// The runtime's JSON writer: Python objects -> yyjson mutable document -> bytes.
//
// Output equals json.dumps(obj, ensure_ascii=False, allow_nan=False, indent=None,
// separators=(",", ":")).encode() byte for byte for the JSON-native built-in types; floats
// are printed in one of two styles (json/float_format.h).
//
// Everything here runs with the GIL held. Functions that can fail return nullptr with a
// Python exception set; nothing clears an error.
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

#include <yyjson.h>

#include "astraapi/abi.h"

namespace astra::json {

// Hard cap on container nesting, independent of sys.getrecursionlimit(), so that the
// native stack can never overflow (each level costs well under 200 bytes of stack).
inline constexpr int kMaxDepth = 10000;

inline yyjson_mut_doc* as_yy(astra_json_doc* doc) { return reinterpret_cast<yyjson_mut_doc*>(doc); }
inline yyjson_mut_val* as_yy(astra_json_val* val) { return reinterpret_cast<yyjson_mut_val*>(val); }
inline astra_json_doc* as_astra(yyjson_mut_doc* doc) { return reinterpret_cast<astra_json_doc*>(doc); }
inline astra_json_val* as_astra(yyjson_mut_val* val) { return reinterpret_cast<astra_json_val*>(val); }

// Owns a yyjson mutable document.
class Doc {
public:
    Doc() : doc_(yyjson_mut_doc_new(nullptr)) {}
    ~Doc() {
        if (doc_) yyjson_mut_doc_free(doc_);
    }
    Doc(const Doc&) = delete;
    Doc& operator=(const Doc&) = delete;
    yyjson_mut_doc* get() const { return doc_; }
    explicit operator bool() const { return doc_ != nullptr; }

private:
    yyjson_mut_doc* doc_;
};

// Value builders (nullptr + Python exception on failure). Strings are referenced, not
// copied: the str objects must outlive the document.
yyjson_mut_val* from_python(yyjson_mut_doc* doc, PyObject* obj, int float_style);
yyjson_mut_val* int_value(yyjson_mut_doc* doc, PyObject* exact_int);
yyjson_mut_val* float_value(yyjson_mut_doc* doc, double value, int float_style);
yyjson_mut_val* str_value(yyjson_mut_doc* doc, PyObject* str);

// Sets the ValueError json.dumps raises for a non-finite float.
void set_out_of_range_error(double value);

// Writes the value (minified) into a new bytes object.
PyObject* write_bytes(yyjson_mut_val* root);

// dumps(obj, float_style) -> bytes; nullptr + exception on failure. With `jsonable`, a str
// dict key starting with "_sa" raises TypeError: FastAPI's jsonable_encoder would drop it,
// so such data must go through jsonable_encoder first.
PyObject* dumps(PyObject* obj, int float_style, bool jsonable = false);

}  // namespace astra::json
