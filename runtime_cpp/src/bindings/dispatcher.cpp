// The dispatcher (http::Dispatcher) that hands the server's matched requests to the Python
// handler, or to a route's direct call (direct_call.h), and delivers what comes back; the access
// log, error logging, and the drain and message waiters of streamed answers and WebSockets.
#include <cstdio>

#include "server_bridge.h"

namespace astra::bindings::server_bridge {

namespace {

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


}  // namespace

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

void PyDispatcher::call(http::Server& s, ConnId id, std::unique_ptr<RequestData>& req, uint32_t route,
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
void PyDispatcher::deliver(http::Server& s, ConnId id, RequestObject* ro, PyObject* result) {
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

// Sends a handler's (status, headers, body). On a bad response: sets a Python
// exception and returns BadResponse (nothing was written).
RespondResult PyDispatcher::send(http::Server& s, ConnId id, PyObject* status_obj, PyObject* headers, PyObject* body,
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

// uvicorn's access line: logger.info('%s - "%s %s HTTP/%s" %d', client, method, path, version, status).
void PyDispatcher::access(const RequestData* req, int status) {
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

// Log the current Python exception on "astraapi.error" with its traceback; clears it.
void PyDispatcher::log_exception(const char* message) {
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

PyDispatcher* dispatcher_of(http::Server* core) {
    return core ? static_cast<PyDispatcher*>(core->dispatcher()) : nullptr;
}

unsigned long dispatcher_of_loop_thread(http::Server* core) {
    PyDispatcher* d = dispatcher_of(core);
    return d ? d->loop_thread : 0;
}

bool stream_preamble(RequestObject* self, PyDispatcher*& d, const char* what) {
    d = dispatcher_of(self->core);
    if (d && d->loop_thread && PyThread_get_thread_ident() != d->loop_thread) {
        PyErr_Format(PyExc_RuntimeError, "Request.%s() must be called on the event loop thread", what);
        return false;
    }
    return true;
}

}  // namespace astra::bindings::server_bridge
