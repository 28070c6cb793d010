#include "bindings/direct_call.h"

#include "json/float_format.h"
#include "json/writer.h"

namespace astra::bindings {

namespace {

PyObject* empty_args() {
    static PyObject* empty = PyTuple_New(0);
    return empty;
}

enum Outcome : int { kReturned = 0, kRaised = 1, kSuspended = 2, kUnstarted = 3 };

// The endpoint's keyword arguments: a new dict, Py_None when there are none, nullptr when the
// decoder declined (or failed: the handler path then decodes, and reports, the same request).
PyObject* decoded_arguments(const DirectRoute& d, const DirectInputs& in) {
    if (d.decode == DirectDecode::None) Py_RETURN_NONE;
    PyObject* query = in.query(in.request);
    PyObject* body = nullptr;
    PyObject* headers = nullptr;
    const bool wants_headers = d.decode == DirectDecode::WithBody || d.decode == DirectDecode::WithHeaders;
    bool ready = query != nullptr;
    if (ready && d.decode == DirectDecode::WithBody) {
        body = in.body(in.request);
        ready = body != nullptr;
    }
    if (ready && wants_headers) {
        headers = in.headers(in.request);
        ready = headers != nullptr;
    }
    PyObject* decoded = nullptr;
    if (ready) {
        decoded = d.decoder_module->decode(d.decoder_index, query, in.path_params, body, headers);
    }
    Py_XDECREF(query);
    Py_XDECREF(body);
    Py_XDECREF(headers);
    if (!decoded || decoded == Py_None || !PyDict_Check(decoded)) {
        Py_XDECREF(decoded);
        PyErr_Clear();
        return nullptr;
    }
    PyObject* merged = decoded;
    if (!d.defaults.is_none() && PyDict_GET_SIZE(d.defaults.ptr()) > 0) {
        merged = PyDict_Copy(d.defaults.ptr());  // {**defaults, **decoded}, as solve() merges
        if (!merged || PyDict_Update(merged, decoded) < 0) {
            Py_XDECREF(merged);
            Py_DECREF(decoded);
            PyErr_Clear();
            return nullptr;
        }
    }
    const Py_ssize_t copies = d.copied_defaults ? PyTuple_GET_SIZE(d.copied_defaults.ptr()) : 0;
    for (Py_ssize_t i = 0; i < copies; ++i) {
        PyObject* pair = PyTuple_GET_ITEM(d.copied_defaults.ptr(), i);
        PyObject* name = PyTuple_GET_ITEM(pair, 0);
        int present = PyDict_Contains(decoded, name);
        PyObject* copy = present == 0 ? PyList_GetSlice(PyTuple_GET_ITEM(pair, 1), 0, PY_SSIZE_T_MAX) : nullptr;
        if (present < 0 || (present == 0 && (!copy || PyDict_SetItem(merged, name, copy) < 0))) {
            Py_XDECREF(copy);
            if (merged != decoded) Py_DECREF(merged);
            Py_DECREF(decoded);
            PyErr_Clear();
            return nullptr;
        }
        Py_XDECREF(copy);
    }
    if (merged != decoded) Py_DECREF(decoded);
    return merged;
}

// KeyboardInterrupt and SystemExit leave through the handler's error path (answered 500, then
// re-raised from poll); every other exception is the route's to answer (finish).
bool escapes_route(PyObject* type) {
    return PyErr_GivenExceptionMatches(type, PyExc_KeyboardInterrupt) ||
           PyErr_GivenExceptionMatches(type, PyExc_SystemExit);
}

// The JSON bytes for a returned value the runtime renders itself, or nullptr (no error set).
PyObject* native_body(const DirectRoute& d, PyObject* value) {
    PyObject* body = nullptr;
    if (d.render == DirectRender::DefaultJson) {
        body = json::dumps(value, ASTRA_FLOAT_PYTHON, /*jsonable=*/true);
    } else if (d.render == DirectRender::Encoder) {
        body = d.encoder_module->encode(d.encoder_index, value);
    }
    if (body && PyBytes_Check(body)) return body;
    Py_XDECREF(body);  // None: declined; an error (TypeError, NaN): finish renders and reports it
    PyErr_Clear();
    return nullptr;
}

}  // namespace

DirectResult call_direct(const DirectRoute& d, const DirectInputs& in) {
    PyObject* kwargs = decoded_arguments(d, in);
    if (!kwargs) return {DirectResult::Declined, nullptr, 0};

    PyObject* context = nullptr;
    if (d.is_async && !d.as_task) {  // the one step runs in a copy of the context, as a task would run it
        context = PyContext_CopyCurrent();
        if (!context || PyContext_Enter(context) < 0) {
            Py_XDECREF(context);
            Py_DECREF(kwargs);
            PyErr_Clear();
            return {DirectResult::Declined, nullptr, 0};
        }
    }
    PyObject* called = kwargs == Py_None ? PyObject_CallNoArgs(d.endpoint.ptr())
                                         : PyObject_Call(d.endpoint.ptr(), empty_args(), kwargs);
    Py_DECREF(kwargs);
    Outcome outcome = kReturned;
    PyObject* value = nullptr;
    if (called && d.as_task) {
        outcome = kUnstarted;  // creating a coroutine runs none of its code
        value = called;
    } else if (called && d.is_async) {
        PyObject* sent = nullptr;
        PySendResult r = PyIter_Send(called, Py_None, &sent);
        if (r == PYGEN_RETURN) {
            value = sent;
            Py_DECREF(called);
        } else if (r == PYGEN_NEXT) {
            outcome = kSuspended;
            value = PyTuple_Pack(2, called, sent);
            Py_DECREF(called);
            Py_DECREF(sent);
        } else {
            Py_DECREF(called);
        }
    } else {
        value = called;
    }
    if (!value) {
        outcome = kRaised;
        PyObject *type, *error, *tb;
        PyErr_Fetch(&type, &error, &tb);
        PyErr_NormalizeException(&type, &error, &tb);
        if (tb && error) PyException_SetTraceback(error, tb);
        if (!type || escapes_route(type)) {
            if (context) PyContext_Exit(context);  // keeps the error: Exit does not touch it
            Py_XDECREF(context);
            PyErr_Restore(type, error, tb);
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_SystemError, "endpoint failed without an exception");
            return {DirectResult::Error, nullptr, 0};
        }
        Py_XDECREF(type);
        Py_XDECREF(tb);
        value = error;
    }
    if (context && PyContext_Exit(context) < 0) PyErr_Clear();

    if (outcome == kReturned && d.render != DirectRender::Python) {
        if (PyObject* body = native_body(d, value)) {
            Py_DECREF(value);
            Py_XDECREF(context);
            return {DirectResult::Body, body, d.status};
        }
    }
    PyObject* outcome_obj = PyLong_FromLong(outcome);
    PyObject* result = nullptr;
    if (outcome_obj) {
        PyObject* args[4] = {in.request, outcome_obj, value,
                             outcome == kSuspended && context ? context : Py_None};
        result = PyObject_Vectorcall(d.finish.ptr(), args, 4, nullptr);
        Py_DECREF(outcome_obj);
    }
    Py_DECREF(value);
    Py_XDECREF(context);
    if (!result) return {DirectResult::Error, nullptr, 0};
    return {DirectResult::Handled, result, 0};
}

}  // namespace astra::bindings
