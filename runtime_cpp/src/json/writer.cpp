#define PY_SSIZE_T_CLEAN
#include "json/writer.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "json/float_format.h"

namespace astra::json {

namespace {

void set_not_serializable(PyObject* obj) {
    PyObject* name = PyType_GetName(Py_TYPE(obj));
    if (name) {
        PyErr_Format(PyExc_TypeError, "Object of type %U is not JSON serializable", name);
        Py_DECREF(name);
    }
}

void set_type_error(const char* what, PyObject* value) {
    PyObject* name = PyType_GetName(Py_TYPE(value));
    if (name) {
        PyErr_Format(PyExc_TypeError, "%s: unexpected %U", what, name);
        Py_DECREF(name);
    }
}

// For each byte: 0 when it is written as is, else the character after the backslash
// ('u' for \u00xx). Non-ASCII bytes (UTF-8 sequences) are written as is.
struct EscapeTable {
    unsigned char code[256];
    constexpr EscapeTable() : code() {
        for (int c = 0; c < 0x20; ++c) code[c] = 'u';
        code['\b'] = 'b';
        code['\t'] = 't';
        code['\n'] = 'n';
        code['\f'] = 'f';
        code['\r'] = 'r';
        code['"'] = '"';
        code['\\'] = '\\';
    }
};
constexpr EscapeTable kEscape;

// put_quoted from text[j], the first byte that needs an escape, on: the rest of the text
// with the escapes, then the closing quote (out->len is just past the opening quote).
[[gnu::noinline]] int put_quoted_escaped(astra_out* out, const char* text, std::size_t n, std::size_t j) {
    std::memcpy(out->data + out->len, text, j);  // the plain bytes before (room reserved)
    out->len += j;
    std::size_t i = j;
    while (true) {
        // Up to 6 bytes for the escape, the rest of the text and the closing quote.
        if (reserve(out, 6 + (n - i) + 1) != 0) return -1;
        char* o = out->data + out->len;
        const unsigned char c = static_cast<unsigned char>(text[i]);
        const unsigned char code = kEscape.code[c];
        *o++ = '\\';
        if (code == 'u') {
            static const char hex[] = "0123456789abcdef";
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 0xf];
        } else {
            *o++ = static_cast<char>(code);
        }
        ++i;
        while (i < n && kEscape.code[static_cast<unsigned char>(text[i])] == 0) *o++ = text[i++];
        out->len = static_cast<std::size_t>(o - out->data);
        if (i == n) break;
    }
    out->data[out->len++] = '"';
    return 0;
}

// Writes `"text"` with the escapes above. Most strings are short and need none: they are
// copied while scanned (a memcpy call would cost more), the escapes are handled apart.
inline int put_quoted(astra_out* out, const char* text, std::size_t n) {
    if (out->cap - out->len < n + 2 && reserve(out, n + 2) != 0) return -1;
    char* o = out->data + out->len;
    *o++ = '"';
    for (std::size_t j = 0; j < n; ++j) {
        const char c = text[j];
        if (kEscape.code[static_cast<unsigned char>(c)] != 0) {
            ++out->len;  // the opening quote
            return put_quoted_escaped(out, text, n, j);
        }
        o[j] = c;
    }
    o[n] = '"';
    out->len += n + 2;
    return 0;
}

// FastAPI's jsonable_encoder (sqlalchemy_safe=True) drops str keys starting with "_sa".
bool is_sqlalchemy_key(PyObject* key) {
    Py_ssize_t len;
    const char* text = PyUnicode_AsUTF8AndSize(key, &len);
    return text != nullptr && len >= 3 && text[0] == '_' && text[1] == 's' && text[2] == 'a';
}

class Writer {
public:
    Writer(astra_out* out, int style, bool jsonable) : out_(out), style_(style), jsonable_(jsonable) {}

    int value(PyObject* obj, int depth) {
        PyTypeObject* t = Py_TYPE(obj);
        if (t == &PyUnicode_Type) return write_str(out_, obj);
        if (t == &PyLong_Type) return write_int(out_, obj);
        if (t == &PyFloat_Type) return write_double(out_, PyFloat_AS_DOUBLE(obj), style_);
        if (obj == Py_None) return put(out_, "null", 4);
        if (obj == Py_True) return put(out_, "true", 4);
        if (obj == Py_False) return put(out_, "false", 5);
        if (t == &PyList_Type || t == &PyTuple_Type) return sequence(obj, depth);
        if (t == &PyDict_Type) return dict(obj, depth);
        set_not_serializable(obj);
        return -1;
    }

private:
    static bool enter(int depth) {
        if (depth >= kMaxDepth) {
            PyErr_SetString(PyExc_RecursionError,
                            "maximum recursion depth exceeded while encoding a JSON object");
            return false;
        }
        return Py_EnterRecursiveCall(" while encoding a JSON object") == 0;
    }

