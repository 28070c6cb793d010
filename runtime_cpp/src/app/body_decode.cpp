// Request bodies for generated body decoders (astraapi/abi.h: body_json, jin_*, py_*, model_new).
//
// The body is parsed with yyjson only when the answer is certain to be what FastAPI's
// json.loads + pydantic path gives: anything yyjson and Python might read differently
// (NaN, numbers beyond int64/double, deep nesting, a BOM, odd content-types) makes
// body_json return NULL, and the generic path decodes that request.
#include <Python.h>

#include <cmath>
#include <cstring>

#include <yyjson.h>

#include "app/decode_context.h"

astra_decode_ctx::~astra_decode_ctx() {
    if (doc) yyjson_doc_free(doc);
}

namespace astra::decode {

namespace {

inline PyObject* py(astra_obj o) { return reinterpret_cast<PyObject*>(o); }
inline astra_obj as_obj(PyObject* o) { return reinterpret_cast<astra_obj>(o); }
inline yyjson_val* yy(const astra_jin* v) { return reinterpret_cast<yyjson_val*>(const_cast<astra_jin*>(v)); }
inline const astra_jin* jin(yyjson_val* v) { return reinterpret_cast<const astra_jin*>(v); }

// Python's json module recurses once per nested container and fails (FastAPI's 400) near
// the interpreter's recursion limit; well below it both readers agree.
constexpr int kMaxDepth = 64;

bool shallow_enough(std::string_view text) {
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxDepth) return false;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return true;
}

inline bool ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

bool is_json_content_type(std::string_view value) {
    // value.split(";", 1)[0].strip().lower(), then "application/json" or "application/*+json".
    if (value == "application/json") return true;  // what nearly every client sends
    const size_t semicolon = value.find(';');
    std::string_view media = value.substr(0, semicolon);
    for (const char c : media) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x80 || (u >= 0x1c && u <= 0x1f)) return false;  // str.strip() would see more whitespace
    }
    while (!media.empty() && ascii_space(media.front())) media.remove_prefix(1);
    while (!media.empty() && ascii_space(media.back())) media.remove_suffix(1);
    std::string lower(media);
    for (char& c : lower) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    const size_t slash = lower.find('/');
    if (slash == std::string::npos || lower.find('/', slash + 1) != std::string::npos) return false;
    const std::string_view main = std::string_view(lower).substr(0, slash);
    const std::string_view sub = std::string_view(lower).substr(slash + 1);
    return main == "application" && (sub == "json" || (sub.size() >= 5 && sub.substr(sub.size() - 5) == "+json"));
}

const astra_jin* body_json(astra_decode_ctx* ctx) {
    if (!ctx->body_parsed) {
        ctx->body_parsed = true;
        if (!ctx->json_content_type || ctx->body.empty() || !shallow_enough(ctx->body)) return nullptr;
        yyjson_read_err err;
        ctx->doc = yyjson_read_opts(const_cast<char*>(ctx->body.data()), ctx->body.size(), YYJSON_READ_BIGNUM_AS_RAW,
                                    nullptr, &err);
    }
    return ctx->doc ? jin(yyjson_doc_get_root(ctx->doc)) : nullptr;
}

int jin_kind(const astra_jin* value) {
    yyjson_val* v = yy(value);
    if (!v) return ASTRA_JIN_OTHER;
    switch (yyjson_get_type(v)) {
        case YYJSON_TYPE_NULL:
            return ASTRA_JIN_NULL;
        case YYJSON_TYPE_BOOL:
            return yyjson_get_bool(v) ? ASTRA_JIN_TRUE : ASTRA_JIN_FALSE;
        case YYJSON_TYPE_NUM:
            switch (yyjson_get_subtype(v)) {
                case YYJSON_SUBTYPE_SINT:
                    return ASTRA_JIN_INT;
                case YYJSON_SUBTYPE_UINT:
                    return yyjson_get_uint(v) <= static_cast<uint64_t>(INT64_MAX) ? ASTRA_JIN_INT : ASTRA_JIN_OTHER;
                default:
                    return std::isfinite(yyjson_get_real(v)) ? ASTRA_JIN_REAL : ASTRA_JIN_OTHER;
            }
        case YYJSON_TYPE_STR:
            return ASTRA_JIN_STR;
        case YYJSON_TYPE_ARR:
            return ASTRA_JIN_ARR;
        case YYJSON_TYPE_OBJ:
            return ASTRA_JIN_OBJ;
        default:
            return ASTRA_JIN_OTHER;  // raw (a number beyond int64 or double)
    }
}

