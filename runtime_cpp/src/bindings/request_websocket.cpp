// Request's WebSocket half (docs/websockets.md): ws_accept, ws_send, ws_close, ws_receive,
// on_ws_message, over the server core's WebSocket (http/server_websocket.cpp).
#include "server_bridge.h"

namespace astra::bindings::server_bridge {

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

}  // namespace astra::bindings::server_bridge
