#include "socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace astra::net {

int listen_tcp(const std::string& host, int port, bool reuse_port, int backlog, std::string& error) {
    if (port < 0 || port > 65535) {
        error = "port out of range: " + std::to_string(port);
        return -1;
    }
    struct addrinfo hints;
    std::memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    struct addrinfo* res = nullptr;
    std::string service = std::to_string(port);
    int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &res);
    if (rc != 0) {
        error = "cannot resolve host " + host + ": " + gai_strerror(rc);
        return -1;
    }
    int fd = -1;
    std::string last;
    for (struct addrinfo* ai = res; ai; ai = ai->ai_next) {
        fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            last = std::string("socket(): ") + std::strerror(errno);
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
            last = std::string("SO_REUSEPORT: ") + std::strerror(errno);
            ::close(fd);
            fd = -1;
            continue;
        }
        if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            last = "bind " + host + ":" + service + ": " + std::strerror(errno);
            ::close(fd);
            fd = -1;
            continue;
        }
        if (::listen(fd, backlog > 0 ? backlog : 1024) != 0) {
            last = std::string("listen(): ") + std::strerror(errno);
            ::close(fd);
            fd = -1;
            continue;
        }
        break;
    }
    freeaddrinfo(res);
    if (fd < 0) error = last.empty() ? "no usable address for " + host : last;
    return fd;
}

bool format_address(const sockaddr* sa, std::string& host, int& port) {
    char buf[INET6_ADDRSTRLEN];
    if (sa->sa_family == AF_INET) {
        auto* in = reinterpret_cast<const sockaddr_in*>(sa);
        if (!inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf)) return false;
        host = buf;
        port = ntohs(in->sin_port);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
        if (!inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf)) return false;
        host = buf;
        port = ntohs(in6->sin6_port);
        return true;
    }
    return false;
}

bool local_address(int fd, std::string& host, int& port) {
    sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return false;
    return format_address(reinterpret_cast<sockaddr*>(&ss), host, port);
}

}  // namespace astra::net
