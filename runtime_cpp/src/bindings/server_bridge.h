// The Python side of the server (bind_server.cpp's parts), as they share it: the Request object
// (request_type.cpp), the dispatcher that calls the Python handler (dispatcher.cpp), the Request's
// answers (request_answers.cpp: respond, streamed bodies, files), its WebSocket half
// (request_websocket.cpp), and the Server object (bind_server.cpp).
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pybind11/pybind11.h>
#include <pythread.h>
#include <structmember.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "../http/server.h"
#include "direct_call.h"

namespace astra::bindings::server_bridge {

namespace py = pybind11;

using http::ConnId;
using http::RequestData;
using http::RespondResult;
using http::ResponseHeader;

// ---- the Request object (request_type.cpp) -------------------------------------------------

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

extern PyTypeObject RequestType;
extern PyObject* g_empty_tuple;

PyObject* decode_replace(std::string_view s);
PyObject* decode_latin1(std::string_view s);
// The getters the direct call reads through (direct_call.h, DirectInputs).
PyObject* req_get_query(RequestObject* self, void*);
PyObject* req_get_body(RequestObject* self, void*);
PyObject* req_get_headers(RequestObject* self, void*);
void init_request_type(py::module_& m);

// Request's methods: its answers (request_answers.cpp) and its WebSocket half (request_websocket.cpp).
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

// ---- response conversion (dispatcher.cpp) ----------------------------------------------------

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

// headers: None or a list/tuple of (bytes, bytes). The views stay valid while `headers` lives.
bool convert_headers(PyObject* headers, std::vector<ResponseHeader>& out, bool& default_json);

// ---- the dispatcher (dispatcher.cpp) ---------------------------------------------------------

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
    void access(const RequestData* req, int status);

    // Re-raise a KeyboardInterrupt/SystemExit a handler raised (after it was answered with 500).
    bool restore_pending() {
        if (!pending_type_) return false;
        PyErr_Restore(pending_type_, pending_value_, pending_tb_);
        pending_type_ = pending_value_ = pending_tb_ = nullptr;
        return true;
    }

    // Log the current Python exception on "astraapi.error" with its traceback; clears it.
    void log_exception(const char* message);

    // Sends a handler's (status, headers, body). On a bad response: sets a Python
    // exception and returns BadResponse (nothing was written).
    RespondResult send(http::Server& s, ConnId id, PyObject* status_obj, PyObject* headers, PyObject* body,
                       const RequestData* req);

    void internal_error(http::Server& s, ConnId id, const RequestData* req) { s.respond_internal_error(id, req); }

private:
    void call(http::Server& s, ConnId id, std::unique_ptr<RequestData>& req, uint32_t route,
              const std::string_view* params, size_t param_count);

    // A handler's result (or nullptr with its error set): send it, or answer 500.
    void deliver(http::Server& s, ConnId id, RequestObject* ro, PyObject* result);

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

PyDispatcher* dispatcher_of(http::Server* core);
unsigned long dispatcher_of_loop_thread(http::Server* core);
// The checks of every Request method that acts on the connection: on the loop's thread only.
bool stream_preamble(RequestObject* self, PyDispatcher*& d, const char* what);

}  // namespace astra::bindings::server_bridge
