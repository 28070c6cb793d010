// AppModule and load_app_module (see app/module_loader.h and docs/internals.md).
#include <pybind11/stl.h>

#include "app/module_loader.h"
#include "app/router.h"
#include "bindings/bindings.h"

namespace py = pybind11;

namespace astra::bindings {

namespace {

std::string fspath(py::handle path) {
    PyObject* p = PyOS_FSPath(path.ptr());
    if (!p) throw py::error_already_set();
    py::object owned = py::reinterpret_steal<py::object>(p);
    if (PyBytes_Check(p)) return std::string(PyBytes_AS_STRING(p), static_cast<size_t>(PyBytes_GET_SIZE(p)));
    PyObject* b = PyUnicode_EncodeFSDefault(p);
    if (!b) throw py::error_already_set();
    py::bytes encoded = py::reinterpret_steal<py::bytes>(b);
    return std::string(PyBytes_AS_STRING(b), static_cast<size_t>(PyBytes_GET_SIZE(b)));
}

[[noreturn]] void raise_import_error(const ModuleLoadError& e) {
    py::str msg(e.what());
    py::object path = py::reinterpret_steal<py::object>(
        PyUnicode_DecodeFSDefaultAndSize(e.path().data(), static_cast<Py_ssize_t>(e.path().size())));
    if (!path) throw py::error_already_set();
    PyErr_SetImportError(msg.ptr(), nullptr, path.ptr());  // ImportError(msg, path=path)
    throw py::error_already_set();
}

}  // namespace

void bind_app_module(py::module_& m) {
    py::class_<AppModule, std::shared_ptr<AppModule>>(m, "AppModule",
                                                      "A loaded compiled app module (see load_app_module).")
        .def_property_readonly("path", &AppModule::path)
        .def_property_readonly("ir_hash", &AppModule::ir_hash)
        .def_property_readonly("app_ref", &AppModule::app_ref)
        .def_property_readonly("abi_version", [](const AppModule& self) { return self.raw()->abi_version; })
        .def_property_readonly("serializer_names", &AppModule::serializer_names)
        .def_property_readonly(
            "trie", [](const AppModule& self) { return self.trie(); },
            "The module's route Trie (None if the module has no trie).")
        .def(
            "serialize",
            [](const AppModule& self, uint32_t index, py::handle value) -> py::object {
                PyObject* r;
                try {
                    r = self.serialize(index, value.ptr());
                } catch (const std::out_of_range& e) {
                    throw py::index_error(e.what());
                }
                if (!r) throw py::error_already_set();
                return py::reinterpret_steal<py::object>(r);
            },
            py::arg("index"), py::arg("value"),
            "The JSON bytes of `value` by serializer `index`, or None when the serializer does not\n"
            "handle this value (serialize it on the generic path).")
        .def(
            "encode",
            [](const AppModule& self, uint32_t index, py::handle value) -> py::object {
                PyObject* r;
                try {
                    r = self.encode(index, value.ptr());
                } catch (const std::out_of_range& e) {
                    throw py::index_error(e.what());
                }
                if (!r) throw py::error_already_set();
                return py::reinterpret_steal<py::object>(r);
            },
            py::arg("index"), py::arg("value"),
            "The JSON bytes pydantic would write after validating the endpoint's raw return value\n"
            "`value` with the route's response model, or None when encoder `index` declines it.")
        .def_property_readonly("decoder_count", &AppModule::decoder_count)
        .def(
            "decode",
            [](const AppModule& self, uint32_t index, py::handle query_string, py::handle path_params,
               py::handle body, py::handle headers) -> py::object {
                PyObject* r;
                try {
                    r = self.decode(index, query_string.ptr(), path_params.ptr(), body.ptr(), headers.ptr());
                } catch (const std::out_of_range& e) {
                    throw py::index_error(e.what());
                }
                if (!r) throw py::error_already_set();
                return py::reinterpret_steal<py::object>(r);
            },
            py::arg("index"), py::arg("query_string"), py::arg("path_params"), py::arg("body") = py::none(),
            py::arg("headers") = py::none(),
            "Endpoint keyword arguments decoded by decoder `index` from the raw query string, the\n"
            "path parameters and (body decoders) the body with the request's headers, or None when\n"
            "the decoder declines (decode on the generic path).")
        .def("__repr__", [](const AppModule& self) {
            return "<AppModule " + self.app_ref() + " ir_hash=" + self.ir_hash().substr(0, 12) + " path=" +
                   self.path() + ">";
        });

    m.def(
        "load_app_module",
        [](py::handle path, const std::string& expected_ir_hash, py::object app_ref) {
            const std::string p = fspath(path);
            const std::string hint = app_ref.is_none() ? std::string() : app_ref.cast<std::string>();
            try {
                return AppModule::load(p, expected_ir_hash, hint);
            } catch (const ModuleLoadError& e) {
                raise_import_error(e);
            }
        },
        py::arg("path"), py::arg("expected_ir_hash"), py::arg("app_ref") = py::none(),
        "Load a compiled app module. ImportError (naming the file and the command to run) when\n"
        "the file is missing or is not an app module, or its ABI version or IR hash differs.\n"
        "`app_ref` names the app in the message when the module itself cannot.");
}

}  // namespace astra::bindings
