// Server's WebSocket member functions (docs/websockets.md): the upgrade, frames in and out, the
// keep-alive pings and the close handshake. The protocol itself (handshake key, frames, UTF-8,
// close codes) is websocket.{h,cpp}.
#include <sys/socket.h>

#include <cerrno>

#include "connection.h"

namespace astra::http {

using namespace detail;

// ---- WebSockets ----------------------------------------------------------------------------------
// The upgrade request went through llhttp like any other (HPE_PAUSED_UPGRADE); the bytes after
// it stay in `in`. Once the application accepts, drive() hands the connection's bytes to a
// ws::Session instead of the parser.

namespace {
uint64_t ws_key(ConnId id) { return (static_cast<uint64_t>(id.gen) << 32) | id.slot; }
}  // namespace

void Server::dispatch_websocket(Conn& c) {
    RequestData& r = *c.req;
    std::string_view key, version;
    bool has_key = false, has_version = false;
    for (const HeaderSpan& h : r.headers) {
        std::string_view name = r.header_name(h);
        if (name == "sec-websocket-key") {
            key = trim_ows(r.header_value(h));
            has_key = true;
        } else if (name == "sec-websocket-version") {
            version = trim_ows(r.header_value(h));
            has_version = true;
        }
    }
    // The checks a WebSocket server makes before the application sees the handshake (RFC 6455 4.2.1).
    if (r.method != HTTP_GET || r.http_minor < 1) {
        write_error_and_close(c, 400, "WebSocket handshake: the request must be a GET over HTTP/1.1");
        return;
    }
    if (!has_version || version != "13") {
        begin_head(c, 426);
        static constexpr std::string_view kMsg = "WebSocket handshake: unsupported Sec-WebSocket-Version (13 is)";
        c.out.append("sec-websocket-version: 13\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ");
        append_uint(c.out, kMsg.size());
        c.out.append("\r\nconnection: close\r\n\r\n");
        c.out.append(kMsg);
        c.awaiting = false;
        c.close_after_flush = true;
        c.last_active = now_;
        return;
    }
    if (!has_key || !ws::valid_client_key(key)) {
        write_error_and_close(c, 400, "WebSocket handshake: missing or invalid Sec-WebSocket-Key header");
        return;
    }
    if (r.scheme == "http") r.scheme = "ws";
    else if (r.scheme == "https") r.scheme = "wss";
    MatchResult m = trie_->match(ASTRA_M_WEBSOCKET, r.path(), scratch_);
    if (m.kind != MatchKind::Found || !dispatcher_) {
        // Starlette's router closes an unknown WebSocket path before accepting: uvicorn answers 403.
        begin_head(c, 403);
        c.out.append("content-length: 0\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n\r\n");
        c.awaiting = false;
        c.close_after_flush = true;
        c.last_active = now_;
        return;
    }
    dispatcher_->on_request(*this, ConnId{c.slot, c.gen}, c.req, m.route, m.params, m.param_count);
    if (!c.req) c.req = acquire_request();
}

RespondResult Server::ws_accept(ConnId id, const RequestData& req, std::string_view subprotocol,
                                const ResponseHeader* headers, size_t header_count, std::string* error) {
    if (closed_) return RespondResult::Gone;
    Conn* cp = lookup(id);
    if (!cp) return RespondResult::Gone;
    Conn& c = *cp;
    if (!c.awaiting || c.streaming || c.ws) return RespondResult::NotAwaiting;
    std::string_view key;
    for (const HeaderSpan& h : req.headers)
        if (req.header_name(h) == "sec-websocket-key") key = trim_ows(req.header_value(h));
    for (char ch : subprotocol) {
        if (bad_value_char(static_cast<unsigned char>(ch)) || ch == ',' || ch == ' ') {
            if (error) *error = "Invalid WebSocket subprotocol.";
            return RespondResult::BadResponse;
        }
    }
    size_t mark = c.out.size();
    begin_head(c, 101);
    c.out.append("upgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ");
    c.out.append(ws::accept_key(key));
    c.out.append("\r\n");
    if (!subprotocol.empty()) {
        c.out.append("sec-websocket-protocol: ");
        c.out.append(subprotocol.data(), subprotocol.size());
        c.out.append("\r\n");
    }
    for (size_t i = 0; i < header_count; ++i) {
        const ResponseHeader& h = headers[i];
        bool bad = h.name_len == 0;
        for (size_t k = 0; k < h.name_len; ++k) bad = bad || bad_name_char(static_cast<unsigned char>(h.name[k]));
        for (size_t k = 0; k < h.value_len; ++k) bad = bad || bad_value_char(static_cast<unsigned char>(h.value[k]));
        if (bad) {
            c.out.resize(mark);
            if (error) *error = "Invalid HTTP header name or value.";
            return RespondResult::BadResponse;
        }
        for (size_t k = 0; k < h.name_len; ++k) c.out += ascii_lower(h.name[k]);
        c.out.append(": ", 2);
        c.out.append(h.value, h.value_len);
        c.out.append("\r\n", 2);
    }
    c.out.append("\r\n", 2);
    c.ws = std::make_unique<ws::Session>(opt_.ws_max_size);
    c.ws->last_ping_at = now_;
    c.awaiting = false;
    c.last_active = now_;
    if (!c.in_drive) drive(c);  // frames the client sent early
    return lookup(id) || ws_orphans_.count(ws_key(id)) ? RespondResult::Ok : RespondResult::Gone;
}

void Server::drive_ws(Conn& c) {
    ConnId id{c.slot, c.gen};
    ws::Session& s = *c.ws;
    size_t before = s.inbox.size();
    bool keep = true;
    if (c.in_off < c.in.size()) {
        keep = s.feed(c.in.data() + c.in_off, c.in.size() - c.in_off, c.out);
        c.in.clear();
        c.in_off = 0;
    }
    bool failed = false;
    while (keep && c.readable && !c.peer_eof && s.inbox_bytes < kWsInboxHigh) {
        ssize_t n = ::recv(c.fd, read_buf_.get(), kReadBufSize, 0);
        if (n == 0) {
            c.peer_eof = true;
            c.readable = false;
            break;
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                c.readable = false;
                break;
            }
            failed = true;
            break;
        }
        c.last_active = now_;
        if (static_cast<size_t>(n) < kReadBufSize && !c.rdhup) c.readable = false;
        keep = s.feed(read_buf_.get(), static_cast<size_t>(n), c.out);
    }
    if (s.inbox.size() != before && dispatcher_) dispatcher_->on_ws_event(id);
    if (failed || (keep && c.peer_eof)) {
        close_conn(c);  // dropped without a close frame: the application hears 1006
    } else if (!keep) {
        c.close_after_flush = true;  // the close handshake is over (or the client broke the protocol)
    }
}

