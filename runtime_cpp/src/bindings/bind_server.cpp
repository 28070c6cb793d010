// Server and Request as Python sees them (docs/internals.md), bridging the C++ server core
// (http/server.h) to the Python handler.
//
// Request is a plain CPython type (not a pybind11 class): one is created per request, so it
// is kept cheap: attributes are built on first access and cached, the parsed bytes stay in
// the pooled RequestData until the object dies.
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pybind11/pybind11.h>
#include <pythread.h>
#include <structmember.h>

#include <arpa/inet.h>
#include <fcntl.h>

#include <cstddef>
#include <cstdio>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "../app/router.h"
#include "../http/server.h"
#include "bindings.h"
#include "direct_call.h"

namespace py = pybind11;

namespace astra::bindings {

namespace {

using http::ConnId;
using http::RequestData;
using http::RespondResult;
using http::ResponseHeader;

// ---- Request type ----------------------------------------------------------------------------

struct RequestObject {
    PyObject_HEAD
    PyObject* dict;
    PyObject* weakrefs;
    PyObject* owner;  // the Python Server object (keeps `core` alive)
    http::Server* core;
    RequestData* data;  // owned; back to core's pool on dealloc
    uint32_t slot;
    uint32_t gen;
    int responded;
    PyObject* c_path;
    PyObject* c_raw_path;
    PyObject* c_query;
    PyObject* c_headers;
    PyObject* c_body;
    PyObject* c_client;
};

PyTypeObject RequestType;
PyObject* g_method_names[64];  // interned method names by llhttp method number
PyObject* g_version_11;
PyObject* g_version_10;
PyObject* g_empty_tuple;
PyObject* g_empty_bytes;

class PyDispatcher;

PyDispatcher* dispatcher_of(http::Server* core);
unsigned long dispatcher_of_loop_thread(http::Server* core);

PyObject* decode_replace(std::string_view s) {
    return PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
}

PyObject* decode_latin1(std::string_view s) {
    return PyUnicode_DecodeLatin1(s.data(), static_cast<Py_ssize_t>(s.size()), nullptr);
}

PyObject* bytes_of(std::string_view s) {
    if (s.empty()) {
        Py_INCREF(g_empty_bytes);
        return g_empty_bytes;
    }
    return PyBytes_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
}

int request_traverse(RequestObject* self, visitproc visit, void* arg) {
    Py_VISIT(self->dict);
    Py_VISIT(self->owner);
    Py_VISIT(self->c_headers);
    return 0;
}

int request_clear(RequestObject* self) {
    Py_CLEAR(self->dict);
    Py_CLEAR(self->c_path);
    Py_CLEAR(self->c_raw_path);
    Py_CLEAR(self->c_query);
    Py_CLEAR(self->c_headers);
    Py_CLEAR(self->c_body);
    Py_CLEAR(self->c_client);
    return 0;
}

void request_dealloc(RequestObject* self) {
    PyObject_GC_UnTrack(self);
    if (self->weakrefs) PyObject_ClearWeakRefs(reinterpret_cast<PyObject*>(self));
    request_clear(self);
    if (self->responded == 2 && self->core && dispatcher_of(self->core) &&
        PyThread_get_thread_ident() == dispatcher_of_loop_thread(self->core))
        self->core->abort_stream(ConnId{self->slot, self->gen});  // dropped unfinished: close, never hang
    if ((self->responded == 4 || self->responded == 3) && self->core && dispatcher_of(self->core) &&
        PyThread_get_thread_ident() == dispatcher_of_loop_thread(self->core))
        self->core->ws_forget(ConnId{self->slot, self->gen});  // a WebSocket: close (1000) if still open, drop what is unread
    if (self->data) {
        std::unique_ptr<RequestData> d(self->data);
        self->data = nullptr;
        if (self->core) self->core->release_request(std::move(d));
    }
    PyObject* owner = self->owner;
    self->owner = nullptr;
    Py_TYPE(self)->tp_free(reinterpret_cast<PyObject*>(self));
    Py_XDECREF(owner);
}

#define CACHED(field, expr)            \
    do {                               \
        if (!self->field) {            \
            self->field = (expr);      \
            if (!self->field) return nullptr; \
        }                              \
        Py_INCREF(self->field);        \
        return self->field;            \
    } while (0)

PyObject* req_get_method(RequestObject* self, void*) {
    unsigned m = self->data->method;
    if (m < 64 && g_method_names[m]) {
        Py_INCREF(g_method_names[m]);
        return g_method_names[m];
    }
    std::string_view name = self->data->method_name();
    return PyUnicode_FromStringAndSize(name.data(), static_cast<Py_ssize_t>(name.size()));
}
PyObject* req_get_path(RequestObject* self, void*) { CACHED(c_path, decode_replace(self->data->path())); }
PyObject* req_get_raw_path(RequestObject* self, void*) { CACHED(c_raw_path, bytes_of(self->data->raw_path())); }
PyObject* req_get_query(RequestObject* self, void*) { CACHED(c_query, bytes_of(self->data->query())); }
PyObject* req_get_body(RequestObject* self, void*) { CACHED(c_body, bytes_of(self->data->body())); }

PyObject* build_headers(const RequestData& d) {
    PyObject* list = PyList_New(static_cast<Py_ssize_t>(d.headers.size()));
    if (!list) return nullptr;
    for (size_t i = 0; i < d.headers.size(); ++i) {
        const http::HeaderSpan& h = d.headers[i];
        std::string_view n = d.header_name(h), v = d.header_value(h);
        PyObject* name = bytes_of(n);
        PyObject* value = name ? bytes_of(v) : nullptr;
        PyObject* t = value ? PyTuple_New(2) : nullptr;
        if (!t) {
            Py_XDECREF(name);
            Py_XDECREF(value);
            Py_DECREF(list);
            return nullptr;
        }
        PyTuple_SET_ITEM(t, 0, name);
        PyTuple_SET_ITEM(t, 1, value);
        PyList_SET_ITEM(list, static_cast<Py_ssize_t>(i), t);
    }
    return list;
}
PyObject* req_get_headers(RequestObject* self, void*) { CACHED(c_headers, build_headers(*self->data)); }

PyObject* build_client(const RequestData& d) {
    if (d.forwarded_client)
        return Py_BuildValue("(Ni)", decode_latin1(d.client_host), d.client_port);
    char buf[INET6_ADDRSTRLEN] = {0};
    int port = 0;
    const sockaddr* sa = reinterpret_cast<const sockaddr*>(&d.peer);
    if (d.peer_len && sa->sa_family == AF_INET) {
        auto* in = reinterpret_cast<const sockaddr_in*>(sa);
        inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
        port = ntohs(in->sin_port);
    } else if (d.peer_len && sa->sa_family == AF_INET6) {
        auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
        inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
        port = ntohs(in6->sin6_port);
    } else {
        Py_RETURN_NONE;
    }
    return Py_BuildValue("(si)", buf, port);
}
PyObject* req_get_client(RequestObject* self, void*) { CACHED(c_client, build_client(*self->data)); }

PyObject* req_get_version(RequestObject* self, void*) {
    const RequestData& d = *self->data;
    if (d.http_major == 1 && d.http_minor == 1) {
        Py_INCREF(g_version_11);
        return g_version_11;
    }
    if (d.http_major == 1 && d.http_minor == 0) {
        Py_INCREF(g_version_10);
        return g_version_10;
    }
    return PyUnicode_FromFormat("%d.%d", static_cast<int>(d.http_major), static_cast<int>(d.http_minor));
}

PyObject* req_get_scheme(RequestObject* self, void*) {
    std::string_view s = self->data->scheme;
    return PyUnicode_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
}

PyObject* req_get_responded(RequestObject* self, void*) { return PyBool_FromLong(self->responded); }

PyObject* req_get_connected(RequestObject* self, void*) {
    bool alive = self->core && self->core->is_alive(ConnId{self->slot, self->gen});
    if (self->responded == 2) return PyBool_FromLong(self->core->stream_state(ConnId{self->slot, self->gen}) >= 0);
    return PyBool_FromLong(alive && !self->responded);
}

#undef CACHED

PyObject* request_respond(RequestObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames);
PyObject* request_start_response(RequestObject* self, PyObject* const* args, Py_ssize_t nargs);
PyObject* request_send(RequestObject* self, PyObject* arg);
PyObject* request_end(RequestObject* self, PyObject*);
PyObject* request_send_file(RequestObject* self, PyObject* const* args, Py_ssize_t nargs);
PyObject* request_on_drain(RequestObject* self, PyObject* arg);
PyObject* request_abort(RequestObject* self, PyObject*);
PyObject* request_ws_accept(RequestObject* self, PyObject* const* args, Py_ssize_t nargs);
PyObject* request_ws_send(RequestObject* self, PyObject* const* args, Py_ssize_t nargs);
PyObject* request_ws_close(RequestObject* self, PyObject* const* args, Py_ssize_t nargs);
PyObject* request_ws_receive(RequestObject* self, PyObject*);
PyObject* request_on_ws_message(RequestObject* self, PyObject* arg);

PyGetSetDef request_getset[] = {
    {"method", reinterpret_cast<getter>(req_get_method), nullptr, "request method (str)", nullptr},
    {"path", reinterpret_cast<getter>(req_get_path), nullptr, "percent-decoded path (str)", nullptr},
    {"raw_path", reinterpret_cast<getter>(req_get_raw_path), nullptr, "path as sent (bytes)", nullptr},
    {"query_string", reinterpret_cast<getter>(req_get_query), nullptr, "query string (bytes)", nullptr},
    {"headers", reinterpret_cast<getter>(req_get_headers), nullptr,
     "list of (name, value) bytes pairs, names lower-cased, in arrival order", nullptr},
    {"body", reinterpret_cast<getter>(req_get_body), nullptr, "request body (bytes)", nullptr},
    {"client", reinterpret_cast<getter>(req_get_client), nullptr, "(host, port) of the peer", nullptr},
    {"http_version", reinterpret_cast<getter>(req_get_version), nullptr, "\"1.1\" or \"1.0\"", nullptr},
    {"scheme", reinterpret_cast<getter>(req_get_scheme), nullptr,
     "\"http\", or what a trusted proxy's X-Forwarded-Proto says (http, https, ws, wss)", nullptr},
    {"responded", reinterpret_cast<getter>(req_get_responded), nullptr, "whether an answer was given", nullptr},
    {"connected", reinterpret_cast<getter>(req_get_connected), nullptr,
     "whether the connection still waits for this answer", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

PyMethodDef request_methods[] = {
    {"respond", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(request_respond)),
     METH_FASTCALL | METH_KEYWORDS,
     "respond(status, headers, body) -> bool: answer a deferred request; False if the connection is gone."},
    {"start_response", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(request_start_response)),
     METH_FASTCALL,
     "start_response(status, headers) -> bool: begin a streamed answer (the head is written now); "
     "False if the connection is gone."},
    {"send", reinterpret_cast<PyCFunction>(request_send), METH_O,
     "send(chunk: bytes) -> bool: one piece of a streamed body; False when the producer should wait "
     "(on_drain) or stop (connected is False)."},
    {"send_file", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(request_send_file)), METH_FASTCALL,
     "send_file(fd, segments, tail=b'') -> int: the body from a file, sent natively with sendfile(2); "
     "segments: [(bytes_before, offset, length), ...]; fd is duplicated (the caller keeps and closes its own). "
     "1: sent, 0: sending (on_drain wakes once it is all out or the client left), -1: the client is gone."},
    {"end", reinterpret_cast<PyCFunction>(request_end), METH_NOARGS,
     "end() -> bool: finish a streamed answer; False if the connection is gone."},
    {"on_drain", reinterpret_cast<PyCFunction>(request_on_drain), METH_O,
     "on_drain(callback): call callback() once the output buffer drained or the connection closed "
     "(at once if that is already so)."},
    {"abort", reinterpret_cast<PyCFunction>(request_abort), METH_NOARGS,
     "abort(): close the connection of an unfinished streamed answer (its producer failed), or of an "
     "accepted WebSocket (without a close frame)."},
    {"ws_accept", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(request_ws_accept)), METH_FASTCALL,
     "ws_accept(subprotocol: str | None, headers: list[(bytes, bytes)]) -> bool: answer a WebSocket "
     "handshake with 101; False if the connection is gone."},
    {"ws_send", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(request_ws_send)), METH_FASTCALL,
     "ws_send(data: bytes, binary: bool) -> int: one message; 1 sent, 0 sent but wait (on_drain), "
     "-1 the connection is gone or closing."},
    {"ws_close", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(request_ws_close)), METH_FASTCALL,
     "ws_close(code: int, reason: bytes) -> bool: send the close frame; False if the connection is gone."},
    {"ws_receive", reinterpret_cast<PyCFunction>(request_ws_receive), METH_NOARGS,
     "ws_receive() -> (1, bytes) text | (2, bytes) binary | (8, code, reason: bytes) the end | None: "
     "nothing waiting yet (on_ws_message)."},
    {"on_ws_message", reinterpret_cast<PyCFunction>(request_on_ws_message), METH_O,
     "on_ws_message(callback): call callback() once ws_receive() has something (at once if it has)."},
    {nullptr, nullptr, 0, nullptr}};

