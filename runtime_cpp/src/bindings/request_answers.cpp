// Request's answers (docs/internals.md, "Streamed answers"): respond (a whole answer), then the
// streamed ones: start_response, send, send_file, end, abort, on_drain.

#include "server_bridge.h"

#include <fcntl.h>

namespace astra::bindings::server_bridge {

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

}  // namespace astra::bindings::server_bridge
