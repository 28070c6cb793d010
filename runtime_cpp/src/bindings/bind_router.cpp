// Trie: the route matcher as Python sees it (see docs/internals.md).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "../app/router.h"
#include "bindings.h"

namespace py = pybind11;

namespace astra::bindings {

namespace {

uint32_t to_u32(py::handle h, const char* what) {
    long long v = h.cast<long long>();
    if (v < 0 || v > 0xffffffffLL) throw py::value_error(std::string("trie table: ") + what + " out of range");
    return static_cast<uint32_t>(v);
}

py::tuple as_tuple(py::handle h, size_t n, const char* what) {
    py::tuple t = py::reinterpret_borrow<py::object>(h).cast<py::tuple>();
    if (t.size() != n)
        throw py::value_error(std::string("trie table: each ") + what + " must have " + std::to_string(n) + " items");
    return t;
}

py::str decode_replace(std::string_view s) {
    PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
    if (!o) throw py::error_already_set();
    return py::reinterpret_steal<py::str>(o);
}

std::shared_ptr<Trie> trie_from_python(py::sequence nodes, py::sequence edges, py::sequence param_edges,
                                       py::sequence node_routes, py::sequence routes, bool redirect_slashes) {
    std::vector<astra_trie_node> n;
    n.reserve(nodes.size());
    for (py::handle h : nodes) {
        py::tuple t = as_tuple(h, 7, "node");
        astra_trie_node x;
        x.edge_begin = to_u32(t[0], "edge_begin");
        x.edge_count = to_u32(t[1], "edge_count");
        x.param_edge_begin = to_u32(t[2], "param_edge_begin");
        x.param_edge_count = to_u32(t[3], "param_edge_count");
        x.route_begin = to_u32(t[4], "route_begin");
        x.route_count = to_u32(t[5], "route_count");
        x.min_route = to_u32(t[6], "min_route");
        n.push_back(x);
    }
    std::vector<std::pair<std::string, uint32_t>> e;
    e.reserve(edges.size());
    for (py::handle h : edges) {
        py::tuple t = as_tuple(h, 2, "edge");
        e.emplace_back(t[0].cast<std::string>(), to_u32(t[1], "child"));
    }
    std::vector<astra_trie_param_edge> pe;
    pe.reserve(param_edges.size());
    for (py::handle h : param_edges) {
        py::tuple t = as_tuple(h, 2, "param edge");
        astra_trie_param_edge x;
        x.kind = to_u32(t[0], "kind");
        x.child = to_u32(t[1], "child");
        pe.push_back(x);
    }
    std::vector<uint32_t> nr;
    nr.reserve(node_routes.size());
    for (py::handle h : node_routes) nr.push_back(to_u32(h, "node route"));
    std::vector<RouteSpec> r;
    r.reserve(routes.size());
    for (py::handle h : routes) {
        py::tuple t = as_tuple(h, 3, "route");
        RouteSpec x;
        x.methods = to_u32(t[0], "methods");
        x.allow = t[1].cast<std::string>();
        x.param_count = to_u32(t[2], "param_count");
        r.push_back(std::move(x));
    }
    return Trie::from_tables(n, e, pe, nr, r, redirect_slashes);
}

}  // namespace

void bind_router(py::module_& m) {
    py::class_<Trie, std::shared_ptr<Trie>>(m, "Trie",
                                          "Route trie matcher over astra_trie_table (see trie.h).")
        .def_static("from_tables", &trie_from_python, py::arg("nodes"), py::arg("edges"), py::arg("param_edges"),
                    py::arg("node_routes"), py::arg("routes"), py::arg("redirect_slashes"))
        .def(
            "match",
            [](const Trie& self, const std::string& method, const std::string& path) -> py::tuple {
                MatchScratch s;
                MatchResult r = self.match(Trie::method_bit(method), path, s, method);
                switch (r.kind) {
                    case MatchKind::Found: {
                        py::tuple params(r.param_count);
                        for (size_t i = 0; i < r.param_count; ++i) params[i] = decode_replace(r.params[i]);
                        return py::make_tuple(0, r.route, params);
                    }
                    case MatchKind::MethodNotAllowed:
                        return py::make_tuple(1, r.route);
                    case MatchKind::Redirect:
                        return py::make_tuple(2, decode_replace(r.redirect_path));
                    default:
                        return py::make_tuple(3);
                }
            },
            py::arg("method"), py::arg("path"),
            "(0, route, params) found; (1, route) 405; (2, new_path) redirect; (3,) not found")
        .def_property_readonly("route_count", &Trie::route_count)
        .def_property_readonly("redirect_slashes", [](const Trie& t) { return t.table().redirect_slashes != 0; });
}

}  // namespace astra::bindings
