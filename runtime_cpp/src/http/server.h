// The HTTP/1.1 server core: connections over the epoll reactor, llhttp parsing, routing,
// built-in responses (404, 405, 307, 400, 413, 431, 500) and the response writer.
// It knows nothing about Python: matched requests go to a Dispatcher (the pybind11 bridge).
//
// Its parts (one compilation unit each; connection.h holds the state they share):
//   server.cpp           construction, the event loop, the timeout sweep, accepting, driving a
//                        connection, routing a parsed request, graceful shutdown, closing
//   http1_parser.cpp     llhttp's callbacks -> RequestData (limits, framing and Host checks)
//   response_writer.cpp  the one head writer (whole and streamed answers), whole answers,
//                        built-in answers, body writes and flushing
//   streams.cpp          streamed answers and file bodies
//   proxy_headers.cpp    X-Forwarded-* from trusted peers, the access log's client and path
//   gzip_negotiation.cpp Accept-Encoding negotiation and native gzip of answers
//   server_websocket.cpp the WebSocket upgrade, frames in and out, the close handshake
//
// Concurrency: everything runs on one thread (the event loop's). poll() drains ready events;
// respond() may be called from inside a dispatch (inline answer) or later (deferred answer).
// A connection is named by ConnId {slot, generation}: a stale id is detected, never followed.
//
// Per connection: the parser pauses at each message end (on_message_complete returns
// HPE_PAUSED), so exactly one request is in flight; the next pipelined request is parsed only
// after the current one is answered, which keeps answers in order. Unparsed bytes are kept in
// the connection's `in` buffer while paused; reads go through one shared buffer otherwise.
#pragma once

#include <llhttp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "../app/router.h"
#include "astraapi_contract.h"  // generated from astraapi/_runtime_contract.py
#include "../net/reactor.h"
#include "date_cache.h"
#include "file_body.h"
#include "gzip_negotiation.h"
#include "proxy_headers.h"
#include "websocket.h"

namespace astra::http {

// Limits and timeouts: docs/http-hardening.md. Timeouts are checked by one sweep per second over
// all connections (no per-connection timers), so one fires between its value and a second
// later, never earlier; 0 disables a timeout.
struct ServerOptions {
    // Defaults: astraapi/_runtime_contract.py SERVER_DEFAULTS (the Python side reads the same).
    std::string host = "127.0.0.1";
    int port = 8000;
    bool listen = true;                      // false: no listening socket (connections come through adopt())
    bool reuse_port = false;
    int backlog = static_cast<int>(contract::kServerBacklog);
    std::string server_header = contract::kServerServerHeader;  // empty: no server header
    size_t max_header_size = contract::kServerMaxHeaderSize;    // request line + headers (+ trailers) -> 431
    size_t max_header_count = contract::kServerMaxHeaderCount;  // header fields per request -> 431
    size_t max_body_size = contract::kServerMaxBodySize;        // -> 413
    size_t max_chunk_ext_size = contract::kServerMaxChunkExtSize;  // chunk-extension bytes per request -> 400
    // keep-alive: no request started for this long -> close
    uint64_t idle_timeout_ms = static_cast<uint64_t>(contract::kServerIdleTimeout * 1000);
    // request line + headers not complete this long after their first byte -> 408
    uint64_t header_timeout_ms = static_cast<uint64_t>(contract::kServerHeaderTimeout * 1000);
    // no body byte received (or no response byte taken) for this long -> 408 / close
    uint64_t body_timeout_ms = static_cast<uint64_t>(contract::kServerBodyTimeout * 1000);
    size_t max_connections = contract::kServerMaxConnections;  // beyond: accept, answer 503, close (0: no limit)
    bool access_log = contract::kServerAccessLog;              // Dispatcher::on_access for each answered request
    bool proxy_headers = contract::kServerProxyHeaders;        // X-Forwarded-For / X-Forwarded-Proto from trusted peers
    // uvicorn's syntax: "*" or a comma list of IPs, networks, literals
    std::string forwarded_allow_ips = contract::kServerForwardedAllowIps;
    // WebSocket message (all fragments) -> close 1009 (uvicorn's ws_max_size)
    size_t ws_max_size = contract::kServerWsMaxSize;
    // WebSocket keep-alive ping this often (0: none; uvicorn's 20 s)
    uint64_t ws_ping_interval_ms = static_cast<uint64_t>(contract::kServerWsPingInterval * 1000);
    // no pong this long after a ping -> close 1011 (0: wait for ever)
    uint64_t ws_ping_timeout_ms = static_cast<uint64_t>(contract::kServerWsPingTimeout * 1000);
    // A request body arriving slower than this on average (bytes/s since the end of the headers),
    // once the grace period has passed: 408, close. 0: no minimum rate.
    uint64_t body_min_rate = contract::kServerBodyMinRate;
    uint64_t body_min_rate_grace_ms = static_cast<uint64_t>(contract::kServerBodyMinRateGrace * 1000);
    // Native gzip of responses (docs/http-hardening.md, "gzip"): Accept-Encoding negotiated with
    // q-values (RFC 9110 12.5.3); bodies of at least gzip_min_size bytes; streams from the first piece.
    bool gzip = contract::kServerGzip;
    size_t gzip_min_size = contract::kServerGzipMinSize;
    // 0-9, zlib's scale (whole bodies: libdeflate at codec::libdeflate_level_for_zlib)
    int gzip_level = static_cast<int>(contract::kServerGzipLevel);
};

struct ConnId {
    uint32_t slot = 0;
    uint32_t gen = 0;
};

struct HeaderSpan {
    uint32_t name_off, name_len, value_off, value_len;
};

// One parsed request; all bytes live in `buf`. Pooled by the server.
struct RequestData {
    std::string buf;
    std::vector<HeaderSpan> headers;
    uint32_t target_off = 0, target_len = 0;
    uint32_t raw_path_off = 0, raw_path_len = 0;
    uint32_t query_off = 0, query_len = 0;
    uint32_t path_off = 0, path_len = 0;  // percent-decoded path
    size_t body_off = 0, body_len = 0;
    uint8_t method = 0;  // llhttp_method_t
    uint8_t http_major = 1, http_minor = 1;
    bool keep_alive = true;
    sockaddr_storage peer{};
    socklen_t peer_len = 0;
    // Set from trusted proxy headers at dispatch (ServerOptions::proxy_headers).
    bool forwarded_client = false;
    std::string client_host;  // when forwarded_client
    int client_port = 0;
    std::string_view scheme = "http";  // static storage: "http", "https", "ws", "wss"

