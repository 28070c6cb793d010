#include "server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "../codec/gzip.h"
#include "../net/socket.h"
#include "status.h"
#include "url.h"

namespace astra::http {

namespace {

constexpr size_t kReadBufSize = 128 * 1024;
constexpr size_t kOutHighWater = 256 * 1024;     // stop parsing pipelined requests above this
constexpr size_t kDirectWriteBody = 64 * 1024;   // bodies at least this big are written with writev
constexpr size_t kKeepBufferCapacity = 256 * 1024;
constexpr size_t kPoolMax = 128;
constexpr size_t kPooledBufferMax = 1024 * 1024;
constexpr uint64_t kLingerMs = 2000;
constexpr int kEventBatch = 256;
constexpr size_t kStreamHighWater = 256 * 1024;  // stream_send asks the producer to wait above this
constexpr size_t kStreamLowWater = 64 * 1024;    // ... and wakes it once the buffer drained below this
constexpr size_t kWsInboxHigh = 1024 * 1024;     // WebSocket: stop reading while this much waits unread
constexpr uint64_t kWsCloseTimeoutMs = 5000;      // WebSocket: wait this long for the client's close frame

uint64_t monotonic_ms() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);  // vDSO, a few ms resolution
    return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

uint32_t method_bit(uint8_t m) {
    switch (m) {
        case HTTP_GET: return ASTRA_M_GET;
        case HTTP_HEAD: return ASTRA_M_HEAD;
        case HTTP_POST: return ASTRA_M_POST;
        case HTTP_PUT: return ASTRA_M_PUT;
        case HTTP_DELETE: return ASTRA_M_DELETE;
        case HTTP_PATCH: return ASTRA_M_PATCH;
        case HTTP_OPTIONS: return ASTRA_M_OPTIONS;
        case HTTP_TRACE: return ASTRA_M_TRACE;
        case HTTP_CONNECT: return ASTRA_M_CONNECT;
        default: return 0;
    }
}

inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// A Connection header value that lists the "close" option (comma-separated, any case).
bool lists_close(std::string_view value) {
    size_t start = 0;
    while (start <= value.size()) {
        size_t comma = value.find(',', start);
        if (comma == std::string_view::npos) comma = value.size();
        if (iequals(trim_ows(value.substr(start, comma - start)), "close")) return true;
        start = comma + 1;
    }
    return false;
}

// uvicorn's HEADER_RE: b'[\x00-\x1f\x7f()<>@,;:\[\]={} \t\\"]'
bool bad_name_char(unsigned char c) {
    if (c <= 0x1f || c == 0x7f) return true;
    switch (c) {
        case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':': case '[': case ']':
        case '=': case '{': case '}': case ' ': case '\t': case '\\': case '"':
            return true;
        default:
            return false;
    }
}

// uvicorn's HEADER_VALUE_RE: b"[\x00-\x08\x0a-\x1f\x7f]"
inline bool bad_value_char(unsigned char c) { return (c <= 0x08) || (c >= 0x0a && c <= 0x1f) || c == 0x7f; }

// What is wrong with a header the application gave (a name or value that would break the head's
// framing), or nullptr: the one check of both head writers and the gzip hold.
const char* bad_response_header(const ResponseHeader& h) {
    for (size_t k = 0; k < h.name_len; ++k)
        if (bad_name_char(static_cast<unsigned char>(h.name[k]))) return "Invalid HTTP header name.";
    for (size_t k = 0; k < h.value_len; ++k)
        if (bad_value_char(static_cast<unsigned char>(h.value[k]))) return "Invalid HTTP header value.";
    return nullptr;
}

void append_uint(std::string& out, uint64_t v) {
    char buf[24];
    char* p = buf + sizeof buf;
    do {
        *--p = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v);
    out.append(p, static_cast<size_t>(buf + sizeof buf - p));
}

void append_hex(std::string& out, uint64_t v) {
    static const char digits[] = "0123456789abcdef";
    char buf[24];
    char* p = buf + sizeof buf;
    do {
        *--p = digits[v & 15];
        v >>= 4;
    } while (v);
    out.append(p, static_cast<size_t>(buf + sizeof buf - p));
}

}  // namespace

std::string_view RequestData::method_name() const {
    return llhttp_method_name(static_cast<llhttp_method_t>(method));
}

void RequestData::reset() {
    buf.clear();
    headers.clear();
    target_off = target_len = raw_path_off = raw_path_len = query_off = query_len = path_off = path_len = 0;
    body_off = body_len = 0;
    method = 0;
    http_major = http_minor = 1;
    keep_alive = true;
    peer_len = 0;
    forwarded_client = false;
    client_host.clear();
    client_port = 0;
    scheme = "http";
}

struct Server::Conn {
    enum class St : uint8_t { Free, Open, Lingering };