int64_t jin_int(const astra_jin* v) {
    yyjson_val* x = yy(v);
    return yyjson_is_uint(x) ? static_cast<int64_t>(yyjson_get_uint(x)) : yyjson_get_sint(x);
}

double jin_real(const astra_jin* v) { return yyjson_get_real(yy(v)); }

astra_str jin_str(const astra_jin* v) { return astra_str{yyjson_get_str(yy(v)), yyjson_get_len(yy(v))}; }

size_t jin_len(const astra_jin* v) { return yyjson_get_len(yy(v)); }

const astra_jin* jin_first(const astra_jin* v) {
    yyjson_val* x = yy(v);
    if (!yyjson_is_ctn(x) || yyjson_get_len(x) == 0) return nullptr;
    return jin(unsafe_yyjson_get_first(x));
}

const astra_jin* jin_next(const astra_jin* v) { return jin(unsafe_yyjson_get_next(yy(v))); }

astra_obj jin_to_py(const astra_jin* value) {
    switch (jin_kind(value)) {
        case ASTRA_JIN_NULL:
            return py_const(0);
        case ASTRA_JIN_FALSE:
            return py_const(1);
        case ASTRA_JIN_TRUE:
            return py_const(2);
        case ASTRA_JIN_INT:
            return py_int(jin_int(value));
        case ASTRA_JIN_REAL:
            return py_float(jin_real(value));
        case ASTRA_JIN_STR: {
            const astra_str s = jin_str(value);
            return py_str(s.data, s.len);
        }
        case ASTRA_JIN_ARR: {
            const size_t n = jin_len(value);
            astra_obj list = py_list(n);
            const astra_jin* item = jin_first(value);
            for (size_t i = 0; list && i < n; ++i, item = i < n ? jin_next(item) : nullptr) {
                if (py_list_set(list, i, jin_to_py(item)) < 0) {
                    release(list);
                    return nullptr;
                }
            }
            return list;
        }
        case ASTRA_JIN_OBJ: {
            const size_t n = jin_len(value);
            astra_obj dict = py_dict();
            const astra_jin* key = jin_first(value);
            for (size_t i = 0; dict && i < n; ++i) {
                const astra_jin* item = jin_next(key);
                const astra_str k = jin_str(key);
                if (py_dict_set_str(dict, k.data, k.len, jin_to_py(item)) < 0) {
                    release(dict);
                    return nullptr;
                }
                if (i + 1 < n) key = jin_next(item);
            }
            return dict;
        }
        default:
            return nullptr;
    }
}

astra_obj py_int(int64_t value) { return as_obj(PyLong_FromLongLong(value)); }

astra_obj py_float(double value) { return as_obj(PyFloat_FromDouble(value)); }

astra_obj py_str(const char* utf8, size_t len) {
    return as_obj(PyUnicode_DecodeUTF8(utf8, static_cast<Py_ssize_t>(len), "strict"));
}

astra_obj py_const(int which) {
    PyObject* o = which == 0 ? Py_None : which == 1 ? Py_False : Py_True;
    Py_INCREF(o);
    return as_obj(o);
}

astra_obj py_list(size_t len) { return as_obj(PyList_New(static_cast<Py_ssize_t>(len))); }

int py_list_set(astra_obj list, size_t index, astra_obj item) {
    if (!item) return -1;
    if (!list || static_cast<Py_ssize_t>(index) >= PyList_GET_SIZE(py(list))) {
        Py_DECREF(py(item));
        return -1;
    }
    PyObject* old = PyList_GET_ITEM(py(list), static_cast<Py_ssize_t>(index));
    PyList_SET_ITEM(py(list), static_cast<Py_ssize_t>(index), py(item));
    Py_XDECREF(old);
    return 0;
}

