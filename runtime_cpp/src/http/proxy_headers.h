// uvicorn's _TrustedHosts (ServerOptions::forwarded_allow_ips): which peers may set
// X-Forwarded-*, and the client address X-Forwarded-For then yields (proxy_headers.cpp).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace astra::http {

// uvicorn's _TrustedHosts: which peers may set X-Forwarded-*, and the client it yields.
class TrustedHosts {
public:
    explicit TrustedHosts(std::string_view spec);
    bool contains(std::string_view host) const;
    bool contains(const sockaddr* sa) const;
    // X-Forwarded-For (joined with ", ") -> the first untrusted host from the right.
    void client_address(std::string_view xff, std::string& host, int& port) const;

private:
    struct Net {
        int family;
        uint8_t addr[16];
        int prefix;
    };
    bool contains_ip(int family, const uint8_t* addr) const;
    bool always_ = false;
    std::vector<Net> nets_;  // single addresses are /32 or /128
    std::vector<std::string> literals_;
};

}  // namespace astra::http