PyObject* request_repr(RequestObject* self) {
    std::string_view m = self->data->method_name();
    std::string_view p = self->data->raw_path();
    return PyUnicode_FromFormat("<Request %.*s %.*s>", static_cast<int>(m.size()), m.data(),
                                static_cast<int>(p.size() > 200 ? 200 : p.size()), p.data());
}

void init_request_type(py::module_& m) {
    RequestType.tp_name = "astraapi._runtime.Request";
    RequestType.tp_basicsize = sizeof(RequestObject);
    RequestType.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC;
    RequestType.tp_doc = "An HTTP request received by Server (created by the server only).";
    RequestType.tp_dealloc = reinterpret_cast<destructor>(request_dealloc);
    RequestType.tp_traverse = reinterpret_cast<traverseproc>(request_traverse);
    RequestType.tp_clear = reinterpret_cast<inquiry>(request_clear);
    RequestType.tp_getset = request_getset;
    RequestType.tp_methods = request_methods;
    RequestType.tp_repr = reinterpret_cast<reprfunc>(request_repr);
    RequestType.tp_dictoffset = offsetof(RequestObject, dict);
    RequestType.tp_weaklistoffset = offsetof(RequestObject, weakrefs);
    RequestType.tp_new = nullptr;
    if (PyType_Ready(&RequestType) < 0) throw py::error_already_set();
    Py_INCREF(&RequestType);
    m.attr("Request") = py::reinterpret_borrow<py::object>(reinterpret_cast<PyObject*>(&RequestType));

    // llhttp_method_name() aborts on numbers it does not know: walk llhttp's own list.
#define ASTRA_METHOD_NAME(NUM, NAME, STRING) \
    if ((NUM) < 64 && !g_method_names[(NUM)]) g_method_names[(NUM)] = PyUnicode_InternFromString(#STRING);
    HTTP_ALL_METHOD_MAP(ASTRA_METHOD_NAME)
#undef ASTRA_METHOD_NAME
    g_version_11 = PyUnicode_InternFromString("1.1");
    g_version_10 = PyUnicode_InternFromString("1.0");
    g_empty_tuple = PyTuple_New(0);
    g_empty_bytes = PyBytes_FromStringAndSize("", 0);
}

// ---- response conversion ---------------------------------------------------------------------

// A Python body, viewed as bytes.
struct BodyView {
    Py_buffer view{};
    bool has_view = false;
    const char* data = nullptr;
    size_t len = 0;
    ~BodyView() {
        if (has_view) PyBuffer_Release(&view);
    }
    bool set(PyObject* body) {
        if (PyBytes_CheckExact(body)) {
            data = PyBytes_AS_STRING(body);
            len = static_cast<size_t>(PyBytes_GET_SIZE(body));
            return true;
        }
        if (PyUnicode_Check(body) || !PyObject_CheckBuffer(body)) {
            PyErr_Format(PyExc_TypeError, "response body must be bytes, not %.100s", Py_TYPE(body)->tp_name);
            return false;
        }
        if (PyObject_GetBuffer(body, &view, PyBUF_SIMPLE) < 0) return false;
        has_view = true;
        data = static_cast<const char*>(view.buf);
        len = static_cast<size_t>(view.len);
        return true;
    }
};

bool bytes_item(PyObject* o, const char** data, size_t* len) {
    if (!PyBytes_Check(o)) {
        PyErr_Format(PyExc_TypeError, "response header names and values must be bytes, not %.100s",
                     Py_TYPE(o)->tp_name);
        return false;
    }
    *data = PyBytes_AS_STRING(o);
    *len = static_cast<size_t>(PyBytes_GET_SIZE(o));
    return true;
}

// headers: None or a list/tuple of (bytes, bytes). The views stay valid while `headers` lives.
bool convert_headers(PyObject* headers, std::vector<ResponseHeader>& out, bool& default_json) {
    out.clear();
    if (headers == Py_None) {
        default_json = true;
        return true;
    }
    default_json = false;
    if (!PyList_Check(headers) && !PyTuple_Check(headers)) {
        PyErr_Format(PyExc_TypeError, "response headers must be None or a list of (bytes, bytes), not %.100s",
                     Py_TYPE(headers)->tp_name);
        return false;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(headers);
    PyObject** items = PySequence_Fast_ITEMS(headers);
    out.reserve(static_cast<size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i) {
        PyObject* item = items[i];
        if (!(PyTuple_Check(item) || PyList_Check(item)) || PySequence_Fast_GET_SIZE(item) != 2) {
            PyErr_SetString(PyExc_TypeError, "each response header must be a (name, value) pair of bytes");
            return false;
        }
        PyObject** kv = PySequence_Fast_ITEMS(item);
        ResponseHeader h;
        if (!bytes_item(kv[0], &h.name, &h.name_len) || !bytes_item(kv[1], &h.value, &h.value_len)) return false;
        out.push_back(h);
    }
    return true;
}

// ---- dispatcher ------------------------------------------------------------------------------

class PyDispatcher final : public http::Dispatcher {
public:
    PyDispatcher(py::object handler, bool access_log) : handler_(handler.release().ptr()), access_log_(access_log) {
        py::object logging = py::module_::import("logging");
        logger_ = logging.attr("getLogger")("astraapi.error").release().ptr();
        if (access_log_) access_logger_ = logging.attr("getLogger")("astraapi.access").release().ptr();
    }
    ~PyDispatcher() override {
        Py_CLEAR(handler_);
        Py_CLEAR(logger_);
        Py_CLEAR(access_logger_);
        clear_pending();
    }

    PyObject* owner = nullptr;  // borrowed: the Python Server object
    unsigned long loop_thread = 0;

    void drop_handler() {
        Py_CLEAR(handler_);
        direct_.clear();
    }

    // Routes the server calls directly (direct_call.h); registered by the executor.
    void set_direct(uint32_t route, DirectRoute d) {
        if (route >= direct_.size()) direct_.resize(static_cast<size_t>(route) + 1);
        direct_[route] = std::move(d);
    }

    void on_request(http::Server& s, ConnId id, std::unique_ptr<RequestData>& req, uint32_t route,
                    const std::string_view* params, size_t param_count) override {
        try {
            call(s, id, req, route, params, param_count);
        } catch (...) {
            // Only allocation failures can land here; never let them into the reactor.
            if (PyErr_Occurred()) PyErr_Clear();
            s.respond_internal_error(id);
        }
    }

    void on_access(const RequestData& req, int status) override { access(&req, status); }

    // ---- streamed answers: drain waiters, woken after poll() (never from inside the I/O)
    static uint64_t key(ConnId id) { return (static_cast<uint64_t>(id.gen) << 32) | id.slot; }
    void on_stream_event(ConnId id) override { stream_events_.push_back(key(id)); }
    // WebSockets: message waiters, kept apart from drain waiters (a sender and a receiver may
    // wait on the same connection at once).
    void on_ws_event(ConnId id) override { ws_events_.push_back(key(id)); }
    void add_waiter(ConnId id, PyObject* callback, bool ws = false) {
        Py_INCREF(callback);
        auto& map = ws ? ws_waiters_ : waiters_;
        auto [it, inserted] = map.try_emplace(key(id), callback);
        if (!inserted) {
            Py_DECREF(it->second);
            it->second = callback;
        }
    }
    void call_waiter(PyObject* callback) {
        PyObject* r = PyObject_CallNoArgs(callback);
        if (!r) log_exception("Exception in a stream drain callback");
        Py_XDECREF(r);
        Py_DECREF(callback);
    }
    static void fire(std::vector<uint64_t>& pending, std::unordered_map<uint64_t, PyObject*>& map,
                     PyDispatcher& self) {
        while (!pending.empty()) {
            std::vector<uint64_t> events;
            events.swap(pending);
            for (uint64_t k : events) {
                auto it = map.find(k);
                if (it == map.end()) continue;
                PyObject* callback = it->second;
                map.erase(it);
                self.call_waiter(callback);
            }
        }
    }
    void fire_stream_events() {
        while (!stream_events_.empty() || !ws_events_.empty()) {
            fire(stream_events_, waiters_, *this);
            fire(ws_events_, ws_waiters_, *this);
        }
    }
    void fire_all_waiters() {
        stream_events_.clear();
        ws_events_.clear();
        for (auto* map : {&waiters_, &ws_waiters_}) {
            while (!map->empty()) {
                auto it = map->begin();
                PyObject* callback = it->second;
                map->erase(it);
                call_waiter(callback);
            }
        }
    }

    // uvicorn's access line: logger.info('%s - "%s %s HTTP/%s" %d', client, method, path, version, status).
    void access(const RequestData* req, int status) {
        if (!access_log_ || !access_logger_ || !req) return;
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);  // never disturb an error being reported
        std::string client = http::access_client(*req);
        std::string path = http::access_path(*req);
        std::string_view method = req->method_name();
        char version[16];
        std::snprintf(version, sizeof version, "%d.%d", static_cast<int>(req->http_major),
                      static_cast<int>(req->http_minor));
        PyObject* r = PyObject_CallMethod(access_logger_, "info", "sNs#Nsi", "%s - \"%s %s HTTP/%s\" %d",
                                          decode_latin1(client), method.data(), static_cast<Py_ssize_t>(method.size()),
                                          decode_latin1(path), version, status);
        if (!r) PyErr_Print();
        Py_XDECREF(r);
        PyErr_Restore(t, v, tb);
    }

    // Re-raise a KeyboardInterrupt/SystemExit a handler raised (after it was answered with 500).
    bool restore_pending() {
        if (!pending_type_) return false;
        PyErr_Restore(pending_type_, pending_value_, pending_tb_);
        pending_type_ = pending_value_ = pending_tb_ = nullptr;
        return true;
    }

    // Log the current Python exception on "astraapi.error" with its traceback; clears it.
    void log_exception(const char* message) {
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        if (!type) return;
        PyErr_NormalizeException(&type, &value, &tb);
        if (tb && value) PyException_SetTraceback(value, tb);
        bool logged = false;
        if (logger_ && value) {
            PyObject* error = PyObject_GetAttrString(logger_, "error");
            if (error) {
                PyObject* args = Py_BuildValue("(s)", message);
                PyObject* kwargs = Py_BuildValue("{sO}", "exc_info", value);
                PyObject* r = (args && kwargs) ? PyObject_Call(error, args, kwargs) : nullptr;
                logged = r != nullptr;
                Py_XDECREF(r);
                Py_XDECREF(args);
                Py_XDECREF(kwargs);
                Py_DECREF(error);
            }
            if (!logged) PyErr_Clear();
        }
        if (!PyErr_GivenExceptionMatches(type, PyExc_Exception) && !pending_type_) {
            // KeyboardInterrupt / SystemExit: answered with 500 here, re-raised from poll().
            pending_type_ = type;
            pending_value_ = value;
            pending_tb_ = tb;
            Py_XINCREF(type);
            Py_XINCREF(value);
            Py_XINCREF(tb);
        }
        if (!logged) {
            PyErr_Restore(type, value, tb);
            PyErr_Print();
        } else {
            Py_XDECREF(type);
            Py_XDECREF(value);
            Py_XDECREF(tb);
        }
    }

    // Sends a handler's (status, headers, body). On a bad response: sets a Python
    // exception and returns BadResponse (nothing was written).
    RespondResult send(http::Server& s, ConnId id, PyObject* status_obj, PyObject* headers, PyObject* body,
                       const RequestData* req) {
        long status = PyLong_AsLong(status_obj);
        if (status == -1 && PyErr_Occurred()) return RespondResult::BadResponse;
        if (status < 100 || status > 599) {
            PyErr_Format(PyExc_ValueError, "invalid HTTP status code %ld", status);
            return RespondResult::BadResponse;
        }
        bool default_json = false;
        if (!convert_headers(headers, scratch_headers_, default_json)) return RespondResult::BadResponse;
        BodyView bv;
        if (!bv.set(body)) return RespondResult::BadResponse;
        std::string error;
        RespondResult r = s.respond(id, static_cast<int>(status), scratch_headers_.data(), scratch_headers_.size(),
                                    default_json, bv.data, bv.len, &error, req);
        if (r == RespondResult::BadResponse) PyErr_SetString(PyExc_RuntimeError, error.c_str());
        return r;
    }

    void internal_error(http::Server& s, ConnId id, const RequestData* req) { s.respond_internal_error(id, req); }

private:
    void call(http::Server& s, ConnId id, std::unique_ptr<RequestData>& req, uint32_t route,
              const std::string_view* params, size_t param_count) {
        if (!handler_ || !owner) {
            s.respond_internal_error(id);
            return;
        }
        // Convert the parameters first: they view into req->buf and into the matcher's scratch,
        // which a nested dispatch (through respond) would overwrite.
        PyObject* ptuple;
        if (param_count == 0) {
            Py_INCREF(g_empty_tuple);
            ptuple = g_empty_tuple;
        } else {
            ptuple = PyTuple_New(static_cast<Py_ssize_t>(param_count));
            if (!ptuple) {
                log_exception("Exception in request handler");
                s.respond_internal_error(id);
                return;
            }
            for (size_t i = 0; i < param_count; ++i) {
                PyObject* v = decode_replace(params[i]);
                if (!v) {
                    Py_DECREF(ptuple);
                    log_exception("Exception in request handler");
                    s.respond_internal_error(id);
                    return;
                }
                PyTuple_SET_ITEM(ptuple, static_cast<Py_ssize_t>(i), v);
            }
        }
        auto* ro = PyObject_GC_New(RequestObject, &RequestType);
        if (!ro) {
            Py_DECREF(ptuple);
            log_exception("Exception in request handler");
            s.respond_internal_error(id);
            return;
        }
        ro->dict = ro->weakrefs = nullptr;
        ro->c_path = ro->c_raw_path = ro->c_query = ro->c_headers = ro->c_body = ro->c_client = nullptr;
        Py_INCREF(owner);
        ro->owner = owner;
        ro->core = &s;
        ro->data = req.release();
        ro->slot = id.slot;
        ro->gen = id.gen;
        ro->responded = 0;
        PyObject_GC_Track(ro);
        req = s.acquire_request();

        PyObject* result = nullptr;
        bool handled = false;
        if (route < direct_.size() && direct_[route].endpoint) {
            DirectInputs in{reinterpret_cast<PyObject*>(ro), ptuple, &request_query, &request_body,
                            &request_headers};
            DirectResult d = call_direct(direct_[route], in);
            if (d.kind == DirectResult::Body) {
                handled = true;
                ro->responded = 1;
                std::string error;
                s.respond(id, d.status, nullptr, 0, true, PyBytes_AS_STRING(d.obj),
                          static_cast<size_t>(PyBytes_GET_SIZE(d.obj)), &error, ro->data);
                Py_DECREF(d.obj);
            } else if (d.kind != DirectResult::Declined) {
                handled = true;
                result = d.obj;  // nullptr with the error set for DirectResult::Error
                deliver(s, id, ro, result);
            }
        }
        if (!handled) {
            PyObject* route_obj = PyLong_FromUnsignedLong(route);
            PyObject* handler = handler_;
            Py_INCREF(handler);
            if (route_obj) {
                PyObject* args[3] = {reinterpret_cast<PyObject*>(ro), route_obj, ptuple};
                result = PyObject_Vectorcall(handler, args, 3, nullptr);
            }
            Py_DECREF(handler);
            Py_XDECREF(route_obj);
            deliver(s, id, ro, result);
        }
        Py_DECREF(ptuple);
        Py_XDECREF(result);
        Py_DECREF(reinterpret_cast<PyObject*>(ro));
    }

    // A handler's result (or nullptr with its error set): send it, or answer 500.
    void deliver(http::Server& s, ConnId id, RequestObject* ro, PyObject* result) {
        if (!result) {
            log_exception("Exception in request handler");
            if (!ro->responded) {
                ro->responded = 1;
                internal_error(s, id, ro->data);
            }
        } else if (result == Py_None) {
            // Deferred (or already answered inline through request.respond).
        } else if (ro->responded) {
            PyErr_Format(PyExc_RuntimeError,
                         "request handler returned a response for a request it already answered");
            log_exception("Exception in request handler");
        } else {
            ro->responded = 1;
            bool ok = PyTuple_Check(result) && PyTuple_GET_SIZE(result) == 3;
            if (!ok) {
                PyErr_Format(PyExc_TypeError,
                             "request handler must return (status, headers, body) or None, not %.100s",
                             Py_TYPE(result)->tp_name);
                log_exception("Exception in request handler");
                internal_error(s, id, ro->data);
            } else {
                RespondResult r = send(s, id, PyTuple_GET_ITEM(result, 0), PyTuple_GET_ITEM(result, 1),
                                       PyTuple_GET_ITEM(result, 2), ro->data);
                if (r == RespondResult::BadResponse) {
                    log_exception("Exception in request handler");
                    internal_error(s, id, ro->data);
                }
            }
        }
    }

    static PyObject* request_query(PyObject* r) { return req_get_query(reinterpret_cast<RequestObject*>(r), nullptr); }
    static PyObject* request_body(PyObject* r) { return req_get_body(reinterpret_cast<RequestObject*>(r), nullptr); }
    static PyObject* request_headers(PyObject* r) {
        return req_get_headers(reinterpret_cast<RequestObject*>(r), nullptr);
    }

    void clear_pending() {
        Py_CLEAR(pending_type_);
        Py_CLEAR(pending_value_);
        Py_CLEAR(pending_tb_);
    }

    PyObject* handler_ = nullptr;
    bool access_log_ = false;
    PyObject* access_logger_ = nullptr;
    PyObject* logger_ = nullptr;
    PyObject* pending_type_ = nullptr;
    PyObject* pending_value_ = nullptr;
    PyObject* pending_tb_ = nullptr;
    std::vector<ResponseHeader> scratch_headers_;
    std::vector<DirectRoute> direct_;
    std::vector<uint64_t> stream_events_;
    std::unordered_map<uint64_t, PyObject*> waiters_;
    std::vector<uint64_t> ws_events_;
    std::unordered_map<uint64_t, PyObject*> ws_waiters_;
};

PyDispatcher* dispatcher_of(http::Server* core) {
    return core ? static_cast<PyDispatcher*>(core->dispatcher()) : nullptr;
}

unsigned long dispatcher_of_loop_thread(http::Server* core) {
    PyDispatcher* d = dispatcher_of(core);
    return d ? d->loop_thread : 0;
}

// ---- streamed answers (docs/internals.md, "Streamed answers") ---------------------------------

namespace {
bool stream_preamble(RequestObject* self, PyDispatcher*& d, const char* what) {
    d = dispatcher_of(self->core);
    if (d && d->loop_thread && PyThread_get_thread_ident() != d->loop_thread) {
        PyErr_Format(PyExc_RuntimeError, "Request.%s() must be called on the event loop thread", what);
        return false;
    }
    return true;
}
}  // namespace

PyObject* request_start_response(RequestObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "start_response() takes 2 arguments (status, headers)");
        return nullptr;
    }
    if (self->responded) {
        PyErr_SetString(PyExc_RuntimeError, "this request was already answered");
        return nullptr;
    }
    PyDispatcher* d;
    if (!stream_preamble(self, d, "start_response")) return nullptr;
    ConnId id{self->slot, self->gen};
    if (!d || self->core->closed() || !self->core->is_alive(id)) {
        self->responded = 1;
        Py_RETURN_FALSE;
    }
    long status = PyLong_AsLong(args[0]);
    if (status == -1 && PyErr_Occurred()) return nullptr;
    std::vector<ResponseHeader> headers;
    bool default_json = false;
    if (args[1] == Py_None) {
        PyErr_SetString(PyExc_TypeError, "start_response() needs the list of headers");
        return nullptr;
    }
    if (!convert_headers(args[1], headers, default_json)) return nullptr;
    std::string error;
    RespondResult r = self->core->start_stream(id, static_cast<int>(status), headers.data(), headers.size(), &error,
                                               self->data);
    if (r == RespondResult::BadResponse) {
        self->responded = 1;
        d->internal_error(*self->core, id, self->data);
        PyErr_SetString(PyExc_RuntimeError, error.c_str());
        return nullptr;
    }
    if (r != RespondResult::Ok) {
        self->responded = 1;
        Py_RETURN_FALSE;
    }
    self->responded = 2;  // streaming
    Py_RETURN_TRUE;
}

