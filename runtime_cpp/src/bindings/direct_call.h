// The direct call (astraapi/engine/direct.py): for a qualifying route the server calls the
// endpoint itself, with the arguments of the route's compiled decoder, and writes the return
// value natively when the route's rendering is one the runtime does byte for byte. What it
// cannot finish goes to the route's Python `finish`, the handler path's code from that point.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>

#include "../app/module_loader.h"
#include "astraapi_contract.h"  // generated from astraapi/_runtime_contract.py

namespace astra::bindings {

// Values: astraapi/_runtime_contract.py (RENDER_*, DECODE_*), which engine/direct.py reads too.
enum class DirectRender : int {
    Python = contract::kRenderPython,
    DefaultJson = contract::kRenderDefaultJson,
    Encoder = contract::kRenderEncoder,
};
enum class DirectDecode : int {
    None = contract::kDecodeNone,
    QueryPath = contract::kDecodeQueryPath,
    WithBody = contract::kDecodeWithBody,
    WithHeaders = contract::kDecodeWithHeaders,
};

struct DirectRoute {
    pybind11::object endpoint;  // empty: the route is not called directly
    pybind11::object defaults;  // dict merged under the decoded arguments, or None
    pybind11::object copied_defaults;  // tuple of (name, list): a copy of the list when name was not decoded
    pybind11::object finish;    // finish(request, outcome, value, context) -> response tuple | None
    std::shared_ptr<AppModule> decoder_module;
    uint32_t decoder_index = 0;
    DirectDecode decode = DirectDecode::None;
    std::shared_ptr<AppModule> encoder_module;
    uint32_t encoder_index = 0;
    DirectRender render = DirectRender::Python;
    int status = 200;
    bool is_async = false;
    // An async endpoint that may suspend: the server only creates the coroutine (with the decoded
    // arguments) and hands it to finish (outcome 3), which runs it as a task, as the handler would.
    bool as_task = false;
};

// What the request offers the decoder; each getter returns a new reference (nullptr + error).
struct DirectInputs {
    PyObject* request;      // the native Request object (passed to finish)
    PyObject* path_params;  // tuple of str
    PyObject* (*query)(PyObject* request);
    PyObject* (*body)(PyObject* request);
    PyObject* (*headers)(PyObject* request);
};

struct DirectResult {
    enum Kind {
        Declined,  // the endpoint was not called: serve the request through the handler
        Body,      // `obj`: the JSON bytes to send with `status` and the default JSON headers
        Handled,   // `obj`: what finish returned, to be delivered like a handler's result
        Error,     // a Python error is set (finish failed, or KeyboardInterrupt/SystemExit)
    } kind;
    PyObject* obj;  // owned
    int status;
};

DirectResult call_direct(const DirectRoute& route, const DirectInputs& in);

}  // namespace astra::bindings
