// The Server object as Python sees it (docs/internals.md): options in, the native server core
// (http/server.h) with its dispatcher (dispatcher.cpp); the Request type is request_type.cpp.

#include "server_bridge.h"

#include <memory>
#include <string>
#include <vector>

#include "../app/router.h"
#include "bindings.h"

namespace astra::bindings {

namespace {

using namespace server_bridge;

const std::vector<std::string>& python_reason_phrases() {
    static std::vector<std::string> phrases = [] {
        std::vector<std::string> v(600);
        py::object status_cls = py::module_::import("http").attr("HTTPStatus");
        for (int code = 100; code < 600; ++code) {
            PyObject* member = PyObject_CallOneArg(status_cls.ptr(), py::int_(code).ptr());
            if (!member) {
                PyErr_Clear();
                continue;
            }
            PyObject* phrase = PyObject_GetAttrString(member, "phrase");
            Py_DECREF(member);
            if (!phrase) {
                PyErr_Clear();
                continue;
            }
            Py_ssize_t n = 0;
            const char* s = PyUnicode_AsUTF8AndSize(phrase, &n);
            if (s) v[static_cast<size_t>(code)].assign(s, static_cast<size_t>(n));
            else PyErr_Clear();
            Py_DECREF(phrase);
        }
        return v;
    }();
    return phrases;
}

class PyServer {
public:
    PyServer(py::object handler, std::shared_ptr<Trie> trie, std::string host, int port, bool reuse_port,
             int backlog, py::bytes server_header, size_t max_header_size, size_t max_body_size,
             double idle_timeout, size_t max_header_count, double header_timeout, double body_timeout,
             size_t max_connections, bool access_log, bool proxy_headers, py::object forwarded_allow_ips,
             size_t ws_max_size, double ws_ping_interval, double ws_ping_timeout,
             size_t body_min_rate, double body_min_rate_grace, bool gzip, size_t gzip_min_size, int gzip_level) {
        if (!PyCallable_Check(handler.ptr())) throw py::type_error("handler must be callable");
        if (!trie) throw py::type_error("trie must be a Trie");
        auto millis = [](double v, const char* name) {
            if (!(v >= 0) || v > 86400.0 * 365) throw py::value_error(std::string(name) + " must be >= 0 (seconds)");
            return static_cast<uint64_t>(v * 1000 + 0.5);  // 0 disables
        };
        http::ServerOptions o;
        o.host = std::move(host);
        o.port = port;
        o.reuse_port = reuse_port;
        o.backlog = backlog;
        o.server_header = std::string(server_header);
        for (char ch : o.server_header)
            if (ch == '\r' || ch == '\n' || ch == '\0') throw py::value_error("invalid server_header");
        o.max_header_size = max_header_size;
        o.max_body_size = max_body_size;
        o.idle_timeout_ms = millis(idle_timeout, "idle_timeout");
        o.max_header_count = max_header_count;
        o.header_timeout_ms = millis(header_timeout, "header_timeout");
        o.body_timeout_ms = millis(body_timeout, "body_timeout");
        o.max_connections = max_connections;
        o.body_min_rate = body_min_rate;
        o.body_min_rate_grace_ms = millis(body_min_rate_grace, "body_min_rate_grace");
        if (gzip_level < 0 || gzip_level > 9) throw py::value_error("gzip_level must be 0 to 9");
        o.gzip = gzip;
        o.gzip_min_size = gzip_min_size;
        o.gzip_level = gzip_level;
        o.access_log = access_log;
        o.proxy_headers = proxy_headers;
        o.ws_max_size = ws_max_size;
        o.ws_ping_interval_ms = millis(ws_ping_interval, "ws_ping_interval");
        o.ws_ping_timeout_ms = millis(ws_ping_timeout, "ws_ping_timeout");
        if (py::isinstance<py::str>(forwarded_allow_ips)) {
            o.forwarded_allow_ips = forwarded_allow_ips.cast<std::string>();
        } else {
            std::string joined;
            for (py::handle item : forwarded_allow_ips) {
                if (!joined.empty()) joined += ',';
                joined += py::str(item).cast<std::string>();
            }
            o.forwarded_allow_ips = joined;
        }
        const auto& phrases = python_reason_phrases();
        auto dispatcher = std::make_unique<PyDispatcher>(handler, access_log);
        dispatcher_ = dispatcher.get();
        try {
            core_ = std::make_unique<http::Server>(std::move(trie), std::move(o));
        } catch (const std::exception& e) {
            PyErr_SetString(PyExc_OSError, e.what());
            throw py::error_already_set();
        }
        for (int code = 100; code < 600; ++code) core_->set_reason_phrase(code, phrases[static_cast<size_t>(code)]);
        core_->set_dispatcher(std::move(dispatcher));
    }