PyObject* request_send(RequestObject* self, PyObject* chunk) {
    if (self->responded != 2) {
        if (self->responded == 3) Py_RETURN_FALSE;  // ended, or the stream is gone
        PyErr_SetString(PyExc_RuntimeError, "send() before start_response()");
        return nullptr;
    }
    PyDispatcher* d;
    if (!stream_preamble(self, d, "send")) return nullptr;
    BodyView bv;
    if (!bv.set(chunk)) return nullptr;
    std::string error;
    int r = self->core->stream_send(ConnId{self->slot, self->gen}, bv.data, bv.len, &error);
    if (r == -2) {
        PyErr_SetString(PyExc_RuntimeError, error.c_str());
        return nullptr;
    }
    return PyBool_FromLong(r == 1);
}

PyObject* request_send_file(RequestObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (nargs < 2 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "send_file() takes 2 or 3 arguments (fd, segments, tail)");
        return nullptr;
    }
    if (self->responded != 2) {
        if (self->responded == 3) return PyLong_FromLong(-1);
        PyErr_SetString(PyExc_RuntimeError, "send_file() before start_response()");
        return nullptr;
    }
    PyDispatcher* d;
    if (!stream_preamble(self, d, "send_file")) return nullptr;
    int fd = PyObject_AsFileDescriptor(args[0]);
    if (fd < 0) return nullptr;
    std::vector<http::FileSegment> segments;
    PyObject* seq = PySequence_Fast(args[1], "send_file() segments must be a sequence");
    if (!seq) return nullptr;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    segments.reserve(static_cast<size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i) {
        PyObject* item = PySequence_Fast_GET_ITEM(seq, i);
        PyObject* before;
        unsigned long long offset, length;
        if (!PyArg_ParseTuple(item, "SKK", &before, &offset, &length)) {
            Py_DECREF(seq);
            return nullptr;
        }
        http::FileSegment segment;
        segment.before.assign(PyBytes_AS_STRING(before), static_cast<size_t>(PyBytes_GET_SIZE(before)));
        segment.offset = offset;
        segment.length = length;
        segments.push_back(std::move(segment));
    }
    Py_DECREF(seq);
    std::string tail;
    if (nargs == 3) {
        if (!PyBytes_Check(args[2])) {
            PyErr_SetString(PyExc_TypeError, "send_file() tail must be bytes");
            return nullptr;
        }
        tail.assign(PyBytes_AS_STRING(args[2]), static_cast<size_t>(PyBytes_GET_SIZE(args[2])));
    }
    int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (own < 0) return PyErr_SetFromErrno(PyExc_OSError);
    std::string error;
    int r = self->core->stream_send_file(ConnId{self->slot, self->gen}, own, std::move(segments), std::move(tail),
                                         &error);
    if (r == -2) {
        PyErr_SetString(PyExc_RuntimeError, error.c_str());
        return nullptr;
    }
    return PyLong_FromLong(r);
}

