// Loading a compiled app module (astraapi/abi.h): dlopen, version and IR-hash checks, init.
//
// A module is refused (ModuleLoadError -> ImportError in Python) when the file is missing,
// it does not export ASTRA_MODULE_ENTRY_SYMBOL, its ABI version or struct size differs from
// this runtime's, or it was generated from another IR than the app being served. Messages
// name the file and the command to run.
#pragma once

#include <Python.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "astraapi/abi.h"

namespace astra {

class Trie;

class ModuleLoadError : public std::runtime_error {
public:
    ModuleLoadError(const std::string& message, std::string path)
        : std::runtime_error(message), path_(std::move(path)) {}
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

class AppModule {
public:
    // Loads `path` (dlopen RTLD_NOW | RTLD_LOCAL). `app_ref_hint` names the app in messages
    // when the module cannot tell (missing file). Needs the GIL (calls the module's init).
    // Throws ModuleLoadError.
    static std::shared_ptr<AppModule> load(const std::string& path, const std::string& expected_ir_hash,
                                           const std::string& app_ref_hint = "");

    const std::string& path() const { return path_; }
    const std::string& ir_hash() const { return ir_hash_; }
    const std::string& app_ref() const { return app_ref_; }
    const std::vector<std::string>& serializer_names() const { return serializer_names_; }
    uint32_t serializer_count() const { return static_cast<uint32_t>(serializer_names_.size()); }
    // The module's route trie (its const tables, kept alive with the module); may be null.
    const std::shared_ptr<Trie>& trie() const { return trie_; }
    const astra_app_module* raw() const { return module_; }

    // Runs serializer `index` on `value` (GIL held). Returns a new reference: the JSON bytes,
    // or Py_None when the serializer declined the value (any Python error it left is
    // cleared: the caller serializes that value on the generic path), or nullptr with an
    // exception set when writing itself failed (out of memory). Throws std::out_of_range
    // for an index >= serializer_count().
    PyObject* serialize(uint32_t index, PyObject* value) const;
    // Runs encoder `index` (aligned with the serializers) on an endpoint's raw return value:
    // the JSON bytes pydantic would write after validating it, or Py_None (declined).
    PyObject* encode(uint32_t index, PyObject* value) const;

    uint32_t decoder_count() const { return module_->decoder_count; }
    // Runs decoder `index` (GIL held) over the raw query string (bytes) and the path
    // parameters (a tuple of str). Returns a new reference: a dict of endpoint keyword
    // arguments, or Py_None when the decoder declined (errors cleared: the generic path
    // decodes that request). Throws std::out_of_range for a bad index.
    // With `body` (bytes) and `headers` (the request's list of byte pairs), a body decoder may
    // read the body when the first content-type header is JSON; header and cookie parameters
    // are read from `headers` (body None).
    PyObject* decode(uint32_t index, PyObject* query_string, PyObject* path_params, PyObject* body = nullptr,
                     PyObject* headers = nullptr) const;

private:
    AppModule() = default;

    std::string path_;
    std::shared_ptr<void> handle_;  // dlclose when the last owner (module, trie) goes
    const astra_app_module* module_ = nullptr;
    const astra_services* services_ = nullptr;
    std::string ir_hash_;
    std::string app_ref_;
    std::vector<std::string> serializer_names_;
    std::shared_ptr<Trie> trie_;
};

}  // namespace astra