astra_obj py_dict() { return as_obj(PyDict_New()); }

int py_dict_set(astra_obj dict, astra_obj key, astra_obj value) {
    if (!value) return -1;
    const int result = dict && key ? PyDict_SetItem(py(dict), py(key), py(value)) : -1;
    Py_DECREF(py(value));
    return result;
}

int py_dict_set_str(astra_obj dict, const char* utf8, size_t len, astra_obj value) {
    if (!value) return -1;
    PyObject* key = PyUnicode_DecodeUTF8(utf8, static_cast<Py_ssize_t>(len), "strict");
    const int result = dict && key ? PyDict_SetItem(py(dict), key, py(value)) : -1;
    Py_XDECREF(key);
    Py_DECREF(py(value));
    return result;
}

astra_obj py_set() { return as_obj(PySet_New(nullptr)); }

int py_set_add(astra_obj set, astra_obj key) { return set && key ? PySet_Add(py(set), py(key)) : -1; }

void release(astra_obj value) { Py_XDECREF(py(value)); }

astra_obj field_default(astra_obj model_class, astra_obj field_name) {
    static PyObject* fields_attr = PyUnicode_InternFromString("__pydantic_fields__");
    static PyObject* copy_module = nullptr;
    if (!model_class || !field_name) return nullptr;
    PyObject* fields = PyObject_GetAttr(py(model_class), fields_attr);
    if (!fields) return nullptr;
    PyObject* info = PyDict_Check(fields) ? PyDict_GetItemWithError(fields, py(field_name)) : nullptr;
    Py_XINCREF(info);
    Py_DECREF(fields);
    if (!info) return nullptr;
    PyObject* factory = PyObject_GetAttrString(info, "default_factory");
    PyObject* result = nullptr;
    if (factory && factory != Py_None) {
        result = PyObject_CallNoArgs(factory);  // factories taking the data never get here (the planner)
    } else if (factory) {
        PyObject* value = PyObject_GetAttrString(info, "default");
        if (value && PyObject_Hash(value) == -1) {  // pydantic-core deep-copies unhashable defaults
            PyErr_Clear();
            if (!copy_module) copy_module = PyImport_ImportModule("copy");
            result = copy_module ? PyObject_CallMethod(copy_module, "deepcopy", "O", value) : nullptr;
            Py_DECREF(value);
        } else {
            result = value;
        }
    }
    Py_XDECREF(factory);
    Py_DECREF(info);
    return as_obj(result);
}

astra_obj model_new(astra_obj model_class, astra_obj values, astra_obj fields_set) {
    static PyObject* empty = PyTuple_New(0);
    static PyObject* dict_name = PyUnicode_InternFromString("__dict__");
    static PyObject* set_name = PyUnicode_InternFromString("__pydantic_fields_set__");
    static PyObject* extra_name = PyUnicode_InternFromString("__pydantic_extra__");
    static PyObject* private_name = PyUnicode_InternFromString("__pydantic_private__");
    PyObject* instance = nullptr;
    if (model_class && values && fields_set && empty && PyType_Check(py(model_class))) {
        instance = PyBaseObject_Type.tp_new(reinterpret_cast<PyTypeObject*>(py(model_class)), empty, nullptr);
    }
    if (instance && (PyObject_GenericSetAttr(instance, dict_name, py(values)) < 0 ||
                     PyObject_GenericSetAttr(instance, set_name, py(fields_set)) < 0 ||
                     PyObject_GenericSetAttr(instance, extra_name, Py_None) < 0 ||
                     PyObject_GenericSetAttr(instance, private_name, Py_None) < 0)) {
        Py_CLEAR(instance);
    }
    Py_XDECREF(py(values));
    Py_XDECREF(py(fields_set));
    return as_obj(instance);
}

int kw_obj(astra_decode_ctx* ctx, astra_obj name, astra_obj value) {
    if (!value) return -1;
    const int result = PyDict_SetItem(ctx->kwargs, py(name), py(value));
    Py_DECREF(py(value));
    return result;
}

}  // namespace astra::decode
