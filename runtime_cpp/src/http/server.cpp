// The server core's connection loop (server.h): construction, the request pool, the epoll event
// loop, the once-a-second timeout sweep, accepting and adopting connections, driving a
// connection (read, parse, dispatch, write), routing a parsed request, graceful shutdown and
// closing. The other parts: http1_parser.cpp, response_writer.cpp, streams.cpp,
// proxy_headers.cpp, gzip_negotiation.cpp, server_websocket.cpp (connection.h is their shared state).
#include "server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "../net/socket.h"
#include "connection.h"
#include "status.h"

namespace astra::http {

using namespace detail;

// ---- construction ----------------------------------------------------------------------------

Server::Server(std::shared_ptr<Trie> trie, ServerOptions options)
    : trie_(std::move(trie)), opt_(std::move(options)), trusted_(opt_.forwarded_allow_ips) {
    if (!trie_) throw std::invalid_argument("Server needs a Trie");
    for (int code = 0; code < 600; ++code) {
        if (code < 100) continue;
        set_reason_phrase(code, default_reason_phrase(code));
    }
    if (!opt_.server_header.empty()) server_line_ = "server: " + opt_.server_header + "\r\n";
    read_buf_.reset(new char[kReadBufSize]);
    events_.resize(kEventBatch);
    now_ = clock();
    if (!opt_.listen) {
        bound_host_ = opt_.host;
        return;
    }
    std::string err;
    listen_fd_ = net::listen_tcp(opt_.host, opt_.port, opt_.reuse_port, opt_.backlog, err);
    if (listen_fd_ < 0) throw std::runtime_error(err);
    int port = 0;
    if (!net::local_address(listen_fd_, bound_host_, port)) {
        ::close(listen_fd_);
        throw std::runtime_error("getsockname failed on the listening socket");
    }
    port_ = port;
    if (!reactor_.add(listen_fd_, EPOLLIN | EPOLLET, net::Reactor::kListenerToken)) {
        int e = errno;
        ::close(listen_fd_);
        throw std::system_error(e, std::generic_category(), "epoll_ctl(listener)");
    }
    now_ = clock();
}

Server::~Server() {
    close();
    reactor_.close();
}

void Server::set_reason_phrase(int status, std::string_view phrase) {
    if (status < 100 || status > 599) return;
    std::string& line = status_lines_[static_cast<size_t>(status)];
    line = "HTTP/1.1 ";
    line += std::to_string(status);
    line += ' ';
    line.append(phrase.data(), phrase.size());
    line += "\r\n";
}

std::unique_ptr<RequestData> Server::acquire_request() {
    if (!request_pool_.empty()) {
        std::unique_ptr<RequestData> r = std::move(request_pool_.back());
        request_pool_.pop_back();
        return r;
    }
    return std::make_unique<RequestData>();
}

void Server::release_request(std::unique_ptr<RequestData> req) {
    if (!req || request_pool_.size() >= kPoolMax) return;
    if (req->buf.capacity() > kPooledBufferMax) std::string().swap(req->buf);
    if (req->headers.capacity() > 256) std::vector<HeaderSpan>().swap(req->headers);
    req->reset();
    request_pool_.push_back(std::move(req));
}

Server::Conn* Server::lookup(ConnId id) const {
    if (id.slot >= conns_.size()) return nullptr;
    Conn* c = conns_[id.slot].get();
    if (c->gen != id.gen || c->st != Conn::St::Open) return nullptr;
    return c;
}

bool Server::is_alive(ConnId id) const { return !closed_ && lookup(id) != nullptr; }

// ---- event loop ----------------------------------------------------------------------------

void Server::poll() {
    if (closed_ || in_poll_) return;
    struct Guard {
        bool& flag;
        ~Guard() { flag = false; }
    } guard{in_poll_};
    in_poll_ = true;
    now_ = clock();
    date_.refresh();
    for (int round = 0; round < 4 && !closed_; ++round) {
        int n = reactor_.wait(events_.data(), static_cast<int>(events_.size()));
        for (int i = 0; i < n && !closed_; ++i) {
            const epoll_event& ev = events_[static_cast<size_t>(i)];
            uint64_t token = ev.data.u64;
            try {
                if (token == net::Reactor::kTimerToken) {
                    reactor_.drain_timer();
                    tick();
                } else if (token == net::Reactor::kListenerToken) {
                    accept_all();
                } else {
                    uint32_t slot = static_cast<uint32_t>(token & 0xffffffffu);
                    uint32_t gen = static_cast<uint32_t>(token >> 32);
                    if (slot >= conns_.size()) continue;
                    Conn& c = *conns_[slot];
                    if (c.gen != gen) continue;
                    if (c.st == Conn::St::Open) {
                        on_conn_event(c, ev.events);
                    } else if (c.st == Conn::St::Lingering) {
                        on_lingering_event(c, ev.events);
                    }
                }
            } catch (const std::exception&) {
                // Out of memory or similar: drop that connection, keep serving the others.
                if (token != net::Reactor::kTimerToken && token != net::Reactor::kListenerToken) {
                    uint32_t slot = static_cast<uint32_t>(token & 0xffffffffu);
                    if (slot < conns_.size() && conns_[slot]->st != Conn::St::Free) close_conn(*conns_[slot]);
                }
            }
        }
        if (n < static_cast<int>(events_.size())) break;
    }
}

void Server::tick() {
    now_ = clock();
    date_.refresh();
    if (accept_paused_) {
        accept_paused_ = false;
        accept_all();
    }
    // The one batched sweep: every timeout of every connection, once a second.
    for (auto& cp : conns_) {
        Conn& c = *cp;
        if (c.st == Conn::St::Open) {
            if (c.ws && !c.close_after_flush && !c.in_drive) {
                // No idle timeout on an open WebSocket; a close we sent is answered in time or not at all.
                if (c.ws->close_sent() && now_ - c.ws->close_sent_at >= kWsCloseTimeoutMs) close_conn(c);
                else if (c.out_pending() && opt_.body_timeout_ms && now_ - c.last_active >= opt_.body_timeout_ms)
                    close_conn(c);
                else if (!c.ws->close_sent()) ws_keepalive(c);
                continue;
            }
            if (c.in_drive || c.awaiting || c.close_after_flush) {
                // The server's own work (the handler) is never timed out; a client that
                // stops reading our final answer is.
                if ((c.close_after_flush || c.streaming) && (c.out_pending() || c.file) && opt_.body_timeout_ms &&
                    now_ - c.last_active >= opt_.body_timeout_ms)
                    close_conn(c);
                continue;
            }
            if (c.out_pending()) {
                if (opt_.body_timeout_ms && now_ - c.last_active >= opt_.body_timeout_ms) close_conn(c);
            } else if (c.in_message && !c.headers_done) {
                if (opt_.header_timeout_ms && now_ - c.message_begin >= opt_.header_timeout_ms) timeout_conn(c);
            } else if (c.in_message) {
                if (opt_.body_timeout_ms && now_ - c.last_active >= opt_.body_timeout_ms) {
                    timeout_conn(c);
                } else if (opt_.body_min_rate && c.req && now_ - c.body_begin >= opt_.body_min_rate_grace_ms &&
                           now_ > c.body_begin &&
                           static_cast<uint64_t>(c.req->body_len) * 1000 < opt_.body_min_rate * (now_ - c.body_begin)) {
                    timeout_conn(c);  // slower than the minimum rate, averaged since the headers ended
                }
            } else if (draining_ || (opt_.idle_timeout_ms && now_ - c.last_active >= opt_.idle_timeout_ms)) {
                close_conn(c);
            }
        } else if (c.st == Conn::St::Lingering) {
            if (now_ - c.last_active >= kLingerMs) close_conn(c);
        }
    }
}

uint64_t Server::clock() const { return monotonic_ms() + clock_offset_; }

void Server::advance_clock(uint64_t ms) {
    if (closed_ || in_poll_) return;
    clock_offset_ += ms;
    tick();
}

void Server::timeout_conn(Conn& c) {
    // RFC 9110 15.5.9: 408 with "connection: close" for a request that did not complete in time.
    write_status_error(c, 408);
    flush(c);
    after_io(c);
}

bool Server::conn_idle(const Conn& c) const {
    return c.st == Conn::St::Open && !c.in_message && !c.awaiting && !c.in_drive && !c.close_after_flush &&
           c.out_pending() == 0 && c.in_off >= c.in.size() && !c.ws;  // a WebSocket ends by its close handshake
}

void Server::shutdown() {
    if (closed_ || draining_) return;
    draining_ = true;
    if (listen_fd_ >= 0) {
        accept_all();  // what the kernel already queued for us is served, not reset
        reactor_.remove(listen_fd_);
        ::close(listen_fd_);
        listen_fd_ = -1;
    }
    for (auto& cp : conns_) {
        Conn& c = *cp;
        if (c.st == Conn::St::Open && c.ws && !c.ws->close_sent()) {
            // uvicorn closes WebSockets with 1012 on shutdown; the application hears it too.
            c.ws->close(c.out, ws::kServiceRestart, "");
            c.ws->close_sent_at = now_;
            c.ws->finish(ws::kServiceRestart);
            if (dispatcher_) dispatcher_->on_ws_event(ConnId{c.slot, c.gen});
            flush(c);
        } else if (conn_idle(c)) {
            close_conn(c);
        }
    }
}

void Server::accept_all() {
    if (listen_fd_ < 0) return;
    for (;;) {
        sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            accept_paused_ = true;  // EMFILE, ENFILE, ENOBUFS...: retried on the next tick
            return;
        }
        if (opt_.max_connections && open_count_ >= opt_.max_connections) {
            reject_busy(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        open_conn(fd, reinterpret_cast<const sockaddr*>(&ss), len);
    }
}

void Server::reject_busy(int fd) {
    // uvicorn's limit-concurrency answer, sent at once without reading the request; the
    // connection never takes a slot (so the limit bounds memory and descriptors).
    std::string msg = status_lines_[503];
    msg += "date: ";
    msg.append(date_.value());
    msg += "\r\n";
    msg += server_line_;
    msg += "content-type: text/plain; charset=utf-8\r\ncontent-length: 19\r\nconnection: close\r\n\r\n"
           "Service Unavailable";
    ssize_t n = ::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL);
    (void)n;
    ::shutdown(fd, SHUT_WR);
    ::close(fd);
}

bool Server::adopt(int fd, const sockaddr* peer, socklen_t peer_len) {
    if (closed_) {
        ::close(fd);
        return false;
    }
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    return open_conn(fd, peer, peer_len) != nullptr;
}

Server::Conn* Server::open_conn(int fd, const sockaddr* peer, socklen_t len) {
    {
        uint32_t slot;
        if (!free_slots_.empty()) {
            slot = free_slots_.back();
            free_slots_.pop_back();
        } else {
            slot = static_cast<uint32_t>(conns_.size());
            conns_.push_back(std::make_unique<Conn>());
            conns_.back()->slot = slot;
            conns_.back()->srv = this;
        }
        Conn& c = *conns_[slot];
        c.fd = fd;
        c.st = Conn::St::Open;
        llhttp_init(&c.parser, HTTP_REQUEST, http1_parser_settings());
        c.parser.data = &c;
        if (!c.req) c.req = acquire_request();
        c.headers_done = c.message_done = c.in_field = c.upgrade = c.in_message = false;
        c.error_status = 0;
        c.header_bytes = 0;
        c.chunk_ext_bytes = 0;
        c.readable = false;
        c.writable = true;
        c.rdhup = c.peer_eof = c.awaiting = c.in_drive = c.close_after_flush = false;
        c.ws.reset();
        c.in.clear();
        c.in_off = 0;
        c.out.clear();
        c.out_off = 0;
        c.last_active = now_;
        if (len > sizeof c.peer) len = sizeof c.peer;
        if (peer && len) std::memcpy(&c.peer, peer, len);
        else len = 0;
        c.peer_len = len;
        ++open_count_;
        uint64_t token = (static_cast<uint64_t>(c.gen) << 32) | slot;
        if (!reactor_.add(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, token)) {
            close_conn(c);
            return nullptr;
        }
        return &c;
    }
}

void Server::on_conn_event(Conn& c, uint32_t events) {
    if (events & (EPOLLERR | EPOLLHUP)) {
        close_conn(c);
        return;
    }
    if (events & EPOLLIN) c.readable = true;
    if ((events & EPOLLRDHUP) && c.streaming) {  // the client went away mid-stream (as uvicorn sees EOF)
        close_conn(c);
        return;
    }
    if (events & EPOLLRDHUP) {
        c.rdhup = true;
        c.readable = true;
    }
    if (events & EPOLLOUT) {
        c.writable = true;
        if ((c.out_pending() || c.file) && !c.in_drive) {
            flush(c);
            if (c.st != Conn::St::Open) return;
        }
    }
    if (c.in_drive) return;
    drive(c);
}

void Server::on_lingering_event(Conn& c, uint32_t events) {
    if (events & (EPOLLERR | EPOLLHUP)) {
        close_conn(c);
        return;
    }
    for (;;) {
        ssize_t n = ::recv(c.fd, read_buf_.get(), kReadBufSize, 0);
        if (n > 0) continue;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        close_conn(c);  // EOF or error
        return;
    }
}

// ---- per-connection processing ---------------------------------------------------------------

void Server::drive(Conn& c) {
    if (c.in_drive || c.st != Conn::St::Open) return;
    c.in_drive = true;
    while (c.st == Conn::St::Open && !closed_) {
        if (c.awaiting || c.close_after_flush) break;
        if (c.ws) {  // after the upgrade: WebSocket frames, never HTTP again
            drive_ws(c);
            break;
        }
        if (c.out_pending() >= kOutHighWater) {
            if (!flush(c)) break;
            continue;
        }
        Feed r;
        if (c.in_off < c.in.size()) {
            size_t consumed = 0;
            r = feed(c, c.in.data() + c.in_off, c.in.size() - c.in_off, consumed);
            c.in_off += consumed;
            if (c.in_off >= c.in.size()) {
                c.in.clear();
                c.in_off = 0;
                if (c.in.capacity() > kKeepBufferCapacity) std::string().swap(c.in);
            }
        } else {
            if (!c.readable || c.peer_eof) break;
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
                close_conn(c);
                break;
            }
            c.last_active = now_;
            // A short read drained the socket; new data raises a new edge. After RDHUP,
            // read on until EOF (no further edge will come).
            if (static_cast<size_t>(n) < kReadBufSize && !c.rdhup) c.readable = false;
            size_t consumed = 0;
            r = feed(c, read_buf_.get(), static_cast<size_t>(n), consumed);
            if (consumed < static_cast<size_t>(n) && r != Feed::Error)
                c.in.append(read_buf_.get() + consumed, static_cast<size_t>(n) - consumed);
        }
        if (r == Feed::Ready) {
            dispatch(c);
        } else if (r == Feed::Error) {
            write_status_error(c, c.error_status ? c.error_status : 400);
            break;
        }
    }
    c.in_drive = false;
    if (c.st == Conn::St::Open) {
        flush(c);
        after_io(c);
    }
}

