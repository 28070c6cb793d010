// Streamed answers (server.h, "streamed answers"): the head through the one head writer
// (response_writer.cpp), then the body in pieces (chunked, or within the handler's
// content-length), or from a file (file_body.h); backpressure through Dispatcher::on_stream_event.
#include "connection.h"

namespace astra::http {

using namespace detail;

// ---- streamed answers --------------------------------------------------------------------------
// start_stream writes the head as respond() does; the body follows in pieces. The connection
// stays `awaiting` (no pipelined request is parsed) until end_stream. Backpressure: above
// kStreamHighWater bytes queued, stream_send returns 0 and the dispatcher hears
// on_stream_event once the client has taken enough (or the connection closed).

void Server::stream_drained(Conn& c) {
    c.stream_wait = false;
    if (dispatcher_) dispatcher_->on_stream_event(ConnId{c.slot, c.gen});
}

RespondResult Server::start_stream(ConnId id, int status, const ResponseHeader* headers, size_t header_count,
                                   std::string* error, const RequestData* log_req) {
    if (closed_) return RespondResult::Gone;
    Conn* cp = lookup(id);
    if (!cp) return RespondResult::Gone;
    Conn& c = *cp;
    if (!c.awaiting || c.streaming) return RespondResult::NotAwaiting;
    if (opt_.gzip && !c.resp_head && status >= 200 && status <= 599 && gzip_eligible(c, status, headers, header_count)) {
        // Starlette's rule: the first piece decides. Hold the head (checked now) until then.
        c.gz_held.clear();
        c.gz_held_lens.clear();
        for (size_t i = 0; i < header_count; ++i) {
            const ResponseHeader& h = headers[i];
            if (const char* wrong = bad_response_header(h)) {
                if (error) *error = wrong;
                return RespondResult::BadResponse;
            }
            c.gz_held.append(h.name, h.name_len);
            c.gz_held.append(h.value, h.value_len);
            c.gz_held_lens.push_back(static_cast<uint32_t>(h.name_len));
            c.gz_held_lens.push_back(static_cast<uint32_t>(h.value_len));
        }
        c.gz_status = status;
        c.gz_hold = true;
        c.streaming = true;
        c.stream_wait = false;
        if (opt_.access_log && dispatcher_ && log_req) dispatcher_->on_access(*log_req, status);
        return RespondResult::Ok;
    }
    return start_stream_now(c, id, status, headers, header_count, error, log_req);
}

RespondResult Server::start_stream_now(Conn& c, ConnId id, int status, const ResponseHeader* headers,
                                       size_t header_count, std::string* error, const RequestData* log_req) {
    size_t mark = c.out.size();
    auto bad = [&](const char* why) {
        c.out.resize(mark);
        if (error) *error = why;
        return RespondResult::BadResponse;
    };
    if (status < 100 || status > 599) return bad("invalid HTTP status code");
    if (draining_ && c.resp_keep_alive && !drain_keeps(c)) c.resp_keep_alive = false;
    HeadFraming f;
    if (const char* wrong = write_head(c, status, headers, header_count, nullptr, f)) return bad(wrong);
    bool body_allowed = !c.resp_head && status != 204 && status != 304;
    c.out.append("\r\n", 2);
    c.streaming = true;
    c.stream_wait = false;
    c.stream_body = body_allowed;
    c.stream_chunked = f.chunked && body_allowed;
    c.stream_length = f.length && body_allowed;
    c.stream_remaining = f.content_length;
    if (opt_.access_log && dispatcher_ && log_req) dispatcher_->on_access(*log_req, status);
    flush(c);
    return lookup(id) ? RespondResult::Ok : RespondResult::Gone;
}

int Server::stream_send(ConnId id, const char* data, size_t len, std::string* error) {
    if (closed_) return -1;
    Conn* cp = lookup(id);
    if (!cp || !cp->streaming) return -1;
    Conn& c = *cp;
    if (c.file) {
        if (error) *error = "send() while a file body is being sent";
        return -2;
    }
    if (c.gz_hold) {
        RespondResult r = gzip_release_head(c, id, true, error);
        if (r == RespondResult::BadResponse) return -2;
        if (r != RespondResult::Ok || !lookup(id)) return -1;
    }
    if (c.gz_stream && c.stream_body) {
        gz_body_.clear();
        c.gz_stream->write(data, len, gz_body_);
        data = gz_body_.data();
        len = gz_body_.size();
    }
    if (c.stream_body && len) {
        if (c.stream_length) {
            if (len > c.stream_remaining) {
                if (error) *error = "Response content longer than Content-Length";
                return -2;
            }
            c.stream_remaining -= len;
            append_body(c, data, len);
        } else if (c.stream_chunked) {
            append_hex(c.out, len);
            c.out.append("\r\n", 2);
            append_body(c, data, len);
            c.out.append("\r\n", 2);
        } else {
            append_body(c, data, len);
        }
        flush(c);
        if (!lookup(id)) return -1;
    }
    if (c.out_pending() >= kStreamHighWater) {
        c.stream_wait = true;
        return 0;
    }
    return 1;
}

RespondResult Server::end_stream(ConnId id, std::string* error) {
    if (closed_) return RespondResult::Gone;
    Conn* cp = lookup(id);
    if (!cp || !cp->streaming) return RespondResult::Gone;
    Conn& c = *cp;
    if (c.file) {
        if (error) *error = "end() while a file body is being sent";
        close_conn(c);
        return RespondResult::BadResponse;
    }
    if (c.gz_hold) {
        RespondResult r = gzip_release_head(c, id, false, error);
        if (r != RespondResult::Ok) return r;
        if (!lookup(id)) return RespondResult::Gone;
    }
    if (c.gz_stream) {
        if (c.stream_chunked) {
            gz_body_.clear();
            c.gz_stream->finish(gz_body_);
            append_hex(c.out, gz_body_.size());
            c.out.append("\r\n", 2);
            append_body(c, gz_body_.data(), gz_body_.size());
            c.out.append("\r\n", 2);
        }
        c.gz_stream.reset();
    }
    c.streaming = c.stream_wait = false;
    if (c.stream_length && c.stream_remaining) {
        if (error) *error = "Response content shorter than Content-Length";
        close_conn(c);
        return RespondResult::BadResponse;
    }
    if (c.stream_chunked) c.out.append("0\r\n\r\n", 5);
    complete_response(c);
    if (!c.in_drive && c.st == Conn::St::Open) drive(c);
    return RespondResult::Ok;
}

void Server::abort_stream(ConnId id) {
    Conn* cp = lookup(id);
    if (cp && (cp->streaming || cp->ws)) close_conn(*cp);  // a WebSocket: dropped without a close frame
}

int Server::stream_send_file(ConnId id, int fd, std::vector<FileSegment> segments, std::string tail,
                             std::string* error) {
    uint64_t length = FileBody::wire_length(segments, tail);
    // Owns fd from here: closed on every early return.
    auto body = std::make_unique<FileBody>(fd, std::move(segments), std::move(tail));
    if (closed_) return -1;
    Conn* cp = lookup(id);
    if (!cp || !cp->streaming) return -1;
    Conn& c = *cp;
    if (c.file) {
        if (error) *error = "a file body is already being sent";
        return -2;
    }
    if (c.gz_hold) {  // native gzip held the head: a file body goes out as it is (sendfile)
        RespondResult r = gzip_release_head(c, id, false, error);
        if (r == RespondResult::BadResponse) return -2;
        if (r != RespondResult::Ok || !lookup(id)) return -1;
    }
    if (!c.stream_body) return 1;  // HEAD, 204, 304: the head only
    if (!c.stream_length) {
        if (error) *error = "a file body needs a content-length header";
        return -2;
    }
    if (length > c.stream_remaining) {
        if (error) *error = "Response content longer than Content-Length";
        return -2;
    }
    c.stream_remaining -= length;
    c.file = std::move(body);
    flush(c);
    if (!lookup(id)) return -1;
    if (c.file || c.out_pending()) {
        c.stream_wait = true;  // woken through on_stream_event once all of it is out
        return 0;
    }
    return 1;
}

int Server::stream_state(ConnId id) const {
    if (closed_) return -1;
    Conn* cp = lookup(id);
    if (!cp || !(cp->streaming || cp->ws)) return -1;
    return cp->stream_wait ? 0 : 1;
}

}  // namespace astra::http