    Server* srv = nullptr;
    int fd = -1;
    uint32_t slot = 0;
    uint32_t gen = 0;
    St st = St::Free;
    llhttp_t parser;
    std::unique_ptr<RequestData> req;
    // parsing
    bool headers_done = false;
    bool message_done = false;
    bool in_field = false;
    bool upgrade = false;
    bool in_message = false;  // a request's first byte was parsed, its end not yet
    int error_status = 0;
    size_t header_bytes = 0;
    size_t chunk_ext_bytes = 0;
    uint64_t message_begin = 0;  // now_ at the request's first byte (header timeout)
    uint64_t body_begin = 0;     // now_ at the end of the headers (body minimum rate)
    // flow
    bool readable = false;
    bool writable = false;
    bool rdhup = false;
    bool peer_eof = false;
    bool awaiting = false;
    bool in_drive = false;
    bool close_after_flush = false;
    // the response in flight
    bool resp_keep_alive = true;
    bool resp_head = false;
    bool resp_http10 = false;
    // a streamed answer in flight (start_stream .. end_stream)
    bool streaming = false;
    bool stream_chunked = false;
    bool stream_length = false;
    bool stream_body = false;  // false for HEAD, 204, 304: pieces are dropped
    bool stream_wait = false;  // stream_send returned 0: notify once drained
    uint64_t stream_remaining = 0;
    std::unique_ptr<FileBody> file;  // a file body being sent after `out` (stream_send_file)
    std::unique_ptr<ws::Session> ws;  // set once a WebSocket upgrade was accepted
    // native gzip (ServerOptions::gzip)
    uint8_t gz_accept = 0;   // gzip_negotiate() for the request in flight
    bool gz_hold = false;    // a stream's head held until its first piece (or its end) decides
    int gz_status = 0;
    std::string gz_held;     // the held head: names and values, back to back
    std::vector<uint32_t> gz_held_lens;  // name length, value length, ...
    std::unique_ptr<codec::GzipStream> gz_stream;  // a compressed stream in flight
    std::string in;
    size_t in_off = 0;
    std::string out;
    size_t out_off = 0;
    uint64_t last_active = 0;
    sockaddr_storage peer{};
    socklen_t peer_len = 0;

    size_t out_pending() const { return out.size() - out_off; }
};

namespace {

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

// ---- llhttp callbacks -------------------------------------------------------------------

struct ParserCallbacks {
    using Conn = Server::Conn;
    static Conn& C(llhttp_t* p) { return *static_cast<Conn*>(p->data); }

    static int fail(Conn& c, int status) {
        c.error_status = status;
        return -1;
    }
    static bool over_header_limit(Conn& c, size_t add) {
        c.header_bytes += add;
        return c.header_bytes > c.srv->opt_.max_header_size;
    }

