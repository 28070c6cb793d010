// The Request type as Python sees it (docs/internals.md): a plain CPython type (not a pybind11
// class): one is created per request, so it is kept cheap: attributes are built on first access
// and cached, the parsed bytes stay in the pooled RequestData until the object dies.
#include "server_bridge.h"

#include <arpa/inet.h>

#include <cstddef>

namespace astra::bindings::server_bridge {

PyTypeObject RequestType;
PyObject* g_empty_tuple;

namespace {

PyObject* g_method_names[64];  // interned method names by llhttp method number
PyObject* g_version_11;
PyObject* g_version_10;
PyObject* g_empty_bytes;

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

}  // namespace

PyObject* decode_replace(std::string_view s) {
    return PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
}

PyObject* decode_latin1(std::string_view s) {
    return PyUnicode_DecodeLatin1(s.data(), static_cast<Py_ssize_t>(s.size()), nullptr);
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

namespace {

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

}  // namespace

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

}  // namespace astra::bindings::server_bridge