PyObject* request_end(RequestObject* self, PyObject*) {
    if (self->responded != 2) {
        if (self->responded == 3) Py_RETURN_FALSE;
        PyErr_SetString(PyExc_RuntimeError, "end() before start_response()");
        return nullptr;
    }
    PyDispatcher* d;
    if (!stream_preamble(self, d, "end")) return nullptr;
    self->responded = 3;
    std::string error;
    RespondResult r = self->core->end_stream(ConnId{self->slot, self->gen}, &error);
    if (r == RespondResult::BadResponse) {
        PyErr_SetString(PyExc_RuntimeError, error.c_str());
        return nullptr;
    }
    return PyBool_FromLong(r == RespondResult::Ok);
}

PyObject* request_abort(RequestObject* self, PyObject*) {
    PyDispatcher* d;
    if (!stream_preamble(self, d, "abort")) return nullptr;
    if (self->responded == 2 || self->responded == 4) {
        self->responded = 3;
        self->core->abort_stream(ConnId{self->slot, self->gen});
    }
    Py_RETURN_NONE;
}

// ---- WebSockets (docs/websockets.md) ------------------------------------------------------------

PyObject* request_ws_accept(RequestObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "ws_accept() takes 2 arguments (subprotocol, headers)");
        return nullptr;
    }
    if (self->responded) {
        PyErr_SetString(PyExc_RuntimeError, "this request was already answered");
        return nullptr;
    }
    PyDispatcher* d;
    if (!stream_preamble(self, d, "ws_accept")) return nullptr;
    ConnId id{self->slot, self->gen};
    if (!d || self->core->closed() || !self->core->is_alive(id)) {
        self->responded = 1;
        Py_RETURN_FALSE;
    }
    std::string_view subprotocol;
    if (args[0] != Py_None) {
        Py_ssize_t n = 0;
        const char* sp = PyUnicode_AsUTF8AndSize(args[0], &n);
        if (!sp) return nullptr;
        subprotocol = std::string_view(sp, static_cast<size_t>(n));
    }
    std::vector<ResponseHeader> headers;
    bool default_json = false;
    if (args[1] != Py_None && !convert_headers(args[1], headers, default_json)) return nullptr;
    std::string error;
    RespondResult r = self->core->ws_accept(id, *self->data, subprotocol, headers.data(), headers.size(), &error);
    if (r == RespondResult::BadResponse) {
        PyErr_SetString(PyExc_ValueError, error.c_str());
        return nullptr;
    }
    if (r != RespondResult::Ok) {
        self->responded = 1;
        Py_RETURN_FALSE;
    }
    self->responded = 4;  // an accepted WebSocket
    d->fire_stream_events();
    Py_RETURN_TRUE;
}