    int sequence(PyObject* obj, int depth) {
        if (!enter(depth)) return -1;
        const bool is_list = PyList_CheckExact(obj);
        int rc = put(out_, "[", 1);
        for (Py_ssize_t i = 0; rc == 0; ++i) {
            // Re-read the size each time: nothing here runs Python code, but stay safe.
            const Py_ssize_t n = is_list ? PyList_GET_SIZE(obj) : PyTuple_GET_SIZE(obj);
            if (i >= n) break;
            if (i > 0 && (rc = put(out_, ",", 1)) != 0) break;
            rc = value(is_list ? PyList_GET_ITEM(obj, i) : PyTuple_GET_ITEM(obj, i), depth + 1);
        }
        Py_LeaveRecursiveCall();
        return rc == 0 ? put(out_, "]", 1) : -1;
    }

    int dict(PyObject* obj, int depth) {
        if (!enter(depth)) return -1;
        int rc = put(out_, "{", 1);
        Py_ssize_t pos = 0;
        PyObject *key, *item;
        bool first = true;
        while (rc == 0 && PyDict_Next(obj, &pos, &key, &item)) {
            if (!first && (rc = put(out_, ",", 1)) != 0) break;
            first = false;
            if ((rc = this->key(key)) == 0 && (rc = put(out_, ":", 1)) == 0) rc = value(item, depth + 1);
        }
        Py_LeaveRecursiveCall();
        return rc == 0 ? put(out_, "}", 1) : -1;
    }

    int key(PyObject* key) {
        PyTypeObject* t = Py_TYPE(key);
        if (t == &PyUnicode_Type) {
            if (jsonable_ && is_sqlalchemy_key(key)) {
                PyErr_SetString(PyExc_TypeError, "a '_sa' key: jsonable_encoder drops it");
                return -1;
            }
            return write_str(out_, key);
        }
        if (style_ == ASTRA_FLOAT_PYTHON) {
            // json.dumps' conversions of non-str keys.
            if (t == &PyFloat_Type) {
                const double d = PyFloat_AS_DOUBLE(key);
                if (!std::isfinite(d)) {
                    set_out_of_range_error(d);
                    return -1;
                }
                char buf[kFloatBufSize];
                return put_quoted(out_, buf, format_double(d, ASTRA_FLOAT_PYTHON, buf));
            }
            if (key == Py_True) return put(out_, "\"true\"", 6);
            if (key == Py_False) return put(out_, "\"false\"", 7);
            if (key == Py_None) return put(out_, "\"null\"", 6);
            if (t == &PyLong_Type) {
                PyObject* s = PyObject_Str(key);
                if (!s) return -1;
                Py_ssize_t len;
                const char* u = PyUnicode_AsUTF8AndSize(s, &len);
                const int rc = u ? put_quoted(out_, u, static_cast<std::size_t>(len)) : -1;
                Py_DECREF(s);
                return rc;
            }
            PyObject* name = PyType_GetName(t);
            if (name) {
                PyErr_Format(PyExc_TypeError, "keys must be str, int, float, bool or None, not %U", name);
                Py_DECREF(name);
            }
            return -1;
        }
        PyObject* name = PyType_GetName(t);
        if (name) {
            PyErr_Format(PyExc_TypeError, "keys must be str with the pydantic float style, not %U", name);
            Py_DECREF(name);
        }
        return -1;
    }

    astra_out* out_;
    int style_;
    bool jsonable_;  // jsonable_encoder's data: '_sa' keys are not plain data
};

// The reusable buffer: kept between serializations unless it grew beyond kKeepBytes.
constexpr std::size_t kKeepBytes = std::size_t{1} << 20;
char* g_buffer = nullptr;
std::size_t g_buffer_cap = 0;
bool g_buffer_in_use = false;

}  // namespace

int reserve(astra_out* out, std::size_t extra) {
    if (out->cap - out->len >= extra) return 0;
    if (extra > PY_SSIZE_T_MAX - out->len) {
        PyErr_NoMemory();
        return -1;
    }
    std::size_t cap = out->cap < 256 ? 256 : out->cap;
    while (cap - out->len < extra) cap = cap > PY_SSIZE_T_MAX / 2 ? out->len + extra : cap * 2;
    char* data = static_cast<char*>(std::realloc(out->data, cap));
    if (!data) {
        PyErr_NoMemory();
        return -1;
    }
    out->data = data;
    out->cap = cap;
    return 0;
}

