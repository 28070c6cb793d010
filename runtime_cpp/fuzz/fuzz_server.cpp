// libFuzzer target: arbitrary bytes through the server's real connection path (llhttp parsing,
// framing checks, routing, built-in answers, the response writer, pipelining, deferred answers,
// lingering close), with a stub dispatcher in place of Python.
//
// Each input gets a fresh Server (no listening socket). The input after two control bytes is cut
// at each "\xfe\xff" separator into up to four streams, one per connection (a socketpair whose
// server end is adopted; a fifth stream goes to the first connection again, and so on); the
// streams are written interleaved, a piece to each connection in turn. The first byte chooses
// the piece size; the stub answers some routes inline, some later (deferred), some with chunked,
// streamed (start_stream/stream_send/end_stream, also deferred) or gzip-eligible bodies.
// Invariant checked beyond the sanitizers: each connection's output starts with a status line.
//
// Build: runtime_cpp/fuzz/build.sh (clang, -fsanitize=fuzzer,address,undefined). Run:
//   build/fuzz/fuzz_server -max_total_time=600 runtime_cpp/fuzz/corpus
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "app/router.h"
#include "http/server.h"

using namespace astra;

namespace {

std::shared_ptr<Trie> make_trie() {
    // Routes: 0 GET/HEAD/POST "/", 1 GET/POST "/d/{n:int}" (deferred), 2 GET "/items/",
    // 3 GET/POST "/c/{p:path}" (chunked answer). Tables as tests/runtime/conftest.py builds them.
    std::vector<astra_trie_node> nodes = {
        {0, 4, 0, 0, 0, 0, 0}, {4, 0, 0, 0, 0, 1, 0}, {4, 0, 0, 1, 1, 0, 3}, {4, 0, 1, 1, 1, 0, 1},
        {4, 1, 2, 0, 1, 0, 2}, {5, 0, 2, 0, 1, 1, 3}, {5, 0, 2, 0, 2, 1, 1}, {5, 0, 2, 0, 3, 1, 2}};
    std::vector<std::pair<std::string, uint32_t>> edges = {{"", 1}, {"c", 2}, {"d", 3}, {"items", 4}, {"", 7}};
    std::vector<astra_trie_param_edge> params = {{4, 5}, {1, 6}};
    std::vector<uint32_t> node_routes = {0, 3, 1, 2};
    std::vector<RouteSpec> routes = {{7, "GET, HEAD, POST", 0}, {5, "GET, POST", 1}, {1, "GET", 0}, {5, "GET, POST", 1}};
    return Trie::from_tables(nodes, edges, params, node_routes, routes, true);
}

struct Stub final : http::Dispatcher {
    std::vector<std::pair<http::ConnId, std::unique_ptr<http::RequestData>>> deferred;
    void on_request(http::Server& s, http::ConnId id, std::unique_ptr<http::RequestData>& req, uint32_t route,
                    const std::string_view* params, size_t n) override {
        std::string body = "{\"n\":" + std::to_string(n) + ",\"len\":" + std::to_string(req->body_len) + "}";
        for (const auto& h : req->headers) (void)req->header_value(h).size();
        (void)http::access_client(*req);
        (void)http::access_path(*req);
        if (n) (void)params[0].size();
        if (route == 1) {  // answered later, holding the request as the Python side does
            deferred.emplace_back(id, std::move(req));
            req = s.acquire_request();
            return;
        }
        if (route == 3) {
            // /c/{p:path}: "s..." a streamed answer now, "t..." one streamed later, "g..." a body
            // worth compressing, "v..." one with vary and content-length, else a chunked answer.
            char kind = n && !params[0].empty() ? params[0][0] : 0;
            if (kind == 's') {
                stream_now(s, id, body);
                return;
            }
            if (kind == 't') {
                streams.emplace_back(id, std::move(req));
                req = s.acquire_request();
                return;
            }
            if (kind == 'g') {
                std::string big;
                for (int i = 0; i < 40; ++i) big += body;
                http::ResponseHeader h{"content-type", 12, "text/html; charset=utf-8", 24};
                s.respond(id, 200, &h, 1, false, big.data(), big.size(), nullptr);
                return;
            }
            if (kind == 'v') {
                std::string len = std::to_string(body.size());
                http::ResponseHeader h[3] = {{"vary", 4, "Origin", 6}, {"content-length", 14, len.data(), len.size()},
                                             {"content-type", 12, "text/plain", 10}};
                s.respond(id, 200, h, 3, false, body.data(), body.size(), nullptr);
                return;
            }
            http::ResponseHeader h{"content-type", 12, "text/plain", 10};
            s.respond(id, 200, &h, 1, false, body.data(), body.size(), nullptr);
            return;
        }
        s.respond(id, 200, nullptr, 0, true, body.data(), body.size(), nullptr);
    }
    void on_access(const http::RequestData& req, int) override {
        (void)http::access_client(req);
        (void)http::access_path(req);
    }
    std::vector<std::pair<http::ConnId, std::unique_ptr<http::RequestData>>> streams;
    void stream_now(http::Server& s, http::ConnId id, const std::string& body) {
        http::ResponseHeader h{"content-type", 12, "text/plain", 10};
        if (s.start_stream(id, 200, &h, 1, nullptr) != http::RespondResult::Ok) return;
        for (int i = 0; i < 3; ++i)
            if (s.stream_send(id, body.data(), body.size(), nullptr) < 0) return;
        s.end_stream(id, nullptr);
    }
    void answer_deferred(http::Server& s) {
        auto pending = std::move(deferred);
        deferred.clear();
        for (auto& [id, req] : pending) {
            http::ResponseHeader h[2] = {{"content-length", 2, "2", 1}, {"x-a", 3, "b", 1}};
            s.respond(id, 201, h, 2, false, "ok", 2, nullptr);
            s.release_request(std::move(req));
        }
        auto later = std::move(streams);
        streams.clear();
        for (auto& [id, req] : later) {
            stream_now(s, id, std::string(req->body()));
            s.release_request(std::move(req));
        }
    }
};

void check_output(const std::string& out) {
    if (out.empty()) return;
    if (out.compare(0, 9, "HTTP/1.1 ") != 0) {
        std::fprintf(stderr, "output does not start with a status line\n");
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static std::shared_ptr<Trie> trie = make_trie();
    if (size < 2) return 0;
    // Byte 0: write size (0: everything at once). Byte 1: bit 0, graceful shutdown once half the
    // input is written; bits 1-3, advance the server's clock by that many x 4 s after each round
    // (timeouts: 408, idle and lingering closes); bit 4, answer deferred requests only every other
    // round; bit 5, native gzip on; bit 6, a minimum body rate (1000 B/s after 4 s); bit 7, gzip of
    // any size (else from 64 bytes).
    size_t piece = data[0] == 0 ? size : data[0];
    const uint8_t control = data[1];
    data += 2;
    size -= 2;
    const uint64_t advance_ms = ((control >> 1) & 7u) * 4000u;

    http::ServerOptions o;
    o.listen = false;
    o.max_header_size = 4096;
    o.max_header_count = 20;
    o.max_body_size = 8192;
    o.max_chunk_ext_size = 256;
    o.access_log = true;
    o.proxy_headers = true;
    o.forwarded_allow_ips = "127.0.0.1, 10.0.0.0/8, ::1, unix-literal";
    o.gzip = (control & 32) != 0;
    o.gzip_min_size = (control & 128) ? 0 : 64;
    o.gzip_level = 1;
    o.body_min_rate = (control & 64) ? 1000 : 0;
    o.body_min_rate_grace_ms = 4000;
    http::Server server(trie, o);
    auto stub = std::make_unique<Stub>();
    Stub* st = stub.get();
    server.set_dispatcher(std::move(stub));

    // The per-connection streams.
    constexpr size_t kMaxConns = 4;
    struct Peer {
        int fd = -1;
        std::string in;  // what this client sends
        size_t off = 0;
        bool shut = false, eof = false;
        std::string out;  // what it received
    };
    std::vector<Peer> peers;
    {
        size_t start = 0, k = 0;
        for (;;) {
            size_t sep = start;
            while (sep + 1 < size && !(data[sep] == 0xfe && data[sep + 1] == 0xff)) ++sep;
            bool last = sep + 1 >= size;
            size_t end = last ? size : sep;
            if (peers.size() < kMaxConns) peers.emplace_back();
            peers[k % kMaxConns].in.append(reinterpret_cast<const char*>(data) + start, end - start);
            ++k;
            if (last) break;
            start = sep + 2;
        }
    }
    for (Peer& p : peers) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) continue;
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(4321 + (&p - peers.data())));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (!server.adopt(sv[0], reinterpret_cast<sockaddr*>(&addr), sizeof addr)) {
            close(sv[1]);
            continue;
        }
        p.fd = sv[1];
    }
    char buf[65536];
    for (int round = 0; round < 10000; ++round) {
        bool all_written = true, progress = false, all_eof = true;
        for (size_t i = 0; i < peers.size(); ++i) {
            Peer& p = peers[(i + static_cast<size_t>(round)) % peers.size()];  // rotate who writes first
            if (p.fd < 0) continue;
            if (p.off < p.in.size()) {
                all_written = false;
                size_t n = std::min(piece, p.in.size() - p.off);
                ssize_t w = send(p.fd, p.in.data() + p.off, n, MSG_NOSIGNAL);
                if (w > 0) p.off += static_cast<size_t>(w);
                else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) p.off = p.in.size();
            } else if (!p.shut) {
                shutdown(p.fd, SHUT_WR);
                p.shut = true;
            }
        }
        size_t written = 0, total = 0;
        for (const Peer& p : peers) written += p.off, total += p.in.size();
        if ((control & 1) && written >= total / 2 && !server.draining()) server.shutdown();
        server.poll();
        if (!(control & 16) || (round & 1)) st->answer_deferred(server);
        if (advance_ms) server.advance_clock(advance_ms);
        for (Peer& p : peers) {
            if (p.fd < 0 || p.eof) continue;
            for (;;) {
                ssize_t r = recv(p.fd, buf, sizeof buf, 0);
                if (r > 0) {
                    p.out.append(buf, static_cast<size_t>(r));
                    progress = true;
                    continue;
                }
                if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) p.eof = true;
                break;
            }
            all_eof = all_eof && p.eof;
            if (p.out.size() > (16u << 20)) p.eof = true;
        }
        if (all_eof) break;
        if (all_written && !progress && server.connection_count() == 0) break;
    }
    for (Peer& p : peers)
        if (p.fd >= 0) close(p.fd);
    server.poll();
    st->answer_deferred(server);
    for (const Peer& p : peers) check_output(p.out);
    server.close();
    return 0;
}