PyObject* request_ws_send(RequestObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "ws_send() takes 2 arguments (data, binary)");
        return nullptr;
    }
    if (self->responded != 4) {
        if (self->responded == 3) return PyLong_FromLong(-1);
        PyErr_SetString(PyExc_RuntimeError, "ws_send() before ws_accept()");
        return nullptr;
    }
    PyDispatcher* d;
    if (!stream_preamble(self, d, "ws_send")) return nullptr;
    BodyView bv;
    if (!bv.set(args[0])) return nullptr;
    int binary = PyObject_IsTrue(args[1]);
    if (binary < 0) return nullptr;
    int r = self->core->ws_send(ConnId{self->slot, self->gen}, binary != 0, bv.data, bv.len);
    if (d) d->fire_stream_events();
    return PyLong_FromLong(r);
}

PyObject* request_ws_close(RequestObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "ws_close() takes 2 arguments (code, reason)");
        return nullptr;
    }
    if (self->responded != 4) Py_RETURN_FALSE;
    PyDispatcher* d;
    if (!stream_preamble(self, d, "ws_close")) return nullptr;
    long code = PyLong_AsLong(args[0]);
    if (code == -1 && PyErr_Occurred()) return nullptr;
    if (code < 1000 || code > 4999) {
        PyErr_Format(PyExc_ValueError, "invalid WebSocket close code %ld", code);
        return nullptr;
    }
    BodyView bv;
    if (!bv.set(args[1])) return nullptr;
    bool ok = self->core->ws_close(ConnId{self->slot, self->gen}, static_cast<uint16_t>(code),
                                   std::string_view(bv.data, bv.len));
    if (d) d->fire_stream_events();
    return PyBool_FromLong(ok);
}

