// Writing answers (server.h): the one head writer (write_head) for whole and streamed bodies,
// whole answers (respond), the built-in answers (404, 405, 307, 400, 408, 413, 431, 500), body
// bytes (appended, or written at once with sendmsg when big) and flushing, file bodies included.
// Streamed bodies: streams.cpp; gzip's rewriting of an answer: gzip_negotiation.cpp.
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

#include "../net/socket.h"
#include "connection.h"
#include "url.h"

namespace astra::http {

using namespace detail;

// ---- response writing ------------------------------------------------------------------------

void Server::begin_head(Conn& c, int status) {
    c.out.append(status_lines_[static_cast<size_t>(status)]);
    c.out.append("date: ", 6);
    std::string_view d = date_.value();
    c.out.append(d.data(), d.size());
    c.out.append("\r\n", 2);
    c.out.append(server_line_);
}

namespace {

void append_connection_header(std::string& out, bool keep_alive, bool http10) {
    if (!keep_alive)
        out.append("connection: close\r\n");
    else if (http10)
        out.append("connection: keep-alive\r\n");
}

// After the application's headers: the connection header the answer needs. `conn_close`: the
// application sent `connection: close`; `has_connection`: it sent a connection header at all.
void finish_connection_header(Server::Conn& c, bool conn_close, bool has_connection) {
    if (conn_close) c.resp_keep_alive = false;
    if (!c.resp_keep_alive) {
        if (!conn_close) c.out.append("connection: close\r\n");
    } else if (c.resp_http10 && !has_connection) {
        c.out.append("connection: keep-alive\r\n");
    }
}

}  // namespace

void Server::write_builtin(Conn& c, int status, std::string_view extra_headers, std::string_view content_type,
                           std::string_view body) {
    if (draining_ && c.resp_keep_alive && !drain_keeps(c)) c.resp_keep_alive = false;
    begin_head(c, status);
    c.out.append(extra_headers.data(), extra_headers.size());
    c.out.append("content-length: ");
    append_uint(c.out, body.size());
    c.out.append("\r\ncontent-type: ");
    c.out.append(content_type.data(), content_type.size());
    c.out.append("\r\n");
    append_connection_header(c.out, c.resp_keep_alive, c.resp_http10);
    c.out.append("\r\n");
    if (!c.resp_head) c.out.append(body.data(), body.size());
    if (opt_.access_log && dispatcher_ && c.req) dispatcher_->on_access(*c.req, status);
    complete_response(c);
}

std::string Server::redirect_location(Conn& c, std::string_view new_path) {
    // Starlette: URL(scope=redirect_scope) then RedirectResponse quotes it with this safe set.
    static constexpr std::string_view kSafe = ":/%#?=@[]!$&'()*+,;";
    const RequestData& r = *c.req;
    std::string url(r.scheme);
    url += "://";
    const HeaderSpan* host = nullptr;
    for (const HeaderSpan& h : r.headers) {
        if (r.header_name(h) == "host") {
            host = &h;
            break;
        }
    }
    if (host) {
        std::string utf8;
        latin1_to_utf8_append(r.header_value(*host), utf8);
        quote_append(utf8, kSafe, url);
    } else {
        std::string ip;
        int port = 0;
        if (!net::local_address(c.fd, ip, port)) {
            ip = bound_host_;
            port = port_;
        }
        quote_append(ip, kSafe, url);
        if (port != 80) {
            url += ':';
            url += std::to_string(port);
        }
    }
    quote_append(new_path, kSafe, url);
    if (r.query_len) {
        url += '?';
        quote_append(r.query(), kSafe, url);
    }
    return url;
}

void Server::write_redirect(Conn& c, std::string_view new_path) {
    const RequestData& r = *c.req;
    std::string url = redirect_location(c, new_path);
    if (draining_ && c.resp_keep_alive && !drain_keeps(c)) c.resp_keep_alive = false;
    begin_head(c, 307);
    c.out.append("content-length: 0\r\nlocation: ");
    c.out.append(url);
    c.out.append("\r\n");
    append_connection_header(c.out, c.resp_keep_alive, c.resp_http10);
    c.out.append("\r\n");
    if (opt_.access_log && dispatcher_) dispatcher_->on_access(r, 307);
    complete_response(c);
}

void Server::write_status_error(Conn& c, int status) {
    if (status == 400) {
        write_error_and_close(c, 400, "Invalid HTTP request received.");  // uvicorn's text
        return;
    }
    // Body: the reason phrase of the status line (as sent on this interpreter).
    std::string_view line = status_lines_[static_cast<size_t>(status)];
    write_error_and_close(c, status, line.substr(13, line.size() - 15));
}

void Server::write_error_and_close(Conn& c, int status, std::string_view message) {
    // uvicorn's send_400_response layout.
    begin_head(c, status);
    c.out.append("content-type: text/plain; charset=utf-8\r\ncontent-length: ");
    append_uint(c.out, message.size());
    c.out.append("\r\nconnection: close\r\n\r\n");
    c.out.append(message.data(), message.size());
    c.awaiting = false;
    c.close_after_flush = true;
    c.last_active = now_;
}

void Server::append_body(Conn& c, const char* body, size_t len) {
    if (len < kDirectWriteBody || !c.writable) {
        c.out.append(body, len);
        return;
    }
    size_t pending = c.out_pending();
    size_t total = pending + len, written = 0;
    while (written < total) {
        struct iovec iov[2];
        int cnt = 0;
        if (written < pending) {
            iov[cnt].iov_base = c.out.data() + c.out_off + written;
            iov[cnt].iov_len = pending - written;
            ++cnt;
            iov[cnt].iov_base = const_cast<char*>(body);
            iov[cnt].iov_len = len;
            ++cnt;
        } else {
            iov[cnt].iov_base = const_cast<char*>(body) + (written - pending);
            iov[cnt].iov_len = len - (written - pending);
            ++cnt;
        }
        struct msghdr msg = {};
        msg.msg_iov = iov;
        msg.msg_iovlen = static_cast<size_t>(cnt);
        ssize_t n = ::sendmsg(c.fd, &msg, MSG_NOSIGNAL);
        if (n > 0) {
            written += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) c.writable = false;
        break;  // EAGAIN, or an error the next flush reports
    }
    if (written < pending) {
        c.out_off += written;
        c.out.append(body, len);
    } else {
        size_t body_written = written - pending;
        c.out.clear();
        c.out_off = 0;
        c.out.append(body + body_written, len - body_written);
    }
}

void Server::complete_response(Conn& c) {
    c.awaiting = false;
    c.last_active = now_;
    if (c.req && c.req->buf.capacity() > kPooledBufferMax) std::string().swap(c.req->buf);  // after a big body
    if (!c.resp_keep_alive) {
        c.close_after_flush = true;
    } else if (llhttp_get_errno(&c.parser) == HPE_PAUSED) {
        llhttp_resume(&c.parser);
    }
}

// The one head writer, for whole and streamed answers alike: the status line, date and server,
// the application's headers (checked, names lower-cased, in their order), the connection header
// the answer needs, and `transfer-encoding: chunked` when a body may follow and nothing else
// frames it. Not the blank line. `default_json_length`: instead of headers, Starlette's
// JSONResponse head (content-length, then content-type: application/json). On an error nothing
// is undone here: the caller truncates `out` back to its mark.
const char* Server::write_head(Conn& c, int status, const ResponseHeader* headers, size_t header_count,
                               const size_t* default_json_length, HeadFraming& f) {
    begin_head(c, status);
    bool conn_close = false, has_connection = false;
    if (default_json_length) {
        c.out.append("content-length: ");
        append_uint(c.out, *default_json_length);
        c.out.append("\r\ncontent-type: application/json\r\n");
        f.length = true;
        f.content_length = *default_json_length;
    } else {
        for (size_t i = 0; i < header_count; ++i) {
            const ResponseHeader& h = headers[i];
            if (const char* wrong = bad_response_header(h)) return wrong;
            size_t name_at = c.out.size();
            c.out.resize(name_at + h.name_len);
            char* name = c.out.data() + name_at;
            for (size_t k = 0; k < h.name_len; ++k) name[k] = ascii_lower(h.name[k]);
            std::string_view lname(name, h.name_len);
            std::string_view value(h.value, h.value_len);
            if (lname == "content-length" && !f.length && !f.chunked) {
                std::string_view v = trim_ows(value);
                if (v.empty() || v.size() > 18) return "Invalid content-length header value.";
                uint64_t x = 0;
                for (char ch : v) {
                    if (ch < '0' || ch > '9') return "Invalid content-length header value.";
                    x = x * 10 + static_cast<uint64_t>(ch - '0');
                }
                f.length = true;
                f.content_length = x;
            } else if (lname == "transfer-encoding" && iequals(value, "chunked")) {
                f.chunked = true;
                f.length = false;
            } else if (lname == "connection") {
                has_connection = true;
                if (lists_close(value)) conn_close = true;
            }
            c.out.append(": ", 2);
            c.out.append(h.value, h.value_len);
            c.out.append("\r\n", 2);
        }
    }
    finish_connection_header(c, conn_close, has_connection);
    if (!f.length && !f.chunked && !c.resp_head && status != 204 && status != 304) {
        c.out.append("transfer-encoding: chunked\r\n");
        f.chunked = true;
    }
    return nullptr;
}

RespondResult Server::respond(ConnId id, int status, const ResponseHeader* headers, size_t header_count,
                              bool default_json, const char* body, size_t body_len, std::string* error,
                              const RequestData* log_req) {
    if (closed_) return RespondResult::Gone;
    Conn* cp = lookup(id);
    if (!cp) return RespondResult::Gone;
    Conn& c = *cp;
    if (!c.awaiting || c.streaming) return RespondResult::NotAwaiting;
    auto bad = [&](size_t mark, const char* why) {
        c.out.resize(mark);
        if (error) *error = why;
        return RespondResult::BadResponse;
    };
    if (status < 100 || status > 599) return bad(c.out.size(), "invalid HTTP status code");
    if (draining_ && c.resp_keep_alive && !drain_keeps(c)) c.resp_keep_alive = false;
    // Native gzip: the same answer with a compressed body and rewritten headers, when it applies.
    if (opt_.gzip) gzip_whole_body(c, status, headers, header_count, default_json, body, body_len);
    size_t mark = c.out.size();
    HeadFraming f;
    if (const char* wrong = write_head(c, status, headers, header_count, default_json ? &body_len : nullptr, f))
        return bad(mark, wrong);
    if (!c.resp_head) {
        if (f.length && f.content_length != body_len)
            return bad(mark, body_len > f.content_length ? "Response content longer than Content-Length"
                                                         : "Response content shorter than Content-Length");
        if (!f.length && !f.chunked && body_len) return bad(mark, "Response content longer than Content-Length");
    }
    c.out.append("\r\n", 2);
    if (!c.resp_head) {
        if (f.chunked) {
            if (body_len) {
                append_hex(c.out, body_len);
                c.out.append("\r\n", 2);
                append_body(c, body, body_len);
                c.out.append("\r\n", 2);
            }
            c.out.append("0\r\n\r\n", 5);
        } else {
            append_body(c, body, body_len);
        }
    }
    if (opt_.access_log && dispatcher_ && log_req) dispatcher_->on_access(*log_req, status);
    complete_response(c);
    if (!c.in_drive && c.st == Conn::St::Open) drive(c);
    return RespondResult::Ok;
}

RespondResult Server::respond_internal_error(ConnId id, const RequestData* log_req) {
    if (closed_) return RespondResult::Gone;
    Conn* cp = lookup(id);
    if (!cp) return RespondResult::Gone;
    Conn& c = *cp;
    if (!c.awaiting || c.streaming) return RespondResult::NotAwaiting;
    // Starlette's ServerErrorMiddleware response; uvicorn then closes the connection.
    begin_head(c, 500);
    c.out.append("content-length: 21\r\ncontent-type: text/plain; charset=utf-8\r\n");
    if (!c.resp_keep_alive) c.out.append("connection: close\r\n");
    c.out.append("\r\n");
    if (!c.resp_head) c.out.append("Internal Server Error");
    c.resp_keep_alive = false;
    if (opt_.access_log && dispatcher_ && log_req) dispatcher_->on_access(*log_req, 500);
    complete_response(c);
    if (!c.in_drive && c.st == Conn::St::Open) drive(c);
    return RespondResult::Ok;
}

bool Server::flush(Conn& c) {
    while (c.out_off < c.out.size()) {
        if (!c.writable) return false;
        ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c.out_off += static_cast<size_t>(n);
            c.last_active = now_;  // the client takes our answer: not stalled (body_timeout)
            if (c.stream_wait && !c.file && c.out_pending() < kStreamLowWater) stream_drained(c);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            c.writable = false;
            return false;
        }
        close_conn(c);
        return false;
    }
    c.out.clear();
    c.out_off = 0;
    if (c.out.capacity() > kKeepBufferCapacity) std::string().swap(c.out);
    if (c.file && !pump_file(c)) return false;
    if (c.stream_wait) stream_drained(c);
    if (!c.in_drive) after_io(c);
    return true;
}

// The file body goes out once `out` is empty (the head and anything before it first).
bool Server::pump_file(Conn& c) {
    if (!c.writable) return false;
    bool progressed = false;
    FileBody::Step step = c.file->pump(c.fd, progressed);
    if (progressed) c.last_active = now_;
    switch (step) {
        case FileBody::Step::Done:
            c.file.reset();
            return true;
        case FileBody::Step::Again:
            c.writable = false;
            return false;
        case FileBody::Step::Error:
        default:
            close_conn(c);  // a socket error, or the file shrank: the framing cannot be kept
            return false;
    }
}

}  // namespace astra::http
