#define PY_SSIZE_T_CLEAN
#include "app/module_loader.h"

#include "app/decode_context.h"

#include <cstring>

#include <dlfcn.h>
#include <sys/stat.h>

#include <cstddef>

#include "app/router.h"
#include "app/services.h"
#include "json/writer.h"

namespace astra {

namespace {

std::string build_hint(const std::string& app_ref) {
    return "run `astraapi build " + (app_ref.empty() ? std::string("<app_ref>") : app_ref) + "`";
}

// The pending Python error as text ("Type: message"), cleared; "" if none.
std::string take_python_error() {
    if (!PyErr_Occurred()) return "";
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    std::string out;
    if (type) {
        PyObject* name = PyType_GetName(reinterpret_cast<PyTypeObject*>(type));
        if (name) {
            const char* s = PyUnicode_AsUTF8(name);
            if (s) out = s;
            Py_DECREF(name);
        }
    }
    if (value) {
        PyObject* str = PyObject_Str(value);
        if (str) {
            const char* s = PyUnicode_AsUTF8(str);
            if (s && *s) out += std::string(": ") + s;
            Py_DECREF(str);
        }
    }
    PyErr_Clear();  // errors from the formatting above
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return out;
}

}  // namespace

std::shared_ptr<AppModule> AppModule::load(const std::string& path, const std::string& expected_ir_hash,
                                           const std::string& app_ref_hint) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
        throw ModuleLoadError("compiled app module " + path + " does not exist; " + build_hint(app_ref_hint),
                              path);
    }

    ::dlerror();
    void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char* err = ::dlerror();
        throw ModuleLoadError("cannot load compiled app module " + path + ": " + (err ? err : "dlopen failed") +
                                  "; " + build_hint(app_ref_hint),
                              path);
    }
    std::shared_ptr<void> handle(h, [](void* p) { ::dlclose(p); });

    ::dlerror();
    void* sym = ::dlsym(h, ASTRA_MODULE_ENTRY_SYMBOL);
    if (!sym) {
        throw ModuleLoadError(path + " is not an AstraAPI app module (it exports no " ASTRA_MODULE_ENTRY_SYMBOL
                                     "); " +
                                  build_hint(app_ref_hint),
                              path);
    }
    auto entry = reinterpret_cast<astra_module_entry_fn>(sym);
    const astra_app_module* mod = entry();
    if (!mod) {
        throw ModuleLoadError(path + ": " ASTRA_MODULE_ENTRY_SYMBOL "() returned NULL; " + build_hint(app_ref_hint),
                              path);
    }

    const std::string app_ref = mod->abi_version == ASTRA_ABI_VERSION && mod->size >= offsetof(astra_app_module, trie) &&
                                        mod->app_ref
                                    ? std::string(mod->app_ref)
                                    : app_ref_hint;
    if (mod->abi_version != ASTRA_ABI_VERSION) {
        throw ModuleLoadError(path + " was generated for AstraAPI ABI version " + std::to_string(mod->abi_version) +
                                  ", but this runtime has ABI version " + std::to_string(ASTRA_ABI_VERSION) +
                                  " (another astraapi release built it); " + build_hint(app_ref),
                              path);
    }
    if (mod->size < sizeof(astra_app_module)) {
        throw ModuleLoadError(path + " has an astra_app_module of " + std::to_string(mod->size) +
                                  " bytes, this runtime needs " + std::to_string(sizeof(astra_app_module)) + "; " +
                                  build_hint(app_ref),
                              path);
    }
    const std::string got_hash = mod->ir_hash ? mod->ir_hash : "";
    if (got_hash != expected_ir_hash) {
        throw ModuleLoadError(path + " is stale: it was built from IR hash " + (got_hash.empty() ? "(none)" : got_hash) +
                                  " but the app's IR hash is now " + expected_ir_hash + "; " + build_hint(app_ref),
                              path);
    }
    if (mod->decoder_count > 0 && !mod->decoders) {
        throw ModuleLoadError(path + ": decoder_count is " + std::to_string(mod->decoder_count) +
                                  " but decoders is NULL; " + build_hint(app_ref),
                              path);
    }
    if (mod->serializer_count > 0 && !mod->serializers) {
        throw ModuleLoadError(path + ": serializer_count is " + std::to_string(mod->serializer_count) +
                                  " but serializers is NULL; " + build_hint(app_ref),
                              path);
    }

    std::shared_ptr<AppModule> m(new AppModule());
    m->path_ = path;
    m->handle_ = handle;
    m->module_ = mod;
    m->ir_hash_ = got_hash;
    m->app_ref_ = mod->app_ref ? mod->app_ref : "";
    m->serializer_names_.reserve(mod->serializer_count);
    for (uint32_t i = 0; i < mod->serializer_count; ++i) {
        const char* name = mod->serializer_names ? mod->serializer_names[i] : nullptr;
        m->serializer_names_.emplace_back(name ? name : "");
    }
    if (mod->trie) {
        try {
            m->trie_ = Trie::borrow(mod->trie, handle);
        } catch (const std::exception& e) {
            throw ModuleLoadError(path + ": invalid route trie: " + e.what() + "; " + build_hint(app_ref), path);
        }
    }

    m->services_ = services();
    if (!m->services_) {
        throw ModuleLoadError("cannot prepare the services for " + path + ": " + take_python_error(), path);
    }
    if (mod->init) {
        const int rc = mod->init(m->services_);
        if (rc != 0) {
            std::string err = take_python_error();
            throw ModuleLoadError(path + ": the module's init failed (returned " + std::to_string(rc) + ")" +
                                      (err.empty() ? "" : ": " + err) + "; " + build_hint(app_ref),
                                  path);
        }
        if (PyErr_Occurred()) {  // succeeded but left an error behind: a module bug
            std::string err = take_python_error();
            throw ModuleLoadError(path + ": the module's init left a Python error set: " + err, path);
        }
    }
    return m;
}

