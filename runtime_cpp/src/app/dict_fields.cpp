// On CPython 3.11 the insertion-order walk reads the dict's entry table directly: PyDict_Next
// costs about 50 instructions a key there, a direct read a handful (the catalog benchmark reads
// 250 keys a request). This needs CPython's internal dict layout, which changes between
// versions, so it is compiled only against 3.11's own internal header (the layout then matches
// by construction); every other version uses PyDict_Next.
#include <patchlevel.h>
#if PY_MAJOR_VERSION == 3 && PY_MINOR_VERSION == 11 && !defined(Py_GIL_DISABLED)
#define ASTRA_DICT_ENTRIES 1
#define Py_BUILD_CORE 1
#endif

#define PY_SSIZE_T_CLEAN
#include "app/dict_fields.h"

#ifdef ASTRA_DICT_ENTRIES
#include <internal/pycore_dict.h>
#endif

namespace astra {

int dict_fields(PyObject* d, PyObject* const* keys, std::size_t n, PyObject** values) {
    std::size_t i = 0;
#ifdef ASTRA_DICT_ENTRIES
    auto* mp = reinterpret_cast<PyDictObject*>(d);
    PyDictKeysObject* dk = mp->ma_keys;
    if (mp->ma_values == nullptr && DK_IS_UNICODE(dk)) {  // a combined table with str keys
        const PyDictUnicodeEntry* entries = DK_UNICODE_ENTRIES(dk);
        const std::size_t count = static_cast<std::size_t>(dk->dk_nentries);
        for (; i < n && i < count; ++i) {
            // A deleted entry has a NULL value (and key): the walk stops there.
            if (entries[i].me_key != keys[i] || entries[i].me_value == nullptr) break;
            values[i] = entries[i].me_value;
        }
    }
#else
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    for (; i < n && PyDict_Next(d, &pos, &key, &value); ++i) {
        if (key != keys[i]) break;
        values[i] = value;
    }
#endif
    if (i == n) return 0;
    for (; i < n; ++i) values[i] = PyDict_GetItemWithError(d, keys[i]);  // borrowed
    return PyErr_Occurred() ? -1 : 1;
}

int keys_in_order(PyObject* d, PyObject* const* keys, std::size_t n) {
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    std::size_t next = 0;  // the field keys seen so far are keys[0 .. next)
    while (PyDict_Next(d, &pos, &key, &value)) {
        for (std::size_t j = 0; j < n; ++j) {
            int same = key == keys[j];
            if (!same && PyUnicode_Check(key)) {
                same = PyUnicode_Compare(key, keys[j]) == 0;
                if (PyErr_Occurred()) return -1;
            }
            if (!same) continue;
            if (j < next) return 0;  // a field key after a later one
            next = j + 1;
            break;
        }
    }
    return 1;
}

}  // namespace astra
