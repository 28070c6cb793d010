#define PY_SSIZE_T_CLEAN
#include "json/writer.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "json/float_format.h"

namespace astra::json {

namespace {

bool no_memory() {
    PyErr_NoMemory();
    return false;
}

void set_not_serializable(PyObject* obj) {
    PyObject* name = PyType_GetName(Py_TYPE(obj));
    if (name) {
        PyErr_Format(PyExc_TypeError, "Object of type %U is not JSON serializable", name);
        Py_DECREF(name);
    }
}

// yyjson writes \u00XX escapes (control characters other than \b \t \n \f \r) with
// upper-case hex digits; json.dumps and pydantic write lower case. In yyjson's output a
// backslash only ever starts an escape inside a string (raw values we insert are numbers),
// so this rewrites exactly those escapes. memchr makes it nearly free when there are none.
void lowercase_unicode_escapes(char* s, std::size_t n) {
    char* const end = s + n;
    char* p = s;
    while (p < end && (p = static_cast<char*>(std::memchr(p, '\\', static_cast<std::size_t>(end - p))))) {
        if (p + 5 < end && p[1] == 'u') {
            for (int k = 2; k < 6; ++k) {
                if (p[k] >= 'A' && p[k] <= 'F') p[k] = static_cast<char>(p[k] + ('a' - 'A'));
            }
            p += 6;
        } else {
            p += 2;
        }
    }
}

// FastAPI's jsonable_encoder (sqlalchemy_safe=True) drops str keys starting with "_sa".
bool is_sqlalchemy_key(PyObject* key) {
    Py_ssize_t len;
    const char* text = PyUnicode_AsUTF8AndSize(key, &len);
    return text != nullptr && len >= 3 && text[0] == '_' && text[1] == 's' && text[2] == 'a';
}

class Builder {
public:
    Builder(yyjson_mut_doc* doc, int style, bool jsonable = false) : doc_(doc), style_(style), jsonable_(jsonable) {}

    yyjson_mut_val* build(PyObject* obj, int depth) {
        PyTypeObject* t = Py_TYPE(obj);
        if (t == &PyUnicode_Type) return str_value(doc_, obj);
        if (t == &PyLong_Type) return int_value(doc_, obj);
        if (t == &PyFloat_Type) return float_value(doc_, PyFloat_AS_DOUBLE(obj), style_);
        if (obj == Py_None) return ok(yyjson_mut_null(doc_));
        if (obj == Py_True) return ok(yyjson_mut_true(doc_));
        if (obj == Py_False) return ok(yyjson_mut_false(doc_));
        if (t == &PyList_Type || t == &PyTuple_Type) return sequence(obj, depth);
        if (t == &PyDict_Type) return dict(obj, depth);
        set_not_serializable(obj);
        return nullptr;
    }

private:
    static yyjson_mut_val* ok(yyjson_mut_val* v) {
        if (!v) PyErr_NoMemory();
        return v;
    }

    bool enter(int depth) {
        if (depth >= kMaxDepth) {
            PyErr_SetString(PyExc_RecursionError,
                            "maximum recursion depth exceeded while encoding a JSON object");
            return false;
        }
        return Py_EnterRecursiveCall(" while encoding a JSON object") == 0;
    }

    yyjson_mut_val* sequence(PyObject* obj, int depth) {
        if (!enter(depth)) return nullptr;
        yyjson_mut_val* arr = yyjson_mut_arr(doc_);
        bool good = arr != nullptr || no_memory();
        const bool is_list = PyList_CheckExact(obj);
        for (Py_ssize_t i = 0; good; ++i) {
            // Re-read the size each time: nothing here runs Python code, but stay safe.
            const Py_ssize_t n = is_list ? PyList_GET_SIZE(obj) : PyTuple_GET_SIZE(obj);
            if (i >= n) break;
            PyObject* item = is_list ? PyList_GET_ITEM(obj, i) : PyTuple_GET_ITEM(obj, i);
            yyjson_mut_val* v = build(item, depth + 1);
            good = v != nullptr && (yyjson_mut_arr_append(arr, v) || no_memory());
        }
        Py_LeaveRecursiveCall();
        return good ? arr : nullptr;
    }

    yyjson_mut_val* dict(PyObject* obj, int depth) {
        if (!enter(depth)) return nullptr;
        yyjson_mut_val* o = yyjson_mut_obj(doc_);
        bool good = o != nullptr || no_memory();
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        while (good && PyDict_Next(obj, &pos, &key, &value)) {
            yyjson_mut_val* k = key_value(key);
            yyjson_mut_val* v = k ? build(value, depth + 1) : nullptr;
            good = v != nullptr && (yyjson_mut_obj_add(o, k, v) || no_memory());
        }
        Py_LeaveRecursiveCall();
        return good ? o : nullptr;
    }