PyObject* request_ws_receive(RequestObject* self, PyObject*) {
    if (self->responded != 4 && self->responded != 3) {
        PyErr_SetString(PyExc_RuntimeError, "ws_receive() before ws_accept()");
        return nullptr;
    }
    PyDispatcher* d;
    if (!stream_preamble(self, d, "ws_receive")) return nullptr;
    ConnId id{self->slot, self->gen};
    http::ws::Message m;
    if (!self->core->ws_pop(id, m)) {
        if (self->core->ws_state(id) < 0) return Py_BuildValue("(iiy#)", 8, 1006, "", static_cast<Py_ssize_t>(0));  // gone, nothing left
        Py_RETURN_NONE;
    }
    if (d) d->fire_stream_events();
    if (m.kind == http::ws::kClose)
        return Py_BuildValue("(iiy#)", 8, static_cast<int>(m.code), m.data.data(), static_cast<Py_ssize_t>(m.data.size()));
    return Py_BuildValue("(iy#)", static_cast<int>(m.kind), m.data.data(), static_cast<Py_ssize_t>(m.data.size()));
}

PyObject* request_on_ws_message(RequestObject* self, PyObject* callback) {
    if (!PyCallable_Check(callback)) {
        PyErr_SetString(PyExc_TypeError, "on_ws_message() takes a callable");
        return nullptr;
    }
    PyDispatcher* d;
    if (!stream_preamble(self, d, "on_ws_message")) return nullptr;
    ConnId id{self->slot, self->gen};
    if (!d || self->core->ws_state(id) != 0) {
        PyObject* r = PyObject_CallNoArgs(callback);
        if (!r) return nullptr;
        Py_DECREF(r);
        Py_RETURN_NONE;
    }
    d->add_waiter(id, callback, true);
    Py_RETURN_NONE;
}