    std::string_view view(size_t off, size_t len) const { return std::string_view(buf.data() + off, len); }
    std::string_view raw_path() const { return view(raw_path_off, raw_path_len); }
    std::string_view query() const { return view(query_off, query_len); }
    std::string_view path() const { return view(path_off, path_len); }
    std::string_view body() const { return view(body_off, body_len); }
    std::string_view header_name(const HeaderSpan& h) const { return view(h.name_off, h.name_len); }
    std::string_view header_value(const HeaderSpan& h) const { return view(h.value_off, h.value_len); }
    std::string_view method_name() const;
    void reset();
};

struct ResponseHeader {
    const char* name;
    size_t name_len;
    const char* value;
    size_t value_len;
};

class Server;

class Dispatcher {
public:
    virtual ~Dispatcher() = default;
    // A request whose route matched. The dispatcher either answers now (Server::respond
    // before returning) or later. It may take `req` (leaving a fresh one from
    // Server::acquire_request in its place); params are views into req->buf.
    virtual void on_request(Server& server, ConnId id, std::unique_ptr<RequestData>& req, uint32_t route,
                            const std::string_view* params, size_t param_count) = 0;
    // With ServerOptions::access_log: a built-in answer (404, 405, 307, 500) was written for `req`.
    // (Answers through respond() are the dispatcher's to log: it holds the request then.)
    virtual void on_access(const RequestData& req, int status) {
        (void)req;
        (void)status;
    }
    // A streamed answer's connection drained below the low-water mark after stream_send
    // returned 0, or closed (then is_alive(id) is false). Called from inside the server's
    // I/O: the dispatcher must only note it, and act after poll() returns.
    virtual void on_stream_event(ConnId id) { (void)id; }
    // A WebSocket connection has a new message waiting (Server::ws_pop), or it ended. Same
    // rule as on_stream_event: only note it inside the server's I/O.
    virtual void on_ws_event(ConnId id) { (void)id; }
};

// "127.0.0.1:54321" as uvicorn's access log writes the client; the forwarded client if any.
std::string access_client(const RequestData& r);
// The request line's path as uvicorn's access log writes it: quote(path) + "?" + query.
std::string access_path(const RequestData& r);

enum class RespondResult { Ok, Gone, NotAwaiting, BadResponse };

class Server {
public:
    // Binds and listens; throws std::system_error / std::runtime_error.
    Server(std::shared_ptr<Trie> trie, ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    void set_dispatcher(std::unique_ptr<Dispatcher> d) { dispatcher_ = std::move(d); }
    // The app has an exception handler for the router's 404/405: hand unmatched requests to the
    // dispatcher as route kRouteNotFound / kRouteMethodNotAllowed (405: one parameter, the allow
    // value) instead of writing the built-in answers.
    static constexpr uint32_t kRouteNotFound = contract::kNotFoundRoute;
    static constexpr uint32_t kRouteMethodNotAllowed = contract::kMethodNotAllowedRoute;
    void set_route_unmatched(bool on) { route_unmatched_ = on; }
    // A middleware changes every answer (CORSMiddleware): hand the router's trailing-slash redirects
    // to the dispatcher as route kRouteRedirect (one parameter, the location) instead of writing them.
    static constexpr uint32_t kRouteRedirect = contract::kRedirectRoute;
    void set_route_redirects(bool on) { route_redirects_ = on; }
    bool route_redirects() const { return route_redirects_; }
    bool route_unmatched() const { return route_unmatched_; }
    Dispatcher* dispatcher() const { return dispatcher_.get(); }
    // Replace the reason phrase of a status code (100..599).
    void set_reason_phrase(int status, std::string_view phrase);

    int fileno() const { return reactor_.fd(); }
    int port() const { return port_; }
    const std::string& host() const { return bound_host_; }
    bool closed() const { return closed_; }
    size_t connection_count() const { return open_count_; }

    // Drain ready events without blocking, processing complete requests.
    void poll();
    // Stop listening and close every connection. Safe inside a dispatch.
    void close();
    // Graceful shutdown, step 1: accept what is queued, stop listening, close idle keep-alive
    // connections; requests already started run to completion and are answered with
    // `connection: close`. connection_count() reaches 0 when all are done; then close().
    void shutdown();
    bool draining() const { return draining_; }
    // Serve an already connected socket (non-blocking is set here). False (fd closed) if
    // it cannot be registered. Used with options.listen = false (fuzzing, tests).
    bool adopt(int fd, const sockaddr* peer, socklen_t peer_len);
    // Tests and fuzzing: let `ms` more pass on the server's clock, then run the timeout sweep.
    void advance_clock(uint64_t ms);

    // Answer the request in flight on `id`. headers==nullptr with default_json: the
    // default `content-length` + `content-type: application/json`. On BadResponse nothing
    // was written and `error` says why (the caller then uses respond_internal_error).
    // `log_req`: the request, for the access log (written before any pipelined request runs).
    RespondResult respond(ConnId id, int status, const ResponseHeader* headers, size_t header_count,
                          bool default_json, const char* body, size_t body_len, std::string* error,
                          const RequestData* log_req = nullptr);
    // 500 "Internal Server Error" (text/plain), then close the connection.
    RespondResult respond_internal_error(ConnId id, const RequestData* log_req = nullptr);
    bool is_alive(ConnId id) const;

    // ---- streamed answers (docs/internals.md, "Streamed answers") ----
    // The head now; the body in pieces through stream_send; then end_stream. Framing: the
    // handler's content-length when it gives one, else chunked (none for HEAD, 204, 304).
    RespondResult start_stream(ConnId id, int status, const ResponseHeader* headers, size_t header_count,
                               std::string* error, const RequestData* log_req = nullptr);
    // 1: more may be sent now; 0: the output buffer is above the high-water mark (wait for
    // Dispatcher::on_stream_event); -1: the connection is gone; -2: more than content-length (error set).
    int stream_send(ConnId id, const char* data, size_t len, std::string* error);
    // Ok, Gone, or BadResponse when fewer bytes than content-length were sent (then closed).
    RespondResult end_stream(ConnId id, std::string* error);
    // Close the connection of an unfinished stream (the body's producer failed).
    void abort_stream(ConnId id);
    // -1: gone or not streaming; 0: waiting for the buffer to drain; 1: writable.
    int stream_state(ConnId id) const;
    // The body of the streamed answer in flight comes from a file (file_body.h): takes `fd`
    // (closed when done or on any error). The head must have a content-length that these bytes
    // complete. 1: sent (or nothing to send: HEAD, 304); 0: sending -- Dispatcher::on_stream_event
    // once it is all out or the connection closed, then end_stream; -1: gone; -2: error (set).
    int stream_send_file(ConnId id, int fd, std::vector<FileSegment> segments, std::string tail,
                         std::string* error);

    // ---- WebSockets (docs/websockets.md) ----
    // An upgrade request whose route is a WebSocket route reaches Dispatcher::on_request like any
    // other (the handshake headers were checked); the application then accepts (101, frames from
    // then on), or answers with respond() (a rejection: 403 with connection: close).
    RespondResult ws_accept(ConnId id, const RequestData& req, std::string_view subprotocol,
                            const ResponseHeader* headers, size_t header_count, std::string* error);
    // 1: sent; 0: sent, but wait for Dispatcher::on_stream_event (the output is above the
    // high-water mark); -1: the connection is gone or closing.
    int ws_send(ConnId id, bool binary, const char* data, size_t len);
    // Send a close frame (once); the connection closes when the client answers it. False: gone.
    bool ws_close(ConnId id, uint16_t code, std::string_view reason);
    // The next message the client sent, false if none is waiting. The last one is a ws::kClose.
    bool ws_pop(ConnId id, ws::Message& out);
    // 1: a message is waiting; 0: open, nothing waiting; -1: gone and nothing left to pop.
    int ws_state(ConnId id) const;
    // The application is done with the connection: drop what it left unread.
    void ws_forget(ConnId id);

    std::unique_ptr<RequestData> acquire_request();
    void release_request(std::unique_ptr<RequestData> req);

    struct Conn;

private:
    friend struct ParserCallbacks;
    enum class Feed { NeedMore, Ready, Error };

    Conn* lookup(ConnId id) const;
    void accept_all();
    Conn* open_conn(int fd, const sockaddr* peer, socklen_t peer_len);
    void reject_busy(int fd);
    void apply_proxy_headers(Conn& c);
    bool conn_idle(const Conn& c) const;
    void timeout_conn(Conn& c);
    void on_conn_event(Conn& c, uint32_t events);
    void on_lingering_event(Conn& c, uint32_t events);
    void drive(Conn& c);
    Feed feed(Conn& c, const char* data, size_t len, size_t& consumed);
    void dispatch(Conn& c);
    void write_builtin(Conn& c, int status, std::string_view extra_headers, std::string_view content_type,
                       std::string_view body);
    void write_redirect(Conn& c, std::string_view new_path);
    std::string redirect_location(Conn& c, std::string_view new_path);
    void write_error_and_close(Conn& c, int status, std::string_view message);
    void write_status_error(Conn& c, int status);
    void begin_head(Conn& c, int status);
    struct HeadFraming;
    const char* write_head(Conn& c, int status, const ResponseHeader* headers, size_t header_count,
                           const size_t* default_json_length, HeadFraming& f);
    void append_body(Conn& c, const char* body, size_t len);
    void complete_response(Conn& c);
    bool flush(Conn& c);
    bool pump_file(Conn& c);
    void after_io(Conn& c);
    void close_conn(Conn& c);
    void start_lingering(Conn& c);
    void stream_drained(Conn& c);
    void dispatch_websocket(Conn& c);
    void drive_ws(Conn& c);
    void ws_detach(Conn& c);
    void ws_keepalive(Conn& c);
    void tick();
    bool drain_keeps(Conn& c);
    // gzip (ServerOptions::gzip): gzip_negotiation.cpp.
    void gzip_negotiate_request(Conn& c);
    void gzip_whole_body(Conn& c, int status, const ResponseHeader*& headers, size_t& header_count,
                         bool& default_json, const char*& body, size_t& body_len);
    bool gzip_eligible(const Conn& c, int status, const ResponseHeader* headers, size_t header_count) const;
    void gzip_headers(const ResponseHeader* headers, size_t header_count, bool compressed, int length_mode,
                      size_t new_length);
    RespondResult start_stream_now(Conn& c, ConnId id, int status, const ResponseHeader* headers,
                                   size_t header_count, std::string* error, const RequestData* log_req);
    RespondResult gzip_release_head(Conn& c, ConnId id, bool first_piece, std::string* error);

    std::shared_ptr<Trie> trie_;
    ServerOptions opt_;
    net::Reactor reactor_;
    int listen_fd_ = -1;
    int port_ = 0;
    std::string bound_host_;
    bool closed_ = false;
    bool in_poll_ = false;
    bool accept_paused_ = false;
    bool draining_ = false;
    bool route_unmatched_ = false;
    bool route_redirects_ = false;
    TrustedHosts trusted_;
    uint64_t now_ = 0;  // monotonic milliseconds (coarse clock), refreshed by each poll()
    uint64_t clock_offset_ = 0;  // advance_clock()
    uint64_t clock() const;
    DateCache date_;
    std::unique_ptr<Dispatcher> dispatcher_;
    std::vector<std::unique_ptr<Conn>> conns_;
    std::vector<uint32_t> free_slots_;
    size_t open_count_ = 0;
    std::vector<std::unique_ptr<RequestData>> request_pool_;
    std::unique_ptr<char[]> read_buf_;
    MatchScratch scratch_;
    std::array<std::string, 600> status_lines_;
    std::string server_line_;  // "server: astraapi\r\n" or ""
    std::vector<epoll_event> events_;
    // WebSocket sessions whose connection ended, until the application read their last message.
    std::unordered_map<uint64_t, std::unique_ptr<ws::Session>> ws_orphans_;
    // gzip scratch, reused: the compressed body, the rewritten header list and its strings.
    std::string gz_body_;
    std::vector<ResponseHeader> gz_headers_;
    std::string gz_vary_, gz_length_;
};

}  // namespace astra::http