void Server::after_io(Conn& c) {
    if (c.st != Conn::St::Open || c.in_drive || c.out_pending()) return;
    if (c.close_after_flush) {
        start_lingering(c);
        return;
    }
    if (c.peer_eof && !c.awaiting && c.in_off >= c.in.size()) close_conn(c);
    else if (draining_ && conn_idle(c)) close_conn(c);
}

void Server::dispatch(Conn& c) {
    RequestData& r = *c.req;
    std::memcpy(&r.peer, &c.peer, c.peer_len);
    r.peer_len = c.peer_len;
    c.resp_head = r.method == HTTP_HEAD;
    c.resp_http10 = !(r.http_major == 1 && r.http_minor >= 1) && r.http_major < 2;
    c.resp_keep_alive = r.keep_alive && !c.upgrade;  // while draining, decided when answering (drain_keeps)
    c.awaiting = true;
    if (opt_.proxy_headers) apply_proxy_headers(c);
    if (c.upgrade) {
        for (const HeaderSpan& h : r.headers) {
            if (r.header_name(h) == "upgrade" && iequals(trim_ows(r.header_value(h)), "websocket")) {
                dispatch_websocket(c);
                return;
            }
        }
    }
    if (opt_.gzip) gzip_negotiate_request(c);
    uint32_t bit = method_bit(r.method);
    MatchResult m = trie_->match(bit, r.path(), scratch_, bit == ASTRA_M_OTHER ? r.method_name() : std::string_view{});
    switch (m.kind) {
        case MatchKind::Found: {
            if (!dispatcher_) {
                respond_internal_error(ConnId{c.slot, c.gen});
                return;
            }
            dispatcher_->on_request(*this, ConnId{c.slot, c.gen}, c.req, m.route, m.params, m.param_count);
            if (!c.req) c.req = acquire_request();
            return;
        }
        case MatchKind::MethodNotAllowed: {
            if (route_unmatched_ && dispatcher_) {
                std::string_view allow(m.allow.data(), m.allow.size());
                dispatcher_->on_request(*this, ConnId{c.slot, c.gen}, c.req, kRouteMethodNotAllowed, &allow, 1);
                if (!c.req) c.req = acquire_request();
                return;
            }
            std::string extra = "allow: ";
            extra.append(m.allow.data(), m.allow.size());
            extra += "\r\n";
            write_builtin(c, 405, extra, "application/json", R"({"detail":"Method Not Allowed"})");
            return;
        }
        case MatchKind::Redirect:
            if (route_redirects_ && dispatcher_) {
                std::string location = redirect_location(c, m.redirect_path);
                std::string_view param(location);
                dispatcher_->on_request(*this, ConnId{c.slot, c.gen}, c.req, kRouteRedirect, &param, 1);
                if (!c.req) c.req = acquire_request();
                return;
            }
            write_redirect(c, m.redirect_path);
            return;
        case MatchKind::NotFound:
        default:
            if (route_unmatched_ && dispatcher_) {
                dispatcher_->on_request(*this, ConnId{c.slot, c.gen}, c.req, kRouteNotFound, nullptr, 0);
                if (!c.req) c.req = acquire_request();
                return;
            }
            write_builtin(c, 404, {}, "application/json", R"({"detail":"Not Found"})");
            return;
    }
}

