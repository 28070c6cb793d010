// _runtime.dumps, format_float, FLOAT_PYTHON, FLOAT_PYDANTIC (see json/writer.h).
#include <cmath>

#include "bindings/bindings.h"
#include "json/float_format.h"
#include "json/writer.h"

namespace py = pybind11;

namespace astra::bindings {

void bind_json(py::module_& m) {
    m.attr("FLOAT_PYTHON") = static_cast<int>(ASTRA_FLOAT_PYTHON);
    m.attr("FLOAT_PYDANTIC") = static_cast<int>(ASTRA_FLOAT_PYDANTIC);

    m.def(
        "dumps",
        [](py::handle obj, int float_style, bool jsonable) -> py::bytes {
            PyObject* r = astra::json::dumps(obj.ptr(), float_style, jsonable);
            if (!r) throw py::error_already_set();
            return py::reinterpret_steal<py::bytes>(r);
        },
        py::arg("obj"), py::arg("float_style") = static_cast<int>(ASTRA_FLOAT_PYTHON), py::kw_only(),
        py::arg("jsonable") = false,
        "json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(',', ':')).encode(),\n"
        "byte for byte, for None/bool/int/float/str/list/tuple/dict (exact types).\n"
        "TypeError for anything else, ValueError for NaN/Infinity, RecursionError when too deep.\n"
        "jsonable=True: also TypeError for a str key starting with '_sa' (jsonable_encoder drops those).");

    m.def(
        "format_float",
        [](double x, int style) -> py::str {
            if (!astra::json::valid_float_style(style)) {
                throw py::value_error("unknown float style " + std::to_string(style));
            }
            if (!std::isfinite(x)) {
                astra::json::set_out_of_range_error(x);
                throw py::error_already_set();
            }
            char buf[astra::json::kFloatBufSize];
            const std::size_t n = astra::json::format_double(x, style, buf);
            return py::str(buf, n);
        },
        py::arg("x"), py::arg("style"),
        "The text of a finite float in the given style (FLOAT_PYTHON or FLOAT_PYDANTIC).");
}

}  // namespace astra::bindings
