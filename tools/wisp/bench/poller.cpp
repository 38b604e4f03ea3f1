#include "poller.hpp"

#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "measure.hpp"

namespace wisp::tool::bench {
namespace {

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

Poller::Poller()
    : now_(now_ns()), read_buffer_(std::make_unique<std::uint8_t[]>(read_buffer_size)) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw_errno("epoll_create1");
}

Poller::~Poller() { ::close(epoll_fd_); }

void Poller::add(int fd, Pollable& target, std::uint32_t events) {
  epoll_event ev{.events = events, .data = {.ptr = &target}};
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0) throw_errno("epoll_ctl(ADD)");
}

void Poller::modify(int fd, Pollable& target, std::uint32_t events) {
  epoll_event ev{.events = events, .data = {.ptr = &target}};
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) < 0) throw_errno("epoll_ctl(MOD)");
}

void Poller::poll(int timeout_ms) {
  constexpr int max_events = 256;
  epoll_event events[max_events];
  const int n = epoll_wait(epoll_fd_, events, max_events, timeout_ms);
  now_ = now_ns();
  for (int i = 0; i < n; ++i) static_cast<Pollable*>(events[i].data.ptr)->on_poll(events[i].events);
}

}  // namespace wisp::tool::bench