void set_out_of_range_error(double value) {
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_Format(PyExc_ValueError, "Out of range float values are not JSON compliant: %s",
                 std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf"));
#else
    (void)value;
    PyErr_SetString(PyExc_ValueError, "Out of range float values are not JSON compliant");
#endif
}

int write_int(astra_out* out, PyObject* obj) {
    if (!PyLong_CheckExact(obj)) {
        set_type_error("json int", obj);
        return -1;
    }
    // Up to 20 digits and a sign, written in place.
    if (out->cap - out->len < 24 && reserve(out, 24) != 0) return -1;
    char* const at = out->data + out->len;
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
    if (overflow == 0) {
        if (v == -1 && PyErr_Occurred()) return -1;
        out->len += static_cast<std::size_t>(std::to_chars(at, at + 24, v).ptr - at);
        return 0;
    }
    if (overflow > 0) {
        const unsigned long long u = PyLong_AsUnsignedLongLong(obj);
        if (!(u == static_cast<unsigned long long>(-1) && PyErr_Occurred())) {
            out->len += static_cast<std::size_t>(std::to_chars(at, at + 24, u).ptr - at);
            return 0;
        }
        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) return -1;
        PyErr_Clear();  // expected: beyond 64 bits, printed from its decimal text below
    }
    // Beyond 64 bits: the decimal digits (int.__repr__, as json does; this raises
    // ValueError past sys.get_int_max_str_digits(), as json.dumps does too).
    PyObject* s = PyLong_Type.tp_repr(obj);
    if (!s) return -1;
    Py_ssize_t len;
    const char* u = PyUnicode_AsUTF8AndSize(s, &len);
    const int rc = u ? put(out, u, static_cast<std::size_t>(len)) : -1;
    Py_DECREF(s);
    return rc;
}

int write_double(astra_out* out, double value, int float_style) {
    if (!std::isfinite(value)) {
        set_out_of_range_error(value);
        return -1;
    }
    if (out->cap - out->len < kFloatBufSize && reserve(out, kFloatBufSize) != 0) return -1;
    out->len += format_double(value, float_style, out->data + out->len);
    return 0;
}

int write_float(astra_out* out, PyObject* o, int float_style) {
    double d;
    if (PyFloat_CheckExact(o)) {
        d = PyFloat_AS_DOUBLE(o);
    } else if (PyLong_CheckExact(o)) {  // printed as a float, as pydantic does: 3 -> 3.0
        d = PyLong_AsDouble(o);
        if (d == -1.0 && PyErr_Occurred()) return -1;
    } else {
        set_type_error("json float", o);
        return -1;
    }
    return write_double(out, d, float_style);
}

int write_str(astra_out* out, PyObject* str) {
    if (!PyUnicode_CheckExact(str)) {
        set_type_error("json str", str);
        return -1;
    }
    if (PyUnicode_IS_COMPACT_ASCII(str)) {  // the text is its own UTF-8: no conversion
        return put_quoted(out, static_cast<const char*>(PyUnicode_DATA(str)),
                          static_cast<std::size_t>(PyUnicode_GET_LENGTH(str)));
    }
    Py_ssize_t len;
    const char* u = PyUnicode_AsUTF8AndSize(str, &len);  // UnicodeEncodeError for lone surrogates
    if (!u) return -1;
    return put_quoted(out, u, static_cast<std::size_t>(len));
}

int write_any(astra_out* out, PyObject* obj, int float_style, bool jsonable) {
    return Writer(out, float_style, jsonable).value(obj, 0);
}

Output::Output() : out_{nullptr, 0, 0}, shared_(!g_buffer_in_use) {
    if (shared_) {
        g_buffer_in_use = true;
        out_.data = g_buffer;
        out_.cap = g_buffer_cap;
    }
}

Output::~Output() {
    if (shared_) {
        if (out_.cap > kKeepBytes) {
            std::free(out_.data);
            out_.data = nullptr;
            out_.cap = 0;
        }
        g_buffer = out_.data;
        g_buffer_cap = out_.cap;
        g_buffer_in_use = false;
    } else {
        std::free(out_.data);
    }
}

PyObject* Output::to_bytes() const {
    return PyBytes_FromStringAndSize(out_.data, static_cast<Py_ssize_t>(out_.len));
}

PyObject* dumps(PyObject* obj, int float_style, bool jsonable) {
    if (!valid_float_style(float_style)) {
        return PyErr_Format(PyExc_ValueError, "unknown float style %d", float_style);
    }
    Output output;
    if (write_any(output.get(), obj, float_style, jsonable) != 0) return nullptr;
    return output.to_bytes();
}

}  // namespace astra::json
