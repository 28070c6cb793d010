// The epoll reactor: one epoll descriptor (the one Python registers with loop.add_reader),
// edge-triggered sockets, and a timerfd in the same set ticking once per second.
#pragma once

#include <sys/epoll.h>

#include <cstdint>

namespace astra::net {

class Reactor {
public:
    static constexpr uint64_t kTimerToken = ~uint64_t{0};
    static constexpr uint64_t kListenerToken = ~uint64_t{0} - 1;

    Reactor();  // throws std::system_error
    ~Reactor();
    Reactor(const Reactor&) = delete;
    Reactor& operator=(const Reactor&) = delete;

    int fd() const { return epfd_; }
    bool add(int fd, uint32_t events, uint64_t token);
    void remove(int fd);
    // Non-blocking harvest; returns the number of events (0 on EINTR or when closed).
    int wait(epoll_event* events, int max);
    // Reads the timerfd; returns the number of expirations since the last call.
    uint64_t drain_timer();
    // Closes the timer; the epoll descriptor stays open (and idle) until destruction, so
    // that the event loop can still unregister it after Server.close().
    void close_timer();
    void close();

private:
    int epfd_ = -1;
    int timerfd_ = -1;
};

}  // namespace astra::net