    ~PyServer() { core_.reset(); }

    void poll(py::handle self) {
        if (!core_) return;
        dispatcher_->owner = self.ptr();
        dispatcher_->loop_thread = PyThread_get_thread_ident();
        core_->poll();
        dispatcher_->fire_stream_events();
        if (dispatcher_->restore_pending()) throw py::error_already_set();
    }

    void close() {
        if (!core_) return;
        core_->close();
        dispatcher_->fire_all_waiters();
        dispatcher_->drop_handler();
    }

    void shutdown() {
        if (core_) core_->shutdown();
    }
    bool draining() const { return !core_ || core_->draining(); }
    bool route_unmatched() const { return core_ && core_->route_unmatched(); }
    void set_route_unmatched(bool on) {
        if (core_) core_->set_route_unmatched(on);
    }
    bool route_redirects() const { return core_ && core_->route_redirects(); }
    void set_route_redirects(bool on) {
        if (core_) core_->set_route_redirects(on);
    }

    void set_direct_route(uint32_t route, py::object endpoint, bool is_async, py::object defaults,
                          py::tuple copied_defaults, py::object decoder_module, uint32_t decoder_index, int decode_kind, int render,
                          py::object encoder_module, uint32_t encoder_index, int status, py::object finish,
                          bool as_task) {
        if (!core_) return;
        if (!PyCallable_Check(endpoint.ptr()) || !PyCallable_Check(finish.ptr())) {
            throw py::type_error("endpoint and finish must be callable");
        }
        if (!defaults.is_none() && !PyDict_Check(defaults.ptr())) throw py::type_error("defaults must be a dict or None");
        if (decode_kind < contract::kDecodeNone || decode_kind > contract::kDecodeWithHeaders ||
            render < contract::kRenderPython || render > contract::kRenderEncoder)
            throw py::value_error("unknown decode/render kind");
        for (py::handle pair : copied_defaults) {
            if (!PyTuple_Check(pair.ptr()) || PyTuple_GET_SIZE(pair.ptr()) != 2 ||
                !PyUnicode_Check(PyTuple_GET_ITEM(pair.ptr(), 0)) || !PyList_Check(PyTuple_GET_ITEM(pair.ptr(), 1))) {
                throw py::type_error("copied_defaults must hold (name, list) pairs");
            }
        }
        if (status < 200 || status > 299) throw py::value_error("a direct route answers with a 2xx status");
        DirectRoute d;
        d.endpoint = std::move(endpoint);
        d.defaults = std::move(defaults);
        d.copied_defaults = std::move(copied_defaults);
        d.finish = std::move(finish);
        d.decode = static_cast<DirectDecode>(decode_kind);
        d.render = static_cast<DirectRender>(render);
        d.status = status;
        d.is_async = is_async;
        d.as_task = as_task;
        if (as_task && !is_async) throw py::value_error("only an async endpoint runs as a task");
        if (d.decode != DirectDecode::None) {
            d.decoder_module = decoder_module.cast<std::shared_ptr<AppModule>>();
            if (!d.decoder_module || decoder_index >= d.decoder_module->decoder_count()) {
                throw py::value_error("decoder index out of range");
            }
            d.decoder_index = decoder_index;
        }
        if (d.render == DirectRender::Encoder) {
            d.encoder_module = encoder_module.cast<std::shared_ptr<AppModule>>();
            if (!d.encoder_module || encoder_index >= d.encoder_module->serializer_count()) {
                throw py::value_error("encoder index out of range");
            }
            d.encoder_index = encoder_index;
        }
        dispatcher_->set_direct(route, std::move(d));
    }

