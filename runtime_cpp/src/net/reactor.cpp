#include "reactor.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace astra::net {

Reactor::Reactor() {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    timerfd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timerfd_ < 0) {
        int e = errno;
        close();
        throw std::system_error(e, std::generic_category(), "timerfd_create");
    }
    struct itimerspec its = {};
    its.it_interval.tv_sec = 1;
    its.it_value.tv_sec = 1;
    timerfd_settime(timerfd_, 0, &its, nullptr);
    if (!add(timerfd_, EPOLLIN, kTimerToken)) {
        int e = errno;
        close();
        throw std::system_error(e, std::generic_category(), "epoll_ctl(timerfd)");
    }
}

Reactor::~Reactor() { close(); }

bool Reactor::add(int fd, uint32_t events, uint64_t token) {
    epoll_event ev;
    ev.events = events;
    ev.data.u64 = token;
    return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void Reactor::remove(int fd) {
    epoll_event ev{};
    epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, &ev);
}

int Reactor::wait(epoll_event* events, int max) {
    if (epfd_ < 0) return 0;
    int n = epoll_wait(epfd_, events, max, 0);
    return n < 0 ? 0 : n;
}

uint64_t Reactor::drain_timer() {
    uint64_t expirations = 0;
    if (timerfd_ >= 0 && ::read(timerfd_, &expirations, sizeof expirations) != sizeof expirations) return 0;
    return expirations;
}

void Reactor::close_timer() {
    if (timerfd_ >= 0) ::close(timerfd_);
    timerfd_ = -1;
}

void Reactor::close() {
    if (timerfd_ >= 0) ::close(timerfd_);
    if (epfd_ >= 0) ::close(epfd_);
    timerfd_ = epfd_ = -1;
}

}  // namespace astra::net
