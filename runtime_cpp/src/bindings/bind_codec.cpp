// _runtime.gzip_compress, gzip_level_for_zlib, gzip_negotiate, GzipStream (see codec/gzip.h).
#include <pybind11/pybind11.h>

#include "bindings/bindings.h"
#include "codec/gzip.h"
#include "http/server.h"

namespace py = pybind11;

namespace astra::bindings {

void bind_codec(py::module_& m) {
    m.def(
        "gzip_compress",
        [](py::bytes data, int level) -> py::bytes {
            char* buffer = nullptr;
            Py_ssize_t size = 0;
            if (PyBytes_AsStringAndSize(data.ptr(), &buffer, &size) < 0) throw py::error_already_set();
            // Compressed straight into the bytes object, shrunk to fit: no zero-filled scratch, no copy.
            const size_t bound = codec::gzip_compress_bound(static_cast<size_t>(size), level);
            PyObject* out = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(bound));
            if (!out) throw py::error_already_set();
            py::object owner = py::reinterpret_steal<py::object>(out);
            char* into = PyBytes_AS_STRING(out);
            size_t written = 0;
            if (size >= 64 * 1024) {
                py::gil_scoped_release unlocked;  // both bytes objects stay alive: `data` and `owner` hold them
                written = codec::gzip_compress_into(buffer, static_cast<size_t>(size), level, into, bound);
            } else {
                written = codec::gzip_compress_into(buffer, static_cast<size_t>(size), level, into, bound);
            }
            out = owner.release().ptr();
            if (_PyBytes_Resize(&out, static_cast<Py_ssize_t>(written)) < 0) throw py::error_already_set();
            return py::reinterpret_steal<py::bytes>(out);
        },
        py::arg("data"), py::arg("level") = 9,
        "The gzip member of `data` (libdeflate; level 0-12). Large inputs release the GIL.");
    m.def("gzip_level_for_zlib", &codec::libdeflate_level_for_zlib, py::arg("compresslevel"),
          "The libdeflate level gzip_compress uses for zlib's compresslevel (0-9): the cheapest one that "
          "compresses the gzip corpus at least as small as zlib does (docs/compat-differences.md).");
    m.def(
        "gzip_negotiate", [](std::string_view accept_encoding) { return http::gzip_negotiate(accept_encoding); },
        py::arg("accept_encoding"),
        "The native server's reading of Accept-Encoding (RFC 9110 12.5.3): 0 no gzip, 1 gzip, "
        "2 gzip and identity refused.");
    m.def(
        "gzip_excluded_type", [](std::string_view content_type) { return http::gzip_excluded_type(content_type); },
        py::arg("content_type"), "Whether the native server's gzip leaves this content-type uncompressed.");
    py::class_<codec::GzipStream>(m, "GzipStream",
                                  "One gzip member made piece by piece (zlib): compress() flushes each piece "
                                  "(Z_SYNC_FLUSH), finish() ends the member.")
        .def(py::init<int>(), py::arg("level") = 9)
        .def("compress",
             [](codec::GzipStream& z, py::bytes data) {
                 char* buffer = nullptr;
                 Py_ssize_t size = 0;
                 if (PyBytes_AsStringAndSize(data.ptr(), &buffer, &size) < 0) throw py::error_already_set();
                 std::string out;
                 z.write(buffer, static_cast<size_t>(size), out);
                 return py::bytes(out);
             })
        .def("finish", [](codec::GzipStream& z) {
            std::string out;
            z.finish(out);
            return py::bytes(out);
        });
}

}  // namespace astra::bindings