// ---- closing -----------------------------------------------------------------------------------

void Server::start_lingering(Conn& c) {
    if (c.peer_eof || closed_) {
        close_conn(c);
        return;
    }
    ws_detach(c);
    // Half-close and discard what the client still sends, so that closing does not reset
    // the connection before the client has read our answer.
    ::shutdown(c.fd, SHUT_WR);
    c.st = Conn::St::Lingering;
    c.last_active = now_;
    c.in.clear();
    c.in_off = 0;
    on_lingering_event(c, 0);
}

void Server::close_conn(Conn& c) {
    if (c.st == Conn::St::Free) return;
    bool was_streaming = c.streaming || c.ws != nullptr;
    ConnId old_id{c.slot, c.gen};
    ws_detach(c);
    c.streaming = c.stream_wait = false;
    c.file.reset();
    c.gz_hold = false;
    c.gz_stream.reset();
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
    c.st = Conn::St::Free;
    ++c.gen;
    c.awaiting = false;
    c.close_after_flush = false;
    c.in.clear();
    c.in_off = 0;
    c.out.clear();
    c.out_off = 0;
    if (c.in.capacity() > kKeepBufferCapacity) std::string().swap(c.in);
    if (c.out.capacity() > kKeepBufferCapacity) std::string().swap(c.out);
    free_slots_.push_back(c.slot);
    --open_count_;
    if (was_streaming && dispatcher_) dispatcher_->on_stream_event(old_id);
}

