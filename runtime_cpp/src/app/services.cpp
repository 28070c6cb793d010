#define PY_SSIZE_T_CLEAN
#include "app/services.h"

#include "app/decode_context.h"
#include "app/dict_fields.h"

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "json/float_format.h"
#include "json/typed.h"
#include "json/writer.h"

namespace astra {

namespace {

inline PyObject* py(astra_obj o) { return reinterpret_cast<PyObject*>(o); }
inline astra_obj as_obj(PyObject* o) { return reinterpret_cast<astra_obj>(o); }

PyTypeObject* g_base_model = nullptr;  // pydantic.BaseModel, a strong reference kept forever

void type_error(const char* what, PyObject* value) {
    PyObject* name = PyType_GetName(Py_TYPE(value));
    if (name) {
        PyErr_Format(PyExc_TypeError, "%s: unexpected %U", what, name);
        Py_DECREF(name);
    }
}

// --- Python objects -------------------------------------------------------------------------

astra_obj svc_intern(const char* utf8, size_t len) {
    // Interned strs live as long as the process: generated code caches them in statics.
    static auto* table = new std::unordered_map<std::string, PyObject*>();
    std::string key(utf8, len);
    auto it = table->find(key);
    if (it != table->end()) return as_obj(it->second);
    PyObject* s = PyUnicode_DecodeUTF8(utf8, static_cast<Py_ssize_t>(len), "strict");
    if (!s) return nullptr;
    PyUnicode_InternInPlace(&s);
    table->emplace(std::move(key), s);  // keeps the reference
    return as_obj(s);
}

astra_obj svc_resolve(const char* dotted, size_t len) {
    // "package.module.Outer.Inner": the longest importable module prefix, then attributes.
    static auto* table = new std::unordered_map<std::string, PyObject*>();
    const std::string path(dotted, len);
    auto it = table->find(path);
    if (it != table->end()) return as_obj(it->second);
    for (size_t dot = path.rfind('.'); dot != std::string::npos && dot > 0; dot = path.rfind('.', dot - 1)) {
        PyObject* target = PyImport_ImportModule(path.substr(0, dot).c_str());
        if (!target) {
            PyErr_Clear();
            if (dot == 0) break;
            continue;
        }
        size_t start = dot + 1;
        while (target && start <= path.size()) {
            size_t end = path.find('.', start);
            if (end == std::string::npos) end = path.size();
            PyObject* next = PyObject_GetAttrString(target, path.substr(start, end - start).c_str());
            Py_DECREF(target);
            target = next;
            start = end + 1;
        }
        if (target) {
            table->emplace(path, target);  // keeps the reference
            return as_obj(target);
        }
        PyErr_Clear();
    }
    PyErr_Format(PyExc_LookupError, "cannot resolve %s", path.c_str());
    return nullptr;
}

int svc_is_exact_type(astra_obj value, astra_obj cls) {
    return value && cls && reinterpret_cast<PyObject*>(Py_TYPE(py(value))) == py(cls);
}

astra_obj svc_dict_get(astra_obj dict, astra_obj key) {
    if (!dict || !key || !PyDict_CheckExact(py(dict))) return nullptr;
    return as_obj(PyDict_GetItemWithError(py(dict), py(key)));  // borrowed; NULL when absent
}

astra_obj svc_model_field(astra_obj model, astra_obj name) {
    if (!model || !name) return nullptr;
    // A pydantic model keeps its field values in the instance __dict__.
    PyObject* d = PyObject_GenericGetDict(py(model), nullptr);
    if (!d) return nullptr;
    if (!PyDict_Check(d)) {
        Py_DECREF(d);
        PyErr_SetString(PyExc_TypeError, "model_field: __dict__ is not a dict");
        return nullptr;
    }
    PyObject* v = PyDict_GetItemWithError(d, py(name));  // borrowed
    Py_DECREF(d);  // the instance still holds the dict, hence the value
    return as_obj(v);
}

int svc_model_field_unset(astra_obj model, astra_obj name) {
    static PyObject* set_name = PyUnicode_InternFromString("__pydantic_fields_set__");
    if (!model || !name || !set_name) return -1;
    PyObject* fields_set = PyObject_GenericGetAttr(py(model), set_name);
    if (!fields_set) return -1;
    const int contains = PyAnySet_Check(fields_set) ? PySet_Contains(fields_set, py(name)) : -1;
    Py_DECREF(fields_set);
    return contains < 0 ? -1 : !contains;
}

int svc_model_field_is_default(astra_obj model, astra_obj name, astra_obj value) {
    static PyObject* fields_name = PyUnicode_InternFromString("__pydantic_fields__");
    if (!model || !name || !value || !fields_name) return -1;
    PyObject* fields = PyObject_GetAttr(reinterpret_cast<PyObject*>(Py_TYPE(py(model))), fields_name);
    if (!fields) return -1;
    PyObject* info = PyDict_Check(fields) ? PyDict_GetItemWithError(fields, py(name)) : nullptr;
    Py_XINCREF(info);
    Py_DECREF(fields);
    if (!info) return -1;
    int result = -1;
    PyObject* factory = PyObject_GetAttrString(info, "default_factory");
    PyObject* is_required = factory ? PyObject_CallMethod(info, "is_required", nullptr) : nullptr;
    if (is_required && factory == Py_None) {  // a factory: the planner leaves it to pydantic
        if (is_required == Py_True) {
            result = 0;
        } else if (PyObject* fallback = PyObject_GetAttrString(info, "default")) {
            PyObject* equal = PyObject_RichCompare(py(value), fallback, Py_EQ);
            result = equal ? PyObject_IsTrue(equal) : -1;
            Py_XDECREF(equal);
            Py_DECREF(fallback);
        }
    }
    Py_XDECREF(is_required);
    Py_XDECREF(factory);
    Py_DECREF(info);
    return result;
}

astra_obj svc_enum_member(astra_obj cls, astra_obj value) {
    static PyObject* map_name = PyUnicode_InternFromString("_value2member_map_");
    // Each class's value map, looked up once (an attribute lookup on an enum class costs more than
    // the dict lookup); the classes are the ones generated code resolved, kept alive for the process.
    static std::vector<std::pair<PyObject*, PyObject*>> maps;
    if (!cls || !value || !map_name) return nullptr;
    PyObject* map = nullptr;
    for (const auto& [known, known_map] : maps) {
        if (known == py(cls)) map = known_map;
    }
    if (!map) {
        map = PyObject_GetAttr(py(cls), map_name);
        if (!map) return nullptr;
        if (!PyDict_Check(map)) {
            Py_DECREF(map);
            return nullptr;
        }
        Py_INCREF(py(cls));
        maps.emplace_back(py(cls), map);  // both references kept
    }
    PyObject* member = PyDict_GetItemWithError(map, py(value));
    Py_XINCREF(member);
    return as_obj(member);
}

astra_obj svc_call1(astra_obj callable, astra_obj arg) {
    if (!callable || !arg) return nullptr;
    return as_obj(PyObject_CallOneArg(py(callable), py(arg)));
}

int svc_int_value(astra_obj value, int64_t* out) {
    if (!value || !out || !PyLong_CheckExact(py(value))) return 0;
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(py(value), &overflow);
    if (overflow || (v == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return 0;
    }
    *out = v;
    return 1;
}

int svc_float_value(astra_obj value, double* out) {
    if (!value || !out) return 0;
    if (PyFloat_CheckExact(py(value))) {
        *out = PyFloat_AS_DOUBLE(py(value));
        return 1;
    }
    if (!PyLong_CheckExact(py(value))) return 0;
    const double v = PyLong_AsDouble(py(value));
    if (v == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return 0;
    }
    *out = v;
    return 1;
}

size_t svc_str_length(astra_obj value) {
    if (!value || !PyUnicode_CheckExact(py(value))) return static_cast<size_t>(-1);
    return static_cast<size_t>(PyUnicode_GET_LENGTH(py(value)));
}

int svc_kind_of(astra_obj value) { return value ? kind_of(py(value)) : ASTRA_KIND_OTHER; }

size_t svc_seq_len(astra_obj seq) {
    PyObject* o = py(seq);
    if (o && PyList_Check(o)) return static_cast<size_t>(PyList_GET_SIZE(o));
    if (o && PyTuple_Check(o)) return static_cast<size_t>(PyTuple_GET_SIZE(o));
    if (o) type_error("seq_len", o);
    return static_cast<size_t>(-1);
}

astra_obj svc_seq_item(astra_obj seq, size_t index) {
    PyObject* o = py(seq);
    if (!o) return nullptr;
    const bool list = PyList_Check(o);
    if (!list && !PyTuple_Check(o)) {
        type_error("seq_item", o);
        return nullptr;
    }
    const Py_ssize_t n = list ? PyList_GET_SIZE(o) : PyTuple_GET_SIZE(o);
    if (index >= static_cast<size_t>(n)) {
        PyErr_SetString(PyExc_IndexError, "seq_item: index out of range");
        return nullptr;
    }
    const auto i = static_cast<Py_ssize_t>(index);
    return as_obj(list ? PyList_GET_ITEM(o, i) : PyTuple_GET_ITEM(o, i));
}

// --- JSON writing (json/writer.h) ---------------------------------------------------------

int svc_out_reserve(astra_out* out, size_t extra) { return out ? json::reserve(out, extra) : -1; }

int svc_out_int(astra_out* out, astra_obj value) { return out && value ? json::write_int(out, py(value)) : -1; }

int svc_out_float(astra_out* out, astra_obj value, int style) {
    if (!out || !value) return -1;
    if (!json::valid_float_style(style)) {
        PyErr_Format(PyExc_ValueError, "out_float: unknown float style %d", style);
        return -1;
    }
    return json::write_float(out, py(value), style);
}

int svc_out_str(astra_out* out, astra_obj value) { return out && value ? json::write_str(out, py(value)) : -1; }

int svc_out_bool(astra_out* out, astra_obj value) {
    if (!out || !value) return -1;
    if (py(value) == Py_True) return json::put(out, "true", 4);
    if (py(value) == Py_False) return json::put(out, "false", 5);
    type_error("out_bool", py(value));
    return -1;
}

int svc_out_any(astra_out* out, astra_obj value, int float_style) {
    if (!out || !value) return -1;
    if (!json::valid_float_style(float_style)) {
        PyErr_Format(PyExc_ValueError, "out_any: unknown float style %d", float_style);
        return -1;
    }
    return json::write_any(out, py(value), float_style);
}

int svc_out_typed(astra_out* out, astra_obj value, int kind) {
    return out && value ? json::write_typed(out, py(value), kind) : -1;
}

int svc_out_enum(astra_out* out, astra_obj value, astra_obj cls) {
    return out && value && cls ? json::write_enum(out, py(value), py(cls)) : -1;
}

int fields_from_dict(PyObject* d, const astra_obj* keys, size_t n, astra_obj* values) {
    return dict_fields(d, reinterpret_cast<PyObject* const*>(keys), n, reinterpret_cast<PyObject**>(values));
}

int svc_model_fields(astra_obj model, const astra_obj* keys, size_t n, astra_obj* values) {
    if (!model || !keys || !values || kind_of(py(model)) != ASTRA_KIND_MODEL) return -1;
    // A pydantic model keeps its field values in the instance __dict__.
    PyObject* d = PyObject_GenericGetDict(py(model), nullptr);
    if (!d) return -1;
    int rc = -1;
    if (PyDict_Check(d)) {
        rc = fields_from_dict(d, keys, n, values);
        for (size_t i = 0; i < n && rc >= 0; ++i) {
            if (!values[i]) rc = -1;
        }
        // Not found in field order: pydantic writes them in the dict's order, so decline unless it is the same.
        if (rc == 1) rc = keys_in_order(d, reinterpret_cast<PyObject* const*>(keys), n) == 1 ? 0 : -1;
    } else {
        PyErr_SetString(PyExc_TypeError, "model_fields: __dict__ is not a dict");
    }
    Py_DECREF(d);  // the instance still holds the dict, hence the values
    return rc;
}

int svc_dict_fields(astra_obj dict, const astra_obj* keys, size_t n, astra_obj* values) {
    if (!dict || !keys || !values || !PyDict_CheckExact(py(dict))) return -1;
    return fields_from_dict(py(dict), keys, n, values) < 0 ? -1 : 0;  // validation reads a dict in any order
}

int svc_seq_items(astra_obj seq, astra_obj const** items, size_t* count) {
    PyObject* o = py(seq);
    if (!o || !items || !count) return -1;
    if (PyList_CheckExact(o)) {
        *items = reinterpret_cast<astra_obj const*>(reinterpret_cast<PyListObject*>(o)->ob_item);
        *count = static_cast<size_t>(PyList_GET_SIZE(o));
        return 0;
    }
    if (PyTuple_CheckExact(o)) {
        *items = reinterpret_cast<astra_obj const*>(reinterpret_cast<PyTupleObject*>(o)->ob_item);
        *count = static_cast<size_t>(PyTuple_GET_SIZE(o));
        return 0;
    }
    return -1;
}

const astra_services kServices = {
    ASTRA_ABI_VERSION,
    static_cast<uint32_t>(sizeof(astra_services)),
    svc_intern,
    svc_model_field,
    svc_kind_of,
    svc_seq_len,
    svc_seq_item,
    svc_out_reserve,
    svc_out_int,
    svc_out_float,
    svc_out_str,
    svc_out_bool,
    svc_out_any,
    svc_model_fields,
    svc_dict_fields,
    svc_seq_items,
    decode::query_last,
    decode::kw_int,
    decode::kw_float,
    decode::kw_str,
    decode::kw_bool,
    decode::parse_float,
    svc_resolve,
    svc_is_exact_type,
    svc_dict_get,
    decode::body_json,
    decode::jin_kind,
    decode::jin_int,
    decode::jin_real,
    decode::jin_str,
    decode::jin_len,
    decode::jin_first,
    decode::jin_next,
    decode::jin_to_py,
    decode::py_int,
    decode::py_float,
    decode::py_str,
    decode::py_const,
    decode::py_list,
    decode::py_list_set,
    decode::py_dict,
    decode::py_dict_set,
    decode::py_dict_set_str,
    decode::py_set,
    decode::py_set_add,
    decode::release,
    decode::field_default,
    decode::model_new,
    decode::kw_obj,
    svc_model_field_unset,
    svc_model_field_is_default,
    svc_enum_member,
    svc_call1,
    svc_int_value,
    svc_float_value,
    svc_str_length,
    decode::param_values,
    svc_out_typed,
    svc_out_enum,
};

}  // namespace

int kind_of(PyObject* v) {
    PyTypeObject* t = Py_TYPE(v);
    if (t == &PyUnicode_Type) return ASTRA_KIND_STR;
    if (t == &PyLong_Type) return ASTRA_KIND_INT;
    if (t == &PyFloat_Type) return ASTRA_KIND_FLOAT;
    if (v == Py_None) return ASTRA_KIND_NONE;
    if (t == &PyBool_Type) return ASTRA_KIND_BOOL;
    if (t == &PyList_Type) return ASTRA_KIND_LIST;
    if (t == &PyDict_Type) return ASTRA_KIND_DICT;
    if (t == &PyTuple_Type) return ASTRA_KIND_TUPLE;
    // A walk over the type's MRO tuple: a few pointer comparisons.
    if (g_base_model && PyType_IsSubtype(t, g_base_model)) return ASTRA_KIND_MODEL;
    return ASTRA_KIND_OTHER;
}

const astra_services* services() {
    if (!g_base_model) {
        PyObject* mod = PyImport_ImportModule("pydantic");
        if (!mod) return nullptr;
        PyObject* base = PyObject_GetAttrString(mod, "BaseModel");
        Py_DECREF(mod);
        if (!base) return nullptr;
        if (!PyType_Check(base)) {
            Py_DECREF(base);
            PyErr_SetString(PyExc_ImportError, "pydantic.BaseModel is not a class");
            return nullptr;
        }
        g_base_model = reinterpret_cast<PyTypeObject*>(base);  // kept for the process
    }
    return &kServices;
}

}  // namespace astra
