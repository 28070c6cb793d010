#define PY_SSIZE_T_CLEAN
#include "json/typed.h"

#include <datetime.h>

#include "json/float_format.h"
#include "json/writer.h"

namespace astra::json {

namespace {

void refuse(const char* what, PyObject* value) {
    PyObject* name = PyType_GetName(Py_TYPE(value));
    if (name) {
        PyErr_Format(PyExc_TypeError, "%s: not written natively: %U", what, name);
        Py_DECREF(name);
    }
}

// The datetime C API and the classes compared against, loaded on first use (GIL held).
PyObject* g_uuid_class = nullptr;
PyTypeObject* g_timezone_type = nullptr;

bool load_datetime() {
    if (PyDateTimeAPI && g_timezone_type) return true;
    PyDateTime_IMPORT;
    if (!PyDateTimeAPI) return false;
    g_timezone_type = Py_TYPE(PyDateTime_TimeZone_UTC);
    return true;
}

bool load_uuid() {
    if (g_uuid_class) return true;
    PyObject* mod = PyImport_ImportModule("uuid");
    if (!mod) return false;
    g_uuid_class = PyObject_GetAttrString(mod, "UUID");  // kept for the process
    Py_DECREF(mod);
    return g_uuid_class != nullptr;
}

inline char* digits(char* o, int value, int width) {
    for (int i = width - 1; i >= 0; --i) {
        o[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    return o + width;
}

inline char* put_clock(char* o, int hour, int minute, int second, int micro) {
    o = digits(o, hour, 2);
    *o++ = ':';
    o = digits(o, minute, 2);
    *o++ = ':';
    o = digits(o, second, 2);
    if (micro) {
        *o++ = '.';
        o = digits(o, micro, 6);
    }
    return o;
}

inline char* put_date(char* o, int year, int month, int day) {
    o = digits(o, year, 4);
    *o++ = '-';
    o = digits(o, month, 2);
    *o++ = '-';
    return digits(o, day, 2);
}

int write_uuid(astra_out* out, PyObject* value) {
    if (!load_uuid()) return -1;
    if (reinterpret_cast<PyObject*>(Py_TYPE(value)) != g_uuid_class) {
        refuse("out_typed(uuid)", value);
        return -1;
    }
    // uuid.UUID keeps its 128-bit value in the `int` slot (a member descriptor: no Python code).
    static PyObject* int_name = PyUnicode_InternFromString("int");
    if (!int_name) return -1;
    PyObject* number = PyObject_GenericGetAttr(value, int_name);
    if (!number) return -1;
    unsigned char bytes[16];
    int rc = -1;
    if (PyLong_CheckExact(number)) {
#if PY_VERSION_HEX >= 0x030D0000
        const Py_ssize_t n = PyLong_AsNativeBytes(number, bytes, 16,
                                                  Py_ASNATIVEBYTES_BIG_ENDIAN | Py_ASNATIVEBYTES_UNSIGNED_BUFFER |
                                                      Py_ASNATIVEBYTES_REJECT_NEGATIVE);
        rc = (n >= 0 && n <= 16) ? 0 : -1;
        if (n > 16) PyErr_SetString(PyExc_OverflowError, "out_typed(uuid): more than 128 bits");
#else
        rc = _PyLong_AsByteArray(reinterpret_cast<PyLongObject*>(number), bytes, 16, 0, 0);
#endif
    } else {
        refuse("out_typed(uuid) int", number);
    }
    Py_DECREF(number);
    if (rc != 0) return -1;
    static const char hex[] = "0123456789abcdef";
    if (reserve(out, 38) != 0) return -1;
    char* o = out->data + out->len;
    *o++ = '"';
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *o++ = '-';
        *o++ = hex[bytes[i] >> 4];
        *o++ = hex[bytes[i] & 15];
    }
    *o++ = '"';
    out->len = static_cast<std::size_t>(o - out->data);
    return 0;
}

int write_datetime(astra_out* out, PyObject* value) {
    if (!load_datetime()) return -1;
    if (Py_TYPE(value) != PyDateTimeAPI->DateTimeType) {
        refuse("out_typed(datetime)", value);
        return -1;
    }
    auto* dt = reinterpret_cast<PyDateTime_DateTime*>(value);
    int offset_minutes = 0;
    bool aware = false;
    if (dt->hastzinfo && dt->tzinfo != Py_None) {
        if (Py_TYPE(dt->tzinfo) != g_timezone_type) {
            refuse("out_typed(datetime) tzinfo", dt->tzinfo);
            return -1;
        }
        // datetime.timezone.utcoffset is C code returning the fixed offset.
        PyObject* delta = PyObject_CallMethod(dt->tzinfo, "utcoffset", "O", value);
        if (!delta) return -1;
        if (!PyDelta_CheckExact(delta)) {
            refuse("out_typed(datetime) utcoffset", delta);
            Py_DECREF(delta);
            return -1;
        }
        const long seconds = PyDateTime_DELTA_GET_DAYS(delta) * 86400L + PyDateTime_DELTA_GET_SECONDS(delta);
        const int micro = PyDateTime_DELTA_GET_MICROSECONDS(delta);
        Py_DECREF(delta);
        if (micro != 0 || seconds % 60 != 0) {  // pydantic drops the seconds: left to it
            PyErr_SetString(PyExc_ValueError, "out_typed(datetime): an offset with seconds");
            return -1;
        }
        offset_minutes = static_cast<int>(seconds / 60);
        aware = true;
    }
    if (reserve(out, 40) != 0) return -1;
    char* o = out->data + out->len;
    *o++ = '"';
    o = put_date(o, PyDateTime_GET_YEAR(value), PyDateTime_GET_MONTH(value), PyDateTime_GET_DAY(value));
    *o++ = 'T';
    o = put_clock(o, PyDateTime_DATE_GET_HOUR(value), PyDateTime_DATE_GET_MINUTE(value),
                  PyDateTime_DATE_GET_SECOND(value), PyDateTime_DATE_GET_MICROSECOND(value));
    if (aware) {
        if (offset_minutes == 0) {
            *o++ = 'Z';
        } else {
            *o++ = offset_minutes < 0 ? '-' : '+';
            const int m = offset_minutes < 0 ? -offset_minutes : offset_minutes;
            o = digits(o, m / 60, 2);
            *o++ = ':';
            o = digits(o, m % 60, 2);
        }
    }
    *o++ = '"';
    out->len = static_cast<std::size_t>(o - out->data);
    return 0;
}

int write_date(astra_out* out, PyObject* value) {
    if (!load_datetime()) return -1;
    if (Py_TYPE(value) != PyDateTimeAPI->DateType) {
        refuse("out_typed(date)", value);
        return -1;
    }
    if (reserve(out, 12) != 0) return -1;
    char* o = out->data + out->len;
    *o++ = '"';
    o = put_date(o, PyDateTime_GET_YEAR(value), PyDateTime_GET_MONTH(value), PyDateTime_GET_DAY(value));
    *o++ = '"';
    out->len = static_cast<std::size_t>(o - out->data);
    return 0;
}

int write_time(astra_out* out, PyObject* value) {
    if (!load_datetime()) return -1;
    if (Py_TYPE(value) != PyDateTimeAPI->TimeType) {
        refuse("out_typed(time)", value);
        return -1;
    }
    auto* t = reinterpret_cast<PyDateTime_Time*>(value);
    if (t->hastzinfo && t->tzinfo != Py_None) {
        refuse("out_typed(time) tzinfo", t->tzinfo);
        return -1;
    }
    if (reserve(out, 20) != 0) return -1;
    char* o = out->data + out->len;
    *o++ = '"';
    o = put_clock(o, PyDateTime_TIME_GET_HOUR(value), PyDateTime_TIME_GET_MINUTE(value),
                  PyDateTime_TIME_GET_SECOND(value), PyDateTime_TIME_GET_MICROSECOND(value));
    *o++ = '"';
    out->len = static_cast<std::size_t>(o - out->data);
    return 0;
}

// pydantic's SecretStr / SecretBytes: "**********" for a non-empty secret, "" for an empty one.
int write_secret(astra_out* out, PyObject* value, bool text) {
    static PyObject* classes[2] = {nullptr, nullptr};  // SecretStr, SecretBytes; kept for the process
    PyObject*& cls = classes[text ? 0 : 1];
    if (!cls) {
        PyObject* mod = PyImport_ImportModule("pydantic.types");
        if (!mod) return -1;
        cls = PyObject_GetAttrString(mod, text ? "SecretStr" : "SecretBytes");
        Py_DECREF(mod);
        if (!cls) return -1;
    }
    if (reinterpret_cast<PyObject*>(Py_TYPE(value)) != cls) {
        refuse("out_typed(secret)", value);
        return -1;
    }
    static PyObject* secret_name = PyUnicode_InternFromString("_secret_value");
    if (!secret_name) return -1;
    PyObject* d = PyObject_GenericGetDict(value, nullptr);
    if (!d) return -1;
    PyObject* secret = PyDict_Check(d) ? PyDict_GetItemWithError(d, secret_name) : nullptr;  // borrowed
    Py_ssize_t length = -1;
    if (secret && text && PyUnicode_CheckExact(secret)) length = PyUnicode_GET_LENGTH(secret);
    if (secret && !text && PyBytes_CheckExact(secret)) length = PyBytes_GET_SIZE(secret);
    Py_DECREF(d);
    if (length < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "out_typed(secret): an unexpected secret value");
        return -1;
    }
    return length ? put(out, "\"**********\"", 12) : put(out, "\"\"", 2);
}

// ipaddress.IPv4Address: its `_ip` slot (a member descriptor: no Python code) as a dotted quad.
int write_ipv4(astra_out* out, PyObject* value) {
    static PyObject* cls = nullptr;  // kept for the process
    if (!cls) {
        PyObject* mod = PyImport_ImportModule("ipaddress");
        if (!mod) return -1;
        cls = PyObject_GetAttrString(mod, "IPv4Address");
        Py_DECREF(mod);
        if (!cls) return -1;
    }
    if (reinterpret_cast<PyObject*>(Py_TYPE(value)) != cls) {
        refuse("out_typed(ipv4)", value);
        return -1;
    }
    static PyObject* ip_name = PyUnicode_InternFromString("_ip");
    if (!ip_name) return -1;
    PyObject* number = PyObject_GenericGetAttr(value, ip_name);
    if (!number) return -1;
    unsigned long long ip = PyLong_CheckExact(number) ? PyLong_AsUnsignedLongLong(number) : ~0ULL;
    Py_DECREF(number);
    if (ip > 0xFFFFFFFFULL) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "out_typed(ipv4): not a 32-bit address");
        return -1;
    }
    if (reserve(out, 17) != 0) return -1;
    char* o = out->data + out->len;
    *o++ = '"';
    for (int shift = 24; shift >= 0; shift -= 8) {
        const auto octet = static_cast<unsigned>((ip >> shift) & 0xFF);
        if (octet >= 100) *o++ = static_cast<char>('0' + octet / 100);
        if (octet >= 10) *o++ = static_cast<char>('0' + octet / 10 % 10);
        *o++ = static_cast<char>('0' + octet % 10);
        if (shift) *o++ = '.';
    }
    *o++ = '"';
    out->len = static_cast<std::size_t>(o - out->data);
    return 0;
}