void Server::close() {
    if (closed_) return;
    closed_ = true;
    draining_ = true;
    if (listen_fd_ >= 0) ::close(listen_fd_);
    listen_fd_ = -1;
    for (auto& cp : conns_)
        if (cp->st != Conn::St::Free) close_conn(*cp);
    reactor_.close_timer();  // the epoll fd itself lives until destruction (see reactor.h)
}

// ---- graceful shutdown of pipelined requests ------------------------------------------------
// While draining, an answer keeps its connection open only when the client already sent more
// (buffered here, or waiting in the socket): those requests are answered too, the last one with
// `connection: close`. Costs one recv per answer, and only while draining.

bool Server::drain_keeps(Conn& c) {
    if (c.in_off < c.in.size()) return true;
    if (c.peer_eof || c.fd < 0) return false;
    for (;;) {
        ssize_t n = ::recv(c.fd, read_buf_.get(), kReadBufSize, MSG_DONTWAIT);
        if (n > 0) {
            c.in.append(read_buf_.get(), static_cast<size_t>(n));
            c.last_active = now_;
            if (static_cast<size_t>(n) == kReadBufSize) c.readable = true;
            return true;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) {
            c.peer_eof = true;
            c.readable = false;
        }
        return false;
    }
}

}  // namespace astra::http