    static int on_message_begin(llhttp_t* p) {
        Conn& c = C(p);
        if (!c.req) c.req = c.srv->acquire_request();
        c.req->reset();
        c.headers_done = c.message_done = c.in_field = c.upgrade = false;
        c.in_message = true;
        c.message_begin = c.srv->now_;
        c.header_bytes = 0;
        c.chunk_ext_bytes = 0;
        return 0;
    }
    static int on_url(llhttp_t* p, const char* at, size_t len) {
        Conn& c = C(p);
        if (over_header_limit(c, len)) return fail(c, 431);
        RequestData& r = *c.req;
        if (r.target_len == 0) r.target_off = static_cast<uint32_t>(r.buf.size());
        r.buf.append(at, len);
        r.target_len += static_cast<uint32_t>(len);
        return 0;
    }
    static int on_header_field(llhttp_t* p, const char* at, size_t len) {
        Conn& c = C(p);
        if (c.headers_done) {  // trailers: not exposed, but bounded like headers
            if (over_header_limit(c, len + 4)) return fail(c, 431);
            return 0;
        }
        RequestData& r = *c.req;
        if (!c.in_field) {
            if (over_header_limit(c, 4)) return fail(c, 431);
            if (r.headers.size() >= c.srv->opt_.max_header_count) return fail(c, 431);
            r.headers.push_back(HeaderSpan{static_cast<uint32_t>(r.buf.size()), 0, 0, 0});
            c.in_field = true;
        }
        if (over_header_limit(c, len)) return fail(c, 431);
        r.buf.append(at, len);
        r.headers.back().name_len += static_cast<uint32_t>(len);
        return 0;
    }
    static int on_header_field_complete(llhttp_t* p) {
        Conn& c = C(p);
        if (c.headers_done) return 0;
        RequestData& r = *c.req;
        c.in_field = false;
        if (r.headers.empty()) return 0;
        HeaderSpan& h = r.headers.back();
        char* name = r.buf.data() + h.name_off;
        for (uint32_t i = 0; i < h.name_len; ++i) name[i] = ascii_lower(name[i]);
        h.value_off = static_cast<uint32_t>(r.buf.size());
        h.value_len = 0;
        return 0;
    }
    static int on_header_value(llhttp_t* p, const char* at, size_t len) {
        Conn& c = C(p);
        if (c.headers_done) return over_header_limit(c, len) ? fail(c, 431) : 0;
        RequestData& r = *c.req;
        if (r.headers.empty()) return 0;
        if (over_header_limit(c, len)) return fail(c, 431);
        r.buf.append(at, len);
        r.headers.back().value_len += static_cast<uint32_t>(len);
        return 0;
    }
    static int on_headers_complete(llhttp_t* p) {
        Conn& c = C(p);
        Server& s = *c.srv;
        RequestData& r = *c.req;
        c.headers_done = true;
        r.method = static_cast<uint8_t>(p->method);
        r.http_major = p->http_major;
        r.http_minor = p->http_minor;
        r.keep_alive = llhttp_should_keep_alive(p) != 0;
        c.upgrade = p->upgrade != 0;

        TargetParts parts;
        if (!split_target(r.view(r.target_off, r.target_len), parts)) return fail(c, 400);
        for (char ch : parts.path)
            if (static_cast<unsigned char>(ch) >= 0x80) return fail(c, 400);  // uvicorn: ascii only
        r.raw_path_off = static_cast<uint32_t>(parts.path.data() - r.buf.data());
        r.raw_path_len = static_cast<uint32_t>(parts.path.size());
        r.query_off = parts.query.empty() ? 0 : static_cast<uint32_t>(parts.query.data() - r.buf.data());
        r.query_len = static_cast<uint32_t>(parts.query.size());
        if (std::memchr(parts.path.data(), '%', parts.path.size())) {
            r.buf.reserve(r.buf.size() + parts.path.size());  // decoding never grows: the view stays valid
            size_t off = r.buf.size();
            percent_decode_append(r.view(r.raw_path_off, r.raw_path_len), r.buf);
            r.path_off = static_cast<uint32_t>(off);
            r.path_len = static_cast<uint32_t>(r.buf.size() - off);
        } else {
            r.path_off = r.raw_path_off;
            r.path_len = r.raw_path_len;
        }

        if (r.http_major != 1) return fail(c, r.http_major == 0 ? 400 : 505);  // 0.9: not HTTP/1.x at all
        // Framing and Host checks llhttp leaves to us (RFC 9112 sections 3.2, 6.1, 6.3).
        size_t hosts = 0, te_headers = 0, te_chunked = 0, te_other = 0;
        bool te_bad = false;
        for (const HeaderSpan& h : r.headers) {
            std::string_view name = r.header_name(h);
            if (name == "host") {
                ++hosts;
            } else if (name == "transfer-encoding") {
                ++te_headers;
                std::string_view v = r.header_value(h);
                size_t start = 0;
                for (;;) {
                    size_t comma = v.find(',', start);
                    std::string_view tok = trim_ows(v.substr(start, comma == std::string_view::npos ? v.npos : comma - start));
                    if (tok.empty()) te_bad = true;
                    else if (iequals(tok, "chunked")) ++te_chunked;
                    else {
                        if (te_chunked) te_bad = true;  // chunked must be the final coding
                        ++te_other;
                    }
                    if (comma == std::string_view::npos) break;
                    start = comma + 1;
                }
            }
        }
        if (hosts > 1 || (hosts == 0 && r.http_minor >= 1)) return fail(c, 400);
        if (te_headers) {
            if (r.http_minor == 0) return fail(c, 400);  // TE in HTTP/1.0: faulty framing
            if (te_bad || te_chunked != 1) return fail(c, 400);
            if (te_other) return fail(c, 501);  // e.g. "gzip, chunked": a coding we do not decode
        }

        bool has_length = (p->flags & F_CONTENT_LENGTH) != 0;
        bool chunked = (p->flags & F_CHUNKED) != 0;
        if (has_length && p->content_length > s.opt_.max_body_size) return fail(c, 413);
        if ((chunked || (has_length && p->content_length > 0)) && (r.http_major == 1 && r.http_minor >= 1)) {
            for (const HeaderSpan& h : r.headers) {
                if (r.header_name(h) == "expect" && iequals(trim_ows(r.header_value(h)), "100-continue")) {
                    c.out.append("HTTP/1.1 100 Continue\r\n\r\n");
                    break;
                }
            }
        }
        if (has_length && p->content_length > 0) r.buf.reserve(r.buf.size() + p->content_length);
        c.body_begin = s.now_;
        r.body_off = r.buf.size();
        r.body_len = 0;
        return 0;
    }
    static int on_body(llhttp_t* p, const char* at, size_t len) {
        Conn& c = C(p);
        RequestData& r = *c.req;
        if (r.body_len + len > c.srv->opt_.max_body_size) return fail(c, 413);
        r.buf.append(at, len);
        r.body_len += len;
        return 0;
    }
    static int on_chunk_extension(llhttp_t* p, const char*, size_t len) {
        Conn& c = C(p);
        c.chunk_ext_bytes += len;
        return c.chunk_ext_bytes > c.srv->opt_.max_chunk_ext_size ? fail(c, 400) : 0;
    }
    static int on_message_complete(llhttp_t* p) {
        Conn& c = C(p);
        c.message_done = true;
        c.in_message = false;
        return HPE_PAUSED;  // one request at a time: resumed once it is answered
    }