    yyjson_mut_val* key_value(PyObject* key) {
        PyTypeObject* t = Py_TYPE(key);
        if (t == &PyUnicode_Type) {
            if (jsonable_ && is_sqlalchemy_key(key)) {
                PyErr_SetString(PyExc_TypeError, "a '_sa' key: jsonable_encoder drops it");
                return nullptr;
            }
            return str_value(doc_, key);
        }
        if (style_ == ASTRA_FLOAT_PYTHON) {
            // json.dumps' conversions of non-str keys.
            if (t == &PyFloat_Type) {
                const double d = PyFloat_AS_DOUBLE(key);
                if (!std::isfinite(d)) {
                    set_out_of_range_error(d);
                    return nullptr;
                }
                char buf[kFloatBufSize];
                return ok(yyjson_mut_strncpy(doc_, buf, format_double(d, ASTRA_FLOAT_PYTHON, buf)));
            }
            if (key == Py_True) return ok(yyjson_mut_strn(doc_, "true", 4));
            if (key == Py_False) return ok(yyjson_mut_strn(doc_, "false", 5));
            if (key == Py_None) return ok(yyjson_mut_strn(doc_, "null", 4));
            if (t == &PyLong_Type) {
                PyObject* s = PyObject_Str(key);
                if (!s) return nullptr;
                Py_ssize_t len;
                const char* u = PyUnicode_AsUTF8AndSize(s, &len);
                yyjson_mut_val* v = u ? ok(yyjson_mut_strncpy(doc_, u, static_cast<size_t>(len))) : nullptr;
                Py_DECREF(s);
                return v;
            }
            PyObject* name = PyType_GetName(t);
            if (name) {
                PyErr_Format(PyExc_TypeError, "keys must be str, int, float, bool or None, not %U", name);
                Py_DECREF(name);
            }
            return nullptr;
        }
        PyObject* name = PyType_GetName(t);
        if (name) {
            PyErr_Format(PyExc_TypeError, "keys must be str with the pydantic float style, not %U", name);
            Py_DECREF(name);
        }
        return nullptr;
    }

    yyjson_mut_doc* doc_;
    int style_;
    bool jsonable_;  // jsonable_encoder's data: '_sa' keys are not plain data
};

}  // namespace

void set_out_of_range_error(double value) {
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_Format(PyExc_ValueError, "Out of range float values are not JSON compliant: %s",
                 std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf"));
#else
    (void)value;
    PyErr_SetString(PyExc_ValueError, "Out of range float values are not JSON compliant");
#endif
}

yyjson_mut_val* int_value(yyjson_mut_doc* doc, PyObject* obj) {
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
    if (overflow == 0) {
        if (v == -1 && PyErr_Occurred()) return nullptr;
        yyjson_mut_val* r = yyjson_mut_sint(doc, v);
        if (!r) PyErr_NoMemory();
        return r;
    }
    if (overflow > 0) {
        const unsigned long long u = PyLong_AsUnsignedLongLong(obj);
        if (!(u == static_cast<unsigned long long>(-1) && PyErr_Occurred())) {
            yyjson_mut_val* r = yyjson_mut_uint(doc, u);
            if (!r) PyErr_NoMemory();
            return r;
        }
        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) return nullptr;
        PyErr_Clear();  // expected: beyond 64 bits, printed from its decimal text below
    }
    // Beyond 64 bits: the decimal digits, raw (int.__repr__, as json does; this raises
    // ValueError past sys.get_int_max_str_digits(), as json.dumps does too).
    PyObject* s = PyLong_Type.tp_repr(obj);
    if (!s) return nullptr;
    Py_ssize_t len;
    const char* u = PyUnicode_AsUTF8AndSize(s, &len);
    yyjson_mut_val* r = u ? yyjson_mut_rawncpy(doc, u, static_cast<size_t>(len)) : nullptr;
    if (u && !r) PyErr_NoMemory();
    Py_DECREF(s);
    return r;
}

yyjson_mut_val* float_value(yyjson_mut_doc* doc, double value, int float_style) {
    if (!std::isfinite(value)) {
        set_out_of_range_error(value);
        return nullptr;
    }
    char buf[kFloatBufSize];
    yyjson_mut_val* r = yyjson_mut_rawncpy(doc, buf, format_double(value, float_style, buf));
    if (!r) PyErr_NoMemory();
    return r;
}

yyjson_mut_val* str_value(yyjson_mut_doc* doc, PyObject* str) {
    Py_ssize_t len;
    const char* u = PyUnicode_AsUTF8AndSize(str, &len);
    if (!u) return nullptr;
    yyjson_mut_val* r = yyjson_mut_strn(doc, u, static_cast<size_t>(len));
    if (!r) PyErr_NoMemory();
    return r;
}

yyjson_mut_val* from_python(yyjson_mut_doc* doc, PyObject* obj, int float_style) {
    return Builder(doc, float_style).build(obj, 0);
}

PyObject* write_bytes(yyjson_mut_val* root) {
    std::size_t len = 0;
    yyjson_write_err err{};
    char* out = yyjson_mut_val_write_opts(root, YYJSON_WRITE_NOFLAG, nullptr, &len, &err);
    if (!out) {
        if (err.code == YYJSON_WRITE_ERROR_MEMORY_ALLOCATION) return PyErr_NoMemory();
        return PyErr_Format(PyExc_ValueError, "JSON writer failed: %s (code %u)",
                            err.msg ? err.msg : "unknown error", static_cast<unsigned>(err.code));
    }
    lowercase_unicode_escapes(out, len);
    PyObject* bytes = PyBytes_FromStringAndSize(out, static_cast<Py_ssize_t>(len));
    std::free(out);
    return bytes;
}

PyObject* dumps(PyObject* obj, int float_style, bool jsonable) {
    if (!valid_float_style(float_style)) {
        return PyErr_Format(PyExc_ValueError, "unknown float style %d", float_style);
    }
    Doc doc;
    if (!doc) return PyErr_NoMemory();
    yyjson_mut_val* root = Builder(doc.get(), float_style, jsonable).build(obj, 0);
    if (!root) return nullptr;
    return write_bytes(root);
}

}  // namespace astra::json
