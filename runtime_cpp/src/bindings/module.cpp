// The pybind11 module astraapi._runtime: one registration function per layer, in the order
// bindings.h gives (a later one may use types bound earlier).
#include "astraapi/abi.h"
#include "astraapi_contract.h"  // generated from astraapi/_runtime_contract.py
#include "bindings/bindings.h"

#include <llhttp.h>

namespace py = pybind11;

PYBIND11_MODULE(_runtime, m) {
    m.doc() = "AstraAPI native runtime";
    m.attr("ABI_VERSION") = static_cast<unsigned>(ASTRA_ABI_VERSION);
    // Versions of the bundled libraries, and where libdeflate came from ("system"/"sdist").
    py::dict deps;
    deps["llhttp"] = ASTRAAPI_LLHTTP_VERSION;
    deps["yyjson"] = ASTRAAPI_YYJSON_VERSION;
    deps["libdeflate"] = ASTRAAPI_LIBDEFLATE_VERSION;
    deps["libdeflate_origin"] = ASTRAAPI_LIBDEFLATE_ORIGIN;
    m.attr("NATIVE_DEPS") = deps;
    // The request methods the server's parser (llhttp) accepts; it answers any other with 400, as
    // uvicorn with httptools does (server/serve.py warns about routes declaring one).
    py::list methods;
#define ASTRA_HTTP_METHOD(NUM, NAME, STRING) methods.append(#STRING);
    HTTP_METHOD_MAP(ASTRA_HTTP_METHOD)
#undef ASTRA_HTTP_METHOD
    m.attr("HTTP_METHODS") = py::tuple(methods);

    // The shared constants as this module was compiled with them (flattened: "METHOD_BITS.GET"),
    // for the test that checks both sides agree (tests/native/test_runtime_contract.py).
    py::dict contract;
#define ASTRA_CONTRACT_ITEM(name, value) contract[name] = value;
    ASTRA_CONTRACT_ITEMS(ASTRA_CONTRACT_ITEM)
#undef ASTRA_CONTRACT_ITEM
    m.attr("CONTRACT") = contract;

    astra::bindings::bind_json(m);
    astra::bindings::bind_router(m);
    astra::bindings::bind_app_module(m);
    astra::bindings::bind_server(m);
    astra::bindings::bind_codec(m);
}