    static const llhttp_settings_t* settings() {
        static const llhttp_settings_t s = [] {
            llhttp_settings_t x;
            llhttp_settings_init(&x);
            x.on_message_begin = on_message_begin;
            x.on_url = on_url;
            x.on_header_field = on_header_field;
            x.on_header_field_complete = on_header_field_complete;
            x.on_header_value = on_header_value;
            x.on_headers_complete = on_headers_complete;
            x.on_body = on_body;
            x.on_chunk_extension_name = on_chunk_extension;
            x.on_chunk_extension_value = on_chunk_extension;
            x.on_message_complete = on_message_complete;
            return x;
        }();
        return &s;
    }
};

// The WebSocket half of the server (upgrade dispatch, frames in and out, close handshake): its own
// file so this one stays the HTTP/1.1 core; compiled here because it needs Server::Conn.
#include "server_websocket.inc"

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
        llhttp_init(&c.parser, HTTP_REQUEST, ParserCallbacks::settings());
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

Server::Feed Server::feed(Conn& c, const char* data, size_t len, size_t& consumed) {
    c.message_done = false;
    llhttp_errno_t err = llhttp_execute(&c.parser, data, len);
    if (err == HPE_OK) {
        consumed = len;
        return Feed::NeedMore;
    }
    if ((err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) && c.message_done) {
        const char* pos = llhttp_get_error_pos(&c.parser);
        consumed = (pos && pos >= data && pos <= data + len) ? static_cast<size_t>(pos - data) : len;
        if (err == HPE_PAUSED_UPGRADE) c.upgrade = true;
        return Feed::Ready;
    }
    consumed = len;
    if (!c.error_status) c.error_status = 400;
    return Feed::Error;
}

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
    if (opt_.gzip) {
        c.gz_accept = 0;
        const HeaderSpan* first = nullptr;
        std::string joined;  // only for a repeated header
        for (const HeaderSpan& h : r.headers) {
            if (r.header_name(h) != "accept-encoding") continue;
            if (first) {
                if (joined.empty()) joined.assign(r.header_value(*first));
                joined += ',';
                joined.append(r.header_value(h));
            }
            if (!first) first = &h;
        }
        if (first) c.gz_accept = static_cast<uint8_t>(gzip_negotiate(joined.empty() ? r.header_value(*first) : joined));
    }
    MatchResult m = trie_->match(method_bit(r.method), r.path(), scratch_);
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

// ---- response writing ------------------------------------------------------------------------

void Server::begin_head(Conn& c, int status) {
    c.out.append(status_lines_[static_cast<size_t>(status)]);
    c.out.append("date: ", 6);
    std::string_view d = date_.value();
    c.out.append(d.data(), d.size());
    c.out.append("\r\n", 2);
    c.out.append(server_line_);
}

static void append_connection_header(std::string& out, bool keep_alive, bool http10) {
    if (!keep_alive)
        out.append("connection: close\r\n");
    else if (http10)
        out.append("connection: keep-alive\r\n");
}

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
    if (opt_.gzip) {
        // Native gzip: the same answer with a compressed body and rewritten headers, when it applies.
        // The default JSON head is Starlette's JSONResponse's: content-length, then content-type.
        static const ResponseHeader kJson[] = {{"content-length", 14, "", 0}, {"content-type", 12, "application/json", 16}};
        const ResponseHeader* hs = default_json ? kJson : headers;
        size_t hn = default_json ? 2 : header_count;
        if (gzip_eligible(c, status, hs, hn) &&
            (body_len >= opt_.gzip_min_size || (c.gz_accept == 2 && body_len > 0))) {
            bool length_ok = true;  // a wrong content-length stays the handler's error (reported below)
            for (size_t i = default_json ? hn : 0; i < hn && length_ok; ++i) {
                std::string_view n(hs[i].name, hs[i].name_len);
                if (iequals(n, "content-length")) {
                    std::string_view v = trim_ows(std::string_view(hs[i].value, hs[i].value_len));
                    uint64_t x = 0;
                    bool digits = !v.empty() && v.size() <= 18;
                    for (char ch : v) {
                        digits = digits && ch >= '0' && ch <= '9';
                        x = x * 10 + static_cast<uint64_t>(ch - '0');
                    }
                    length_ok = digits && x == body_len;
                }
            }
            if (length_ok) {
                bool compress = c.gz_accept != 0;
                if (compress) {
                    const int level = codec::libdeflate_level_for_zlib(opt_.gzip_level);  // zlib's scale
                    gz_body_.clear();
                    codec::gzip_compress_append(body, body_len, level, gz_body_);
                    body = gz_body_.data();
                    body_len = gz_body_.size();
                }
                gzip_headers(hs, hn, compress, 1, body_len);
                headers = gz_headers_.data();
                header_count = gz_headers_.size();
                default_json = false;
            }
        }
    }
    size_t mark = c.out.size();
    begin_head(c, status);
    enum { kNone, kLength, kChunked } framing = kNone;
    uint64_t content_length = 0;
    bool conn_close = false, has_connection = false;
    if (default_json) {
        c.out.append("content-length: ");
        append_uint(c.out, body_len);
        c.out.append("\r\ncontent-type: application/json\r\n");
        framing = kLength;
        content_length = body_len;
    } else {
        for (size_t i = 0; i < header_count; ++i) {
            const ResponseHeader& h = headers[i];
            if (const char* wrong = bad_response_header(h)) return bad(mark, wrong);
            size_t name_at = c.out.size();
            c.out.resize(name_at + h.name_len);
            char* name = c.out.data() + name_at;
            for (size_t k = 0; k < h.name_len; ++k) name[k] = ascii_lower(h.name[k]);
            std::string_view lname(name, h.name_len);
            std::string_view value(h.value, h.value_len);
            if (lname == "content-length" && framing == kNone) {
                std::string_view v = trim_ows(value);
                if (v.empty() || v.size() > 18) return bad(mark, "Invalid content-length header value.");
                uint64_t x = 0;
                for (char ch : v) {
                    if (ch < '0' || ch > '9') return bad(mark, "Invalid content-length header value.");
                    x = x * 10 + static_cast<uint64_t>(ch - '0');
                }
                framing = kLength;
                content_length = x;
            } else if (lname == "transfer-encoding" && iequals(value, "chunked")) {
                framing = kChunked;
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
    if (framing == kNone && !c.resp_head && status != 204 && status != 304) {
        c.out.append("transfer-encoding: chunked\r\n");
        framing = kChunked;
    }
    if (!c.resp_head) {
        if (framing == kLength && content_length != body_len)
            return bad(mark, body_len > content_length ? "Response content longer than Content-Length"
                                                       : "Response content shorter than Content-Length");
        if (framing == kNone && body_len) return bad(mark, "Response content longer than Content-Length");
    }
    c.out.append("\r\n", 2);
    if (!c.resp_head) {
        if (framing == kChunked) {
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

// ---- proxy headers, access log ----------------------------------------------------------------

namespace {

bool parse_ip(std::string_view text, int& family, uint8_t* out) {
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
    char buf[INET6_ADDRSTRLEN];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = 0;
    if (inet_pton(AF_INET, buf, out) == 1) {
        family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, buf, out) == 1) {
        family = AF_INET6;
        return true;
    }
    return false;
}

// uvicorn's _parse_host_port: "[v6]:port", "host:port" (one colon), else the value, port 0.
void parse_host_port(std::string_view value, std::string& host, int& port) {
    port = 0;
    auto to_port = [](std::string_view digits, int& out) {
        std::string_view d = trim_ows(digits);
        if (d.empty() || d.size() > 9) return false;
        size_t i = (d[0] == '+' || d[0] == '-') ? 1 : 0;  // int() accepts a sign
        if (i == d.size()) return false;
        long v = 0;
        for (; i < d.size(); ++i) {
            if (d[i] < '0' || d[i] > '9') return false;
            v = v * 10 + (d[i] - '0');
        }
        out = static_cast<int>(d[0] == '-' ? -v : v);
        return true;
    };
    if (!value.empty() && value[0] == '[') {
        size_t end = value.find(']');
        if (end == std::string_view::npos) {
            host.assign(value);
            return;
        }
        host.assign(value.substr(1, end - 1));
        std::string_view rest = value.substr(end + 1);
        if (rest.empty()) return;
        if (rest[0] != ':') {
            host.assign(value);
            return;
        }
        if (!to_port(rest.substr(1), port)) port = 0;
        return;
    }
    size_t colon = value.find(':');
    if (colon != std::string_view::npos && value.find(':', colon + 1) == std::string_view::npos) {
        if (to_port(value.substr(colon + 1), port)) {
            host.assign(value.substr(0, colon));
            return;
        }
        port = 0;
    }
    host.assign(value);
}

std::string_view strip_ws(std::string_view s) {  // str.strip() for the ASCII whitespace that matters here
    auto ws = [](char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v'; };
    while (!s.empty() && ws(s.front())) s.remove_prefix(1);
    while (!s.empty() && ws(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace

TrustedHosts::TrustedHosts(std::string_view spec) {
    if (strip_ws(spec) == "*") {
        always_ = true;
        return;
    }
    size_t start = 0;
    for (;;) {
        size_t comma = spec.find(',', start);
        std::string_view item = strip_ws(spec.substr(start, comma == spec.npos ? spec.npos : comma - start));
        Net n{};
        size_t slash = item.find('/');
        bool ok = false;
        if (slash != std::string_view::npos) {
            std::string_view pfx = item.substr(slash + 1);
            int bits = 0;
            bool digits = !pfx.empty() && pfx.size() <= 3;
            for (char ch : pfx) digits = digits && ch >= '0' && ch <= '9';
            if (digits) {
                for (char ch : pfx) bits = bits * 10 + (ch - '0');
                ok = parse_ip(item.substr(0, slash), n.family, n.addr) && bits <= (n.family == AF_INET ? 32 : 128);
                n.prefix = bits;
            }
        } else if (parse_ip(item, n.family, n.addr)) {
            n.prefix = n.family == AF_INET ? 32 : 128;
            ok = true;
        }
        if (ok) nets_.push_back(n);
        else literals_.emplace_back(item);
        if (comma == spec.npos) break;
        start = comma + 1;
    }
}

bool TrustedHosts::contains_ip(int family, const uint8_t* addr) const {
    for (const Net& n : nets_) {
        if (n.family != family) continue;
        int full = n.prefix / 8, rest = n.prefix % 8;
        if (std::memcmp(n.addr, addr, static_cast<size_t>(full)) != 0) continue;
        if (rest) {
            uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
            if ((n.addr[full] & mask) != (addr[full] & mask)) continue;
        }
        return true;
    }
    return false;
}

bool TrustedHosts::contains(std::string_view host) const {
    if (always_) return true;
    if (host.empty()) return false;
    int family;
    uint8_t addr[16];
    if (parse_ip(host, family, addr)) return contains_ip(family, addr);
    for (const std::string& l : literals_)
        if (l == host) return true;
    return false;
}

bool TrustedHosts::contains(const sockaddr* sa) const {
    if (always_) return true;
    if (sa->sa_family == AF_INET)
        return contains_ip(AF_INET, reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr));
    if (sa->sa_family == AF_INET6)
        return contains_ip(AF_INET6,
                           reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr));
    return false;
}

void TrustedHosts::client_address(std::string_view xff, std::string& host, int& port) const {
    // Split on ',' and strip each item; with every host trusted (or "*"), the first one.
    std::vector<std::string_view> items;
    size_t start = 0;
    for (;;) {
        size_t comma = xff.find(',', start);
        items.push_back(strip_ws(xff.substr(start, comma == xff.npos ? xff.npos : comma - start)));
        if (comma == xff.npos) break;
        start = comma + 1;
    }
    if (!always_) {
        for (size_t i = items.size(); i-- > 0;) {
            parse_host_port(items[i], host, port);
            if (!contains(host)) return;
        }
    }
    parse_host_port(items[0], host, port);
}

void Server::apply_proxy_headers(Conn& c) {
    RequestData& r = *c.req;
    if (!c.peer_len || !trusted_.contains(reinterpret_cast<const sockaddr*>(&c.peer))) return;
    const HeaderSpan* proto = nullptr;
    size_t xff_count = 0;
    const HeaderSpan* xff_first = nullptr;
    for (const HeaderSpan& h : r.headers) {
        std::string_view name = r.header_name(h);
        if (name.size() < 15 || name[0] != 'x') continue;
        if (name == "x-forwarded-proto") proto = &h;  // the last one wins, as in uvicorn
        else if (name == "x-forwarded-for") {
            if (!xff_count++) xff_first = &h;
        }
    }
    if (proto) {
        std::string_view v = strip_ws(r.header_value(*proto));
        if (v == "http") r.scheme = "http";
        else if (v == "https") r.scheme = "https";
        else if (v == "ws") r.scheme = "ws";
        else if (v == "wss") r.scheme = "wss";
    }
    if (xff_count) {
        std::string joined;
        if (xff_count == 1) {
            joined.assign(r.header_value(*xff_first));
        } else {
            for (const HeaderSpan& h : r.headers) {
                if (r.header_name(h) != "x-forwarded-for") continue;
                if (!joined.empty() || &h != xff_first) joined += ", ";
                joined.append(r.header_value(h));
            }
        }
        std::string host;
        int port = 0;
        trusted_.client_address(joined, host, port);
        if (!host.empty()) {
            r.forwarded_client = true;
            r.client_host = std::move(host);
            r.client_port = port;
        }
    }
}

std::string access_client(const RequestData& r) {
    std::string host;
    int port = 0;
    if (r.forwarded_client) {
        host = r.client_host;
        port = r.client_port;
    } else if (!r.peer_len || !net::format_address(reinterpret_cast<const sockaddr*>(&r.peer), host, port)) {
        return std::string();
    }
    host += ':';
    host += std::to_string(port);
    return host;
}

std::string access_path(const RequestData& r) {
    std::string out;
    quote_append(r.path(), "/", out);
    if (r.query_len) {
        out += '?';
        out.append(r.query());
    }
    return out;
}

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
    begin_head(c, status);
    bool has_length = false, chunked = false, conn_close = false, has_connection = false;
    uint64_t content_length = 0;
    for (size_t i = 0; i < header_count; ++i) {
        const ResponseHeader& h = headers[i];
        if (const char* wrong = bad_response_header(h)) return bad(wrong);
        size_t name_at = c.out.size();
        c.out.resize(name_at + h.name_len);
        char* name = c.out.data() + name_at;
        for (size_t k = 0; k < h.name_len; ++k) name[k] = ascii_lower(h.name[k]);
        std::string_view lname(name, h.name_len);
        std::string_view value(h.value, h.value_len);
        if (lname == "content-length" && !has_length && !chunked) {
            std::string_view v = trim_ows(value);
            if (v.empty() || v.size() > 18) return bad("Invalid content-length header value.");
            uint64_t x = 0;
            for (char ch : v) {
                if (ch < '0' || ch > '9') return bad("Invalid content-length header value.");
                x = x * 10 + static_cast<uint64_t>(ch - '0');
            }
            has_length = true;
            content_length = x;
        } else if (lname == "transfer-encoding" && iequals(value, "chunked")) {
            chunked = true;
            has_length = false;
        } else if (lname == "connection") {
            has_connection = true;
            if (lists_close(value)) conn_close = true;
        }
        c.out.append(": ", 2);
        c.out.append(h.value, h.value_len);
        c.out.append("\r\n", 2);
    }
    finish_connection_header(c, conn_close, has_connection);
    bool body_allowed = !c.resp_head && status != 204 && status != 304;
    if (!has_length && !chunked && body_allowed) {
        c.out.append("transfer-encoding: chunked\r\n");
        chunked = true;
    }
    c.out.append("\r\n", 2);
    c.streaming = true;
    c.stream_wait = false;
    c.stream_body = body_allowed;
    c.stream_chunked = chunked && body_allowed;
    c.stream_length = has_length && !chunked && body_allowed;
    c.stream_remaining = content_length;
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

// ---- native gzip ---------------------------------------------------------------------------------
// ServerOptions::gzip. Negotiation (RFC 9110 12.5.3): codings are case-insensitive, `x-gzip` is
// gzip (8.4.1.3), `q=0` refuses, `*` stands for every coding not listed, identity is acceptable
// unless refused (`identity;q=0`, or `*;q=0` without identity). A response is eligible when its
// status may carry a body and is not 206, it has no content-encoding yet, and its media type is
// not excluded (gzip_excluded_type). Eligible responses get `vary: Accept-Encoding` (merged into an
// existing vary), whether the client takes gzip or not; a body of at least gzip_min_size bytes (any
// size when identity is refused) is compressed for a client that takes gzip. A stream is decided by
// its first piece, as Starlette's GZipMiddleware does: a first piece compresses the whole stream
// (chunked, no content-length, each piece flushed), an end without pieces passes the head unchanged.

namespace {

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths; -1 when malformed.
int parse_qvalue(std::string_view v) {
    if (v.empty() || v.size() > 5 || (v[0] != '0' && v[0] != '1')) return -1;
    int q = (v[0] - '0') * 1000;
    if (v.size() == 1) return q;
    if (v[1] != '.') return -1;
    int scale = 100;
    for (size_t i = 2; i < v.size(); ++i, scale /= 10) {
        if (v[i] < '0' || v[i] > '9') return -1;
        q += (v[i] - '0') * scale;
    }
    return q > 1000 ? -1 : q;
}

}  // namespace

int gzip_negotiate(std::string_view header) {
    int q_gzip = -1, q_identity = -1, q_star = -1;  // -1: not listed
    size_t start = 0;
    while (start <= header.size()) {
        size_t comma = header.find(',', start);
        if (comma == std::string_view::npos) comma = header.size();
        std::string_view item = trim_ows(header.substr(start, comma - start));
        start = comma + 1;
        if (item.empty()) continue;
        size_t semi = item.find(';');
        std::string_view coding = trim_ows(item.substr(0, semi));
        int q = 1000;
        while (semi != std::string_view::npos) {  // parameters: only q counts
            size_t next = item.find(';', semi + 1);
            std::string_view param = trim_ows(item.substr(semi + 1, next == std::string_view::npos ? item.npos : next - semi - 1));
            size_t eq = param.find('=');
            if (eq != std::string_view::npos && iequals(trim_ows(param.substr(0, eq)), "q"))
                q = parse_qvalue(trim_ows(param.substr(eq + 1)));
            semi = next;
        }
        if (q < 0) continue;  // a malformed weight: the element is ignored
        if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) q_gzip = std::max(q_gzip, q);
        else if (iequals(coding, "identity")) q_identity = std::max(q_identity, q);
        else if (coding == "*") q_star = std::max(q_star, q);
    }
    int gzip = q_gzip >= 0 ? q_gzip : (q_star >= 0 ? q_star : 0);
    bool identity_refused = q_identity == 0 || (q_identity < 0 && q_star == 0);
    if (gzip <= 0) return 0;
    if (q_identity > gzip) return 0;  // the client prefers the body as it is
    return identity_refused ? 2 : 1;
}

bool gzip_excluded_type(std::string_view content_type) {
    std::string_view media = trim_ows(content_type.substr(0, content_type.find(';')));
    std::string lower(media);
    for (char& ch : lower) ch = ascii_lower(ch);
    std::string_view m(lower);
    if (m.substr(0, 6) == "image/")
        return !(m == "image/svg+xml" || m == "image/x-icon" || m == "image/vnd.microsoft.icon" || m == "image/bmp");
    if (m.substr(0, 6) == "video/" || m.substr(0, 6) == "audio/") return true;
    if (m.substr(0, 17) == "application/grpc+") return true;
    static constexpr std::string_view kExcluded[] = {
        "text/event-stream", "font/woff", "font/woff2", "application/octet-stream", "application/grpc",
        "application/gzip", "application/x-gzip", "application/zip", "application/x-bzip2", "application/x-xz",
        "application/zstd", "application/x-7z-compressed", "application/x-rar-compressed", "application/vnd.rar",
        "application/x-brotli", "application/wasm-br"};
    for (std::string_view e : kExcluded)
        if (m == e) return true;
    return false;
}

bool Server::gzip_eligible(const Conn& c, int status, const ResponseHeader* headers, size_t header_count) const {
    (void)c;
    if (status < 200 || status == 204 || status == 206 || status == 304) return false;
    for (size_t i = 0; i < header_count; ++i) {
        std::string_view name(headers[i].name, headers[i].name_len);
        if (iequals(name, "content-encoding")) return false;
        if (iequals(name, "content-type") && gzip_excluded_type(std::string_view(headers[i].value, headers[i].value_len)))
            return false;
    }
    return true;
}

void Server::gzip_headers(const ResponseHeader* headers, size_t header_count, bool compressed, int length_mode,
                          size_t new_length) {
    // gz_headers_ := the handler's headers as Starlette's MutableHeaders would leave them: the
    // vary lines merged into the first one (or a vary line appended), the content-length kept
    // (length_mode 0), set in place to new_length (1) or dropped (2), content-encoding appended
    // when compressed. The strings live in gz_vary_ / gz_length_ until the next call.
    gz_vary_.clear();
    bool lists_accept_encoding = false, has_vary = false;
    for (size_t i = 0; i < header_count; ++i) {
        if (!iequals(std::string_view(headers[i].name, headers[i].name_len), "vary")) continue;
        std::string_view v(headers[i].value, headers[i].value_len);
        if (has_vary) gz_vary_ += ", ";
        has_vary = true;
        gz_vary_.append(v);
        size_t start = 0;
        while (start <= v.size()) {
            size_t comma = v.find(',', start);
            if (comma == std::string_view::npos) comma = v.size();
            std::string_view tok = trim_ows(v.substr(start, comma - start));
            if (tok == "*" || iequals(tok, "accept-encoding")) lists_accept_encoding = true;
            start = comma + 1;
        }
    }
    if (!lists_accept_encoding) gz_vary_ += has_vary ? ", Accept-Encoding" : "Accept-Encoding";
    gz_length_.clear();
    append_uint(gz_length_, new_length);
    const ResponseHeader length_line{"content-length", 14, gz_length_.data(), gz_length_.size()};
    const ResponseHeader vary_line{"vary", 4, gz_vary_.data(), gz_vary_.size()};
    gz_headers_.clear();
    bool vary_placed = false, length_placed = false;
    for (size_t i = 0; i < header_count; ++i) {
        std::string_view name(headers[i].name, headers[i].name_len);
        if (iequals(name, "vary")) {
            if (!vary_placed) gz_headers_.push_back(vary_line);
            vary_placed = true;
        } else if (length_mode && iequals(name, "content-length")) {
            if (length_mode == 1 && !length_placed) gz_headers_.push_back(length_line);
            length_placed = true;
        } else {
            gz_headers_.push_back(headers[i]);
        }
    }
    if (length_mode == 1 && !length_placed) gz_headers_.push_back(length_line);
    if (!vary_placed) gz_headers_.push_back(vary_line);
    if (compressed) gz_headers_.push_back({"content-encoding", 16, "gzip", 4});
}

RespondResult Server::gzip_release_head(Conn& c, ConnId id, bool first_piece, std::string* error) {
    std::vector<ResponseHeader> held;
    held.reserve(c.gz_held_lens.size() / 2);
    const char* p = c.gz_held.data();
    for (size_t i = 0; i + 1 < c.gz_held_lens.size(); i += 2) {
        size_t nl = c.gz_held_lens[i], vl = c.gz_held_lens[i + 1];
        held.push_back({p, nl, p + nl, vl});
        p += nl + vl;
    }
    c.gz_hold = false;
    c.streaming = false;
    const ResponseHeader* hs = held.data();
    size_t hn = held.size();
    // An HTTP/1.0 client cannot take chunked framing: its stream keeps its own framing, uncompressed.
    bool compress = first_piece && c.gz_accept != 0 && !c.resp_http10;
    if (first_piece) {
        gzip_headers(hs, hn, compress, compress ? 2 : 0, 0);
        hs = gz_headers_.data();
        hn = gz_headers_.size();
    }
    if (compress) c.gz_stream = std::make_unique<codec::GzipStream>(opt_.gzip_level);
    RespondResult r = start_stream_now(c, id, c.gz_status, hs, hn, error, nullptr);
    if (r != RespondResult::Ok) c.gz_stream.reset();
    return r;
}

}  // namespace astra::http