// pydantic's URLs: pydantic_core's Url / MultiHostUrl (their text is computed by pydantic-core, in Rust),
// or a pydantic.networks URL class (HttpUrl, AnyUrl, PostgresDsn, ...) that keeps one in `_url` and does
// not override __str__: written as that text, quoted and escaped.
int write_url(astra_out* out, PyObject* value) {
    static PyObject* core_url = nullptr;
    static PyObject* core_multi = nullptr;
    static PyObject* base_url = nullptr;
    static PyObject* base_str = nullptr;  // _BaseUrl.__str__
    if (!core_url) {
        PyObject* core = PyImport_ImportModule("pydantic_core");
        PyObject* networks = core ? PyImport_ImportModule("pydantic.networks") : nullptr;
        PyObject* url = core ? PyObject_GetAttrString(core, "Url") : nullptr;
        PyObject* multi = core ? PyObject_GetAttrString(core, "MultiHostUrl") : nullptr;
        PyObject* base = networks ? PyObject_GetAttrString(networks, "_BaseUrl") : nullptr;
        Py_XDECREF(core);
        Py_XDECREF(networks);
        if (!url || !multi) {
            Py_XDECREF(url);
            Py_XDECREF(multi);
            Py_XDECREF(base);
            return -1;
        }
        if (!base || !PyType_Check(base)) {  // an older pydantic: only pydantic_core's own classes
            PyErr_Clear();
            Py_XDECREF(base);
            base = nullptr;
        }
        core_url = url;  // kept for the process
        core_multi = multi;
        base_url = base;
        if (base_url) {
            base_str = PyDict_GetItemString(reinterpret_cast<PyTypeObject*>(base_url)->tp_dict, "__str__");
            Py_XINCREF(base_str);
        }
    }
    PyObject* core_value = nullptr;  // borrowed
    PyObject* type = reinterpret_cast<PyObject*>(Py_TYPE(value));
    PyObject* d = nullptr;
    if (type == core_url || type == core_multi) {
        core_value = value;
    } else if (base_url && base_str && PyType_IsSubtype(Py_TYPE(value), reinterpret_cast<PyTypeObject*>(base_url))) {
        static PyObject* str_name = PyUnicode_InternFromString("__str__");
        static PyObject* url_name = PyUnicode_InternFromString("_url");
        if (!str_name || !url_name) return -1;
        if (_PyType_Lookup(Py_TYPE(value), str_name) == base_str) {
            d = PyObject_GenericGetDict(value, nullptr);
            if (!d) return -1;
            PyObject* inner = PyDict_Check(d) ? PyDict_GetItemWithError(d, url_name) : nullptr;
            if (inner && (reinterpret_cast<PyObject*>(Py_TYPE(inner)) == core_url ||
                          reinterpret_cast<PyObject*>(Py_TYPE(inner)) == core_multi)) {
                core_value = inner;
            }
        }
    }
    if (!core_value) {
        Py_XDECREF(d);
        if (!PyErr_Occurred()) refuse("out_typed(url)", value);
        return -1;
    }
    PyObject* text = PyObject_Str(core_value);  // pydantic-core's own (Rust) __str__
    Py_XDECREF(d);
    if (!text) return -1;
    const int rc = PyUnicode_CheckExact(text) ? write_str(out, text) : -1;
    if (rc != 0 && !PyErr_Occurred()) refuse("out_typed(url) text", text);
    Py_DECREF(text);
    return rc;
}

}  // namespace

