// The pybind11 module astraapi._runtime is assembled from one registration function per
// layer; module.cpp calls them in this order (a later one may use types bound earlier).
#pragma once

#include <pybind11/pybind11.h>

namespace astra::bindings {

void bind_json(pybind11::module_& m);        // dumps, format_float, FLOAT_* (json/)
void bind_router(pybind11::module_& m);      // Trie (app/router)
void bind_app_module(pybind11::module_& m);  // AppModule, load_app_module (app/module_loader)
void bind_server(pybind11::module_& m);      // Server, Request (net/, http/)
void bind_codec(pybind11::module_& m);       // gzip_compress (codec/)

}  // namespace astra::bindings
