// _runtime.gzip_compress (see codec/gzip.h).
#include <pybind11/pybind11.h>

#include "bindings/bindings.h"
#include "codec/gzip.h"

namespace py = pybind11;

namespace astra::bindings {

void bind_codec(py::module_& m) {
    m.def(
        "gzip_compress",
        [](py::bytes data, int level) -> py::bytes {
            char* buffer = nullptr;
            Py_ssize_t size = 0;
            if (PyBytes_AsStringAndSize(data.ptr(), &buffer, &size) < 0) throw py::error_already_set();
            std::string out;
            if (size >= 64 * 1024) {
                py::gil_scoped_release unlocked;  // the bytes object stays alive: `data` holds it
                out = codec::gzip_compress(buffer, static_cast<size_t>(size), level);
            } else {
                out = codec::gzip_compress(buffer, static_cast<size_t>(size), level);
            }
            return py::bytes(out);
        },
        py::arg("data"), py::arg("level") = 9,
        "The gzip member of `data` (libdeflate; level 0-12). Large inputs release the GIL.");
}

}  // namespace astra::bindings