int write_typed(astra_out* out, PyObject* value, int kind) {
    switch (kind) {
        case ASTRA_TYPED_UUID:
            return write_uuid(out, value);
        case ASTRA_TYPED_DATETIME:
            return write_datetime(out, value);
        case ASTRA_TYPED_DATE:
            return write_date(out, value);
        case ASTRA_TYPED_TIME:
            return write_time(out, value);
        case ASTRA_TYPED_SECRET_STR:
            return write_secret(out, value, true);
        case ASTRA_TYPED_SECRET_BYTES:
            return write_secret(out, value, false);
        case ASTRA_TYPED_IPV4:
            return write_ipv4(out, value);
        case ASTRA_TYPED_URL:
            return write_url(out, value);
        default:
            PyErr_Format(PyExc_ValueError, "out_typed: unknown kind %d", kind);
            return -1;
    }
}

int write_enum(astra_out* out, PyObject* value, PyObject* cls) {
    if (reinterpret_cast<PyObject*>(Py_TYPE(value)) != cls) {
        refuse("out_enum", value);
        return -1;
    }
    // An enum member keeps its value in its instance __dict__ under "_value_".
    static PyObject* value_name = PyUnicode_InternFromString("_value_");
    if (!value_name) return -1;
    PyObject* d = PyObject_GenericGetDict(value, nullptr);
    if (!d) return -1;
    PyObject* member_value = PyDict_Check(d) ? PyDict_GetItemWithError(d, value_name) : nullptr;  // borrowed
    int rc = -1;
    if (member_value) {
        rc = write_any(out, member_value, ASTRA_FLOAT_PYDANTIC);
    } else if (!PyErr_Occurred()) {
        PyErr_SetString(PyExc_TypeError, "out_enum: a member without _value_");
    }
    Py_DECREF(d);
    return rc;
}

}  // namespace astra::json
