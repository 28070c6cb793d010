// Listening sockets and address formatting.
#pragma once

#include <sys/socket.h>

#include <string>

namespace astra::net {

// A non-blocking, close-on-exec listening TCP socket bound to host:port (getaddrinfo,
// AI_PASSIVE, first result), with SO_REUSEADDR and optionally SO_REUSEPORT.
// Returns the fd, or -1 with `error` set.
int listen_tcp(const std::string& host, int port, bool reuse_port, int backlog, std::string& error);

// "127.0.0.1" / "::1" and the port of a socket address; false for other families.
bool format_address(const sockaddr* sa, std::string& host, int& port);

// The local address of a socket (getsockname).
bool local_address(int fd, std::string& host, int& port);

}  // namespace astra::net