namespace {

PyObject* run_serializer(astra_serializer_fn fn, const astra_services* services, PyObject* value) {
    if (!fn) Py_RETURN_NONE;
    json::Output output;
    if (fn(services, output.get(), reinterpret_cast<astra_obj>(value)) != 0 || PyErr_Occurred()) {
        PyErr_Clear();  // the contract: a declined value goes to the generic path
        Py_RETURN_NONE;
    }
    return output.to_bytes();
}

}  // namespace

PyObject* AppModule::serialize(uint32_t index, PyObject* value) const {
    if (index >= serializer_count()) {
        throw std::out_of_range("serializer index " + std::to_string(index) + " out of range (the module has " +
                                std::to_string(serializer_count()) + ")");
    }
    return run_serializer(module_->serializers[index], services_, value);
}

PyObject* AppModule::encode(uint32_t index, PyObject* value) const {
    if (index >= serializer_count()) {
        throw std::out_of_range("encoder index " + std::to_string(index) + " out of range (the module has " +
                                std::to_string(serializer_count()) + ")");
    }
    return run_serializer(module_->encoders ? module_->encoders[index] : nullptr, services_, value);
}

PyObject* AppModule::decode(uint32_t index, PyObject* query_string, PyObject* path_params, PyObject* body,
                            PyObject* headers) const {
    if (index >= decoder_count()) {
        throw std::out_of_range("decoder index " + std::to_string(index) + " out of range (the module has " +
                                std::to_string(decoder_count()) + ")");
    }
    astra_decoder_fn fn = module_->decoders[index];
    char* query = nullptr;
    Py_ssize_t query_len = 0;
    if (!fn || !PyTuple_Check(path_params) || PyBytes_AsStringAndSize(query_string, &query, &query_len) < 0) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    constexpr Py_ssize_t kMaxParams = 16;
    const Py_ssize_t count = PyTuple_GET_SIZE(path_params);
    if (count > kMaxParams) Py_RETURN_NONE;
    astra_str params[kMaxParams];
    for (Py_ssize_t i = 0; i < count; ++i) {
        Py_ssize_t len = 0;
        const char* text = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(path_params, i), &len);
        if (!text) {
            PyErr_Clear();
            Py_RETURN_NONE;
        }
        params[i] = astra_str{text, static_cast<size_t>(len)};
    }
    PyObject* kwargs = PyDict_New();
    if (!kwargs) return nullptr;
    astra_decode_ctx ctx;
    ctx.query = std::string_view(query, static_cast<size_t>(query_len));
    ctx.kwargs = kwargs;
    if (headers && headers != Py_None) ctx.headers = headers;  // header and cookie parameters
    if (body && body != Py_None) {
        char* data = nullptr;
        Py_ssize_t len = 0;
        if (PyBytes_AsStringAndSize(body, &data, &len) < 0) {
            PyErr_Clear();
            Py_DECREF(kwargs);
            Py_RETURN_NONE;
        }
        ctx.body = std::string_view(data, static_cast<size_t>(len));
        // The first content-type header decides, as the generic path reads it.
        const Py_ssize_t count_headers = headers && PyList_Check(headers) ? PyList_GET_SIZE(headers) : 0;
        for (Py_ssize_t i = 0; i < count_headers; ++i) {
            PyObject* pair = PyList_GET_ITEM(headers, i);
            if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) break;
            PyObject* name = PyTuple_GET_ITEM(pair, 0);
            PyObject* value = PyTuple_GET_ITEM(pair, 1);
            if (!PyBytes_Check(name) || !PyBytes_Check(value)) break;
            if (PyBytes_GET_SIZE(name) == 12 && std::memcmp(PyBytes_AS_STRING(name), "content-type", 12) == 0) {
                ctx.json_content_type = decode::is_json_content_type(
                    std::string_view(PyBytes_AS_STRING(value), static_cast<size_t>(PyBytes_GET_SIZE(value))));
                break;
            }
        }
    }
    if (fn(services_, &ctx, params, static_cast<size_t>(count)) != 0 || PyErr_Occurred()) {
        PyErr_Clear();  // the contract: a declined request goes to the generic path
        Py_DECREF(kwargs);
        Py_RETURN_NONE;
    }
    return kwargs;
}

}  // namespace astra