PyObject* request_on_drain(RequestObject* self, PyObject* callback) {
    if (!PyCallable_Check(callback)) {
        PyErr_SetString(PyExc_TypeError, "on_drain() takes a callable");
        return nullptr;
    }
    PyDispatcher* d;
    if (!stream_preamble(self, d, "on_drain")) return nullptr;
    ConnId id{self->slot, self->gen};
    if (!d || (self->responded != 2 && self->responded != 4) || self->core->stream_state(id) != 0) {
        PyObject* r = PyObject_CallNoArgs(callback);  // drained already, or gone
        if (!r) return nullptr;
        Py_DECREF(r);
        Py_RETURN_NONE;
    }
    d->add_waiter(id, callback);
    Py_RETURN_NONE;
}

PyObject* request_respond(RequestObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    static const char* const names[] = {"status", "headers", "body"};
    PyObject* vals[3] = {nullptr, nullptr, nullptr};
    if (nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "respond() takes 3 arguments");
        return nullptr;
    }
    for (Py_ssize_t i = 0; i < nargs; ++i) vals[i] = args[i];
    if (kwnames) {
        Py_ssize_t nk = PyTuple_GET_SIZE(kwnames);
        for (Py_ssize_t k = 0; k < nk; ++k) {
            const char* key = PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, k));
            if (!key) return nullptr;
            int slot = -1;
            for (int j = 0; j < 3; ++j)
                if (std::string_view(key) == names[j]) slot = j;
            if (slot < 0 || vals[slot]) {
                PyErr_Format(PyExc_TypeError, "respond() got an unexpected or repeated argument '%s'", key);
                return nullptr;
            }
            vals[slot] = args[nargs + k];
        }
    }
    if (!vals[0] || !vals[1] || !vals[2]) {
        PyErr_SetString(PyExc_TypeError, "respond() missing arguments: status, headers, body");
        return nullptr;
    }
    if (self->responded) {
        PyErr_SetString(PyExc_RuntimeError, "this request was already answered");
        return nullptr;
    }
    PyDispatcher* d = dispatcher_of(self->core);
    if (!d || self->core->closed()) {
        self->responded = 1;
        Py_RETURN_FALSE;
    }
    if (d->loop_thread && PyThread_get_thread_ident() != d->loop_thread) {
        PyErr_SetString(PyExc_RuntimeError,
                        "Request.respond() must be called on the event loop thread (use loop.call_soon_threadsafe)");
        return nullptr;
    }
    ConnId id{self->slot, self->gen};
    if (!self->core->is_alive(id)) {
        self->responded = 1;
        Py_RETURN_FALSE;
    }
    self->responded = 1;
    RespondResult r;
    try {
        r = d->send(*self->core, id, vals[0], vals[1], vals[2], self->data);
    } catch (const std::exception& e) {
        PyErr_SetString(PyExc_MemoryError, e.what());
        d->internal_error(*self->core, id, self->data);
        return nullptr;
    }
    switch (r) {
        case RespondResult::Ok:
            Py_RETURN_TRUE;
        case RespondResult::BadResponse: {
            // Answer 500 and close, then report the error to the caller.
            PyObject *t, *v, *tb;
            PyErr_Fetch(&t, &v, &tb);
            d->internal_error(*self->core, id, self->data);
            PyErr_Restore(t, v, tb);
            return nullptr;
        }
        default:
            Py_RETURN_FALSE;
    }
}