void Server::ws_keepalive(Conn& c) {
    // uvicorn (the websockets library): a ping every interval; no pong within the timeout: close 1011.
    ws::Session& s = *c.ws;
    if (!opt_.ws_ping_interval_ms) return;
    ConnId id{c.slot, c.gen};
    if (s.ping_outstanding) {
        if (!opt_.ws_ping_timeout_ms || now_ - s.last_ping_at < opt_.ws_ping_timeout_ms) return;
        s.close(c.out, ws::kInternalError, "keepalive ping timeout");
        s.finish(ws::kInternalError);
        if (dispatcher_) dispatcher_->on_ws_event(id);
        c.close_after_flush = true;
    } else if (now_ - s.last_ping_at >= opt_.ws_ping_interval_ms) {
        uint8_t payload[4];
        uint64_t v = now_ * 2654435761u + c.slot;
        for (int i = 0; i < 4; ++i) payload[i] = static_cast<uint8_t>(v >> (8 * i));
        ws::append_frame(c.out, ws::kPing, reinterpret_cast<const char*>(payload), sizeof payload);
        s.ping_outstanding = true;
        s.last_ping_at = now_;
    } else {
        return;
    }
    flush(c);
    if (lookup(id)) after_io(c);
}

void Server::ws_detach(Conn& c) {
    if (!c.ws) return;
    ConnId id{c.slot, c.gen};
    c.ws->finish(ws::kAbnormal);
    ws_orphans_[ws_key(id)] = std::move(c.ws);
    if (dispatcher_) dispatcher_->on_ws_event(id);
}

int Server::ws_send(ConnId id, bool binary, const char* data, size_t len) {
    if (closed_) return -1;
    Conn* cp = lookup(id);
    if (!cp || !cp->ws || cp->ws->close_sent() || cp->close_after_flush) return -1;
    Conn& c = *cp;
    ws::append_frame(c.out, binary ? ws::kBinary : ws::kText, data, len);
    flush(c);
    if (!lookup(id)) return -1;
    if (c.out_pending() >= kStreamHighWater) {
        c.stream_wait = true;
        return 0;
    }
    return 1;
}

bool Server::ws_close(ConnId id, uint16_t code, std::string_view reason) {
    if (closed_) return false;
    Conn* cp = lookup(id);
    if (!cp || !cp->ws) return false;
    Conn& c = *cp;
    if (c.ws->close_sent()) return true;
    c.ws->close(c.out, code, reason);
    c.ws->close_sent_at = now_;
    flush(c);
    return true;
}

bool Server::ws_pop(ConnId id, ws::Message& out) {
    Conn* cp = lookup(id);
    ws::Session* s = nullptr;
    if (cp && cp->ws) {
        s = cp->ws.get();
    } else {
        auto it = ws_orphans_.find(ws_key(id));
        if (it != ws_orphans_.end()) s = it->second.get();
    }
    if (!s || s->inbox.empty()) return false;
    out = std::move(s->inbox.front());
    s->inbox.pop_front();
    if (out.kind != ws::kClose) s->inbox_bytes -= out.data.size();
    if (cp && cp->ws && cp->readable && !cp->in_drive && s->inbox_bytes < kWsInboxHigh) {
        drive(*cp);  // reading was paused while the inbox was full
    }
    return true;
}

int Server::ws_state(ConnId id) const {
    Conn* cp = lookup(id);
    const ws::Session* s = nullptr;
    if (cp && cp->ws) {
        s = cp->ws.get();
    } else {
        auto it = ws_orphans_.find(ws_key(id));
        if (it != ws_orphans_.end()) s = it->second.get();
    }
    if (!s) return -1;
    if (!s->inbox.empty()) return 1;
    return s->finished() ? -1 : 0;
}

void Server::ws_forget(ConnId id) {
    ws_orphans_.erase(ws_key(id));
    Conn* cp = lookup(id);
    if (cp && cp->ws && !cp->ws->close_sent()) ws_close(id, ws::kNormal, "");
}

}  // namespace astra::http
