// Proxy headers (ServerOptions::proxy_headers), as uvicorn's ProxyHeadersMiddleware: which peers
// are trusted (TrustedHosts), the client and scheme their X-Forwarded-For / X-Forwarded-Proto
// give; and the access log's client and path (access_client, access_path).
#include "proxy_headers.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "../net/socket.h"
#include "connection.h"
#include "url.h"

namespace astra::http {

using namespace detail;

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

}  // namespace astra::http