// ---- Server ----------------------------------------------------------------------------------

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
        if (decode_kind < 0 || decode_kind > 3 || render < 0 || render > 2) throw py::value_error("unknown decode/render kind");
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
             py::arg("reuse_port") = false, py::arg("backlog") = 1024,
             py::arg("server_header") = py::bytes("astraapi"), py::arg("max_header_size") = 64 * 1024,
             py::arg("max_body_size") = 16 * 1024 * 1024, py::arg("idle_timeout") = 5.0,
             py::arg("max_header_count") = 100, py::arg("header_timeout") = 10.0, py::arg("body_timeout") = 30.0,
             py::arg("max_connections") = 10000, py::arg("access_log") = false, py::arg("proxy_headers") = false,
             py::arg("forwarded_allow_ips") = py::str("127.0.0.1"), py::arg("ws_max_size") = 16 * 1024 * 1024,
             py::arg("ws_ping_interval") = 20.0, py::arg("ws_ping_timeout") = 20.0, py::arg("body_min_rate") = 0,
             py::arg("body_min_rate_grace") = 5.0, py::arg("gzip") = false, py::arg("gzip_min_size") = 500,
             py::arg("gzip_level") = 6)
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
                      "handler as route 0xFFFFFFFF / 0xFFFFFFFE (405: path_params is (allow,)), for an app "
                      "with an exception handler for them; False (default): the built-in answers.")
        .def_property("route_redirects", &PyServer::route_redirects, &PyServer::set_route_redirects,
                      "True: the router's trailing-slash redirects go to the handler as route 0xFFFFFFFD "
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
