// libFuzzer target: arbitrary bytes through the server's real connection path (llhttp parsing,
// framing checks, routing, built-in answers, the response writer, pipelining, deferred answers,
// lingering close), with a stub dispatcher in place of Python.
//
// Each input gets a fresh Server (no listening socket) and one connection: a socketpair whose
// server end is adopted. The first input byte chooses how the rest is cut into writes; the
// stub answers some routes inline, some later (deferred), some with chunked or HEAD-sensitive
// bodies. Invariant checked beyond the sanitizers: the output starts with a status line.
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
    void answer_deferred(http::Server& s) {
        auto pending = std::move(deferred);
        deferred.clear();
        for (auto& [id, req] : pending) {
            http::ResponseHeader h[2] = {{"content-length", 2, "2", 1}, {"x-a", 3, "b", 1}};
            s.respond(id, 201, h, 2, false, "ok", 2, nullptr);
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
    // (timeouts: 408, idle and lingering closes); bit 4, answer deferred requests only every other round.
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
    http::Server server(trie, o);
    auto stub = std::make_unique<Stub>();
    Stub* st = stub.get();
    server.set_dispatcher(std::move(stub));

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) return 0;
    sockaddr_in peer{};
    peer.sin_family = AF_INET;
    peer.sin_port = htons(4321);
    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!server.adopt(sv[0], reinterpret_cast<sockaddr*>(&peer), sizeof peer)) {
        close(sv[1]);
        return 0;
    }
    std::string out;
    char buf[65536];
    size_t off = 0;
    bool shut = false, eof = false;
    for (int round = 0; round < 10000 && !eof; ++round) {
        if (off < size) {
            size_t n = std::min(piece, size - off);
            ssize_t w = send(sv[1], data + off, n, MSG_NOSIGNAL);
            if (w > 0) off += static_cast<size_t>(w);
            else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) off = size;
        } else if (!shut) {
            shutdown(sv[1], SHUT_WR);
            shut = true;
        }
        if ((control & 1) && off >= size / 2 && !server.draining()) server.shutdown();
        server.poll();
        if (!(control & 16) || (round & 1)) st->answer_deferred(server);
        if (advance_ms) server.advance_clock(advance_ms);
        bool progress = false;
        for (;;) {
            ssize_t r = recv(sv[1], buf, sizeof buf, 0);
            if (r > 0) {
                out.append(buf, static_cast<size_t>(r));
                progress = true;
                continue;
            }
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) eof = true;
            break;
        }
        if (shut && !progress && server.connection_count() == 0) break;
        if (out.size() > (64u << 20)) break;
    }
    close(sv[1]);
    server.poll();
    st->answer_deferred(server);
    check_output(out);
    server.close();
    return 0;
}