    int fileno() const { return core_ ? core_->fileno() : -1; }
    int port() const { return core_ ? core_->port() : 0; }
    std::string host() const { return core_ ? core_->host() : std::string(); }
    bool closed() const { return !core_ || core_->closed(); }
    size_t connection_count() const { return core_ ? core_->connection_count() : 0; }

private:
    std::unique_ptr<http::Server> core_;
    PyDispatcher* dispatcher_ = nullptr;
};

}  // namespace

void bind_server(py::module_& m) {
    init_request_type(m);
    py::class_<PyServer>(m, "Server", "The native HTTP/1.1 server (see docs/internals.md).")
        .def(py::init<py::object, std::shared_ptr<Trie>, std::string, int, bool, int, py::bytes, size_t, size_t,
                      double, size_t, double, double, size_t, bool, bool, py::object, size_t, double, double,
                      size_t, double, bool, size_t, int>(),
             py::arg("handler"), py::arg("trie"), py::arg("host"), py::arg("port"), py::kw_only(),
             // Defaults: astraapi/_runtime_contract.py SERVER_DEFAULTS.
             py::arg("reuse_port") = false, py::arg("backlog") = static_cast<int>(contract::kServerBacklog),
             py::arg("server_header") = py::bytes(contract::kServerServerHeader),
             py::arg("max_header_size") = static_cast<size_t>(contract::kServerMaxHeaderSize),
             py::arg("max_body_size") = static_cast<size_t>(contract::kServerMaxBodySize),
             py::arg("idle_timeout") = contract::kServerIdleTimeout,
             py::arg("max_header_count") = static_cast<size_t>(contract::kServerMaxHeaderCount),
             py::arg("header_timeout") = contract::kServerHeaderTimeout,
             py::arg("body_timeout") = contract::kServerBodyTimeout,
             py::arg("max_connections") = static_cast<size_t>(contract::kServerMaxConnections),
             py::arg("access_log") = contract::kServerAccessLog, py::arg("proxy_headers") = contract::kServerProxyHeaders,
             py::arg("forwarded_allow_ips") = py::str(contract::kServerForwardedAllowIps),
             py::arg("ws_max_size") = static_cast<size_t>(contract::kServerWsMaxSize),
             py::arg("ws_ping_interval") = contract::kServerWsPingInterval,
             py::arg("ws_ping_timeout") = contract::kServerWsPingTimeout,
             py::arg("body_min_rate") = static_cast<size_t>(contract::kServerBodyMinRate),
             py::arg("body_min_rate_grace") = contract::kServerBodyMinRateGrace, py::arg("gzip") = contract::kServerGzip,
             py::arg("gzip_min_size") = static_cast<size_t>(contract::kServerGzipMinSize),
             py::arg("gzip_level") = static_cast<int>(contract::kServerGzipLevel))
        .def("fileno", &PyServer::fileno, "The epoll descriptor: register it with loop.add_reader(fd, server.poll).")
        .def(
            "poll", [](py::object self) { self.cast<PyServer&>().poll(self); },
            "Process every ready event without blocking.")
        .def("close", &PyServer::close,
             "Stop listening and close all connections (remove the fd from the loop first).")
        .def("shutdown", &PyServer::shutdown,
             "Graceful shutdown: stop accepting, close idle connections, let started requests finish "
             "(answered with connection: close); connection_count reaches 0 when done, then close().")
        .def_property_readonly("draining", &PyServer::draining)
        .def_property("route_unmatched", &PyServer::route_unmatched, &PyServer::set_route_unmatched,
                      "True: requests no route matches (404) or whose method is not allowed (405) go to the "
                      "handler as route NOT_FOUND_ROUTE / METHOD_NOT_ALLOWED_ROUTE (astraapi/_runtime_contract.py; "
                      "405: path_params is (allow,)), for an app "
                      "with an exception handler for them; False (default): the built-in answers.")
        .def_property("route_redirects", &PyServer::route_redirects, &PyServer::set_route_redirects,
                      "True: the router's trailing-slash redirects go to the handler as route REDIRECT_ROUTE "
                      "(path_params is (location,)), for an app whose middleware changes every answer "
                      "(CORSMiddleware); False (default): the server writes the 307 itself.")
        .def("set_direct_route", &PyServer::set_direct_route, py::arg("route"), py::kw_only(), py::arg("endpoint"),
             py::arg("is_async"), py::arg("defaults"), py::arg("copied_defaults"), py::arg("decoder_module"), py::arg("decoder_index"),
             py::arg("decode_kind"), py::arg("render"), py::arg("encoder_module"), py::arg("encoder_index"),
             py::arg("status"), py::arg("finish"), py::arg("as_task") = false,
             "Let the server call route `route`'s endpoint itself (astraapi/engine/direct.py).")
        .def_property_readonly("port", &PyServer::port)
        .def_property_readonly("host", &PyServer::host)
        .def_property_readonly("closed", &PyServer::closed)
        .def_property_readonly("connection_count", &PyServer::connection_count)
        .def("__enter__", [](py::object self) { return self; })
        .def("__exit__", [](PyServer& s, py::args) { s.close(); });
}

}  // namespace astra::bindings
