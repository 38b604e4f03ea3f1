#include "net/event_loop.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "net/socket.hpp"

namespace wisp::net {
namespace {

thread_local EventLoop* current_loop = nullptr;

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

EventLoop::EventLoop() : now_(Clock::now()), timers_(std::chrono::milliseconds(10), 1024, now_) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw_errno("epoll_create1");
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    ::close(epoll_fd_);
    throw_errno("eventfd");
  }
  add(wake_fd_, wakeup_, EPOLLIN);
  current_loop = this;
}

EventLoop::~EventLoop() {
  free_retired();
  if (current_loop == this) current_loop = nullptr;
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

EventLoop* EventLoop::current() { return current_loop; }

void EventLoop::add(int fd, Pollable& target, std::uint32_t events) {
  epoll_event ev{.events = events, .data = {.ptr = &target}};
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0) throw_errno("epoll_ctl(ADD)");
}

void EventLoop::modify(int fd, Pollable& target, std::uint32_t events) {
  epoll_event ev{.events = events, .data = {.ptr = &target}};
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) < 0) throw_errno("epoll_ctl(MOD)");
}

void EventLoop::remove(int fd) { epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

void EventLoop::run() {
  stopping_ = stop_requested_.load(std::memory_order_acquire);
  while (!stopping_) {
    wait_and_dispatch();
    flush_deferred();
    free_retired();
  }
}

void EventLoop::wait_and_dispatch() {
  constexpr int max_events = 256;
  epoll_event events[max_events];
  const int n = epoll_wait(epoll_fd_, events, max_events, timers_.wait_ms(now_));
  now_ = Clock::now();
  // The wheel catches up first: handlers schedule timers relative to its current tick, which
  // after a long idle wait would be far in the past and make new timers fire at once.
  timers_.advance(now_);
  for (int i = 0; i < n; ++i) static_cast<Pollable*>(events[i].data.ptr)->on_poll(events[i].events);
}

void EventLoop::stop() {
  stop_requested_.store(true, std::memory_order_release);
  post([this] { stopping_ = true; });
}

void EventLoop::post(std::function<void()> task) {
  if (!inbox_.push(std::move(task))) return;  // the batch it joins already woke the loop
  wakeups_.fetch_add(1, std::memory_order_relaxed);
  const std::uint64_t one = 1;
  // A full counter (never in practice) still leaves the fd readable, so the wake-up is not lost.
  [[maybe_unused]] auto written = ::write(wake_fd_, &one, sizeof one);
}

void EventLoop::Wakeup::on_poll(std::uint32_t) {
  loop.drain_wakeup();
  loop.run_posted();
}

void EventLoop::drain_wakeup() {
  std::uint64_t count;
  [[maybe_unused]] auto read = ::read(wake_fd_, &count, sizeof count);
}

// The eventfd is read before the batch is taken: a post that finds the inbox empty after the
// take writes it again, so no post is left without a wake-up.
void EventLoop::run_posted() {
  if (inbox_.run_all() > 0) ++batches_;
}

EventLoop::Staged EventLoop::stage(std::string_view first, std::string_view second) {
  const Staged bytes{arena_.size(), first.size() + second.size()};
  arena_.append(first).append(second);
  return bytes;
}

void EventLoop::flush_deferred() {
  // Each socket's pieces together, in their order: one sendmsg per socket.
  std::stable_sort(deferred_.begin(), deferred_.end(),
                   [](const Deferred& a, const Deferred& b) { return a.socket < b.socket; });
  for (std::size_t i = 0, j; i < deferred_.size(); i = j) {
    for (j = i + 1; j < deferred_.size() && deferred_[j].socket == deferred_[i].socket;) ++j;
    thread_local std::vector<std::string_view> pieces;
    pieces.clear();
    for (std::size_t k = i; k < j; ++k) pieces.push_back(staged(deferred_[k].bytes));
    deferred_[i].socket->send_deferred(pieces);
  }
  deferred_.clear();
  constexpr std::size_t kept_arena = 4 << 20;  // a burst's arena is not kept forever
  if (arena_.capacity() > kept_arena) std::string().swap(arena_);
  arena_.clear();
  // Flushing may not add to the list (it only sends), but keep the loop robust to it anyway.
  for (std::size_t i = 0; i < flush_list_.size(); ++i) flush_list_[i]->flush_deferred();
  flush_list_.clear();
}

void EventLoop::free_retired() {
  // Deleting may retire more objects (a server tearing down its sockets), so loop until empty.
  while (!retired_.empty()) {
    auto batch = std::move(retired_);
    retired_.clear();
    for (auto [object, destroy] : batch) destroy(object);
  }
}

void EventLoop::cork(Socket& socket) {
  if (corked_ == &socket) return;
  if (corked_) uncork();
  corked_ = &socket;
}

void EventLoop::uncork() {
  Socket* socket = corked_;
  if (!socket) return;
  corked_ = nullptr;
  if (!cork_buffer_.empty()) socket->flush_cork(cork_buffer_.view());
  cork_buffer_.clear();
}

}  // namespace wisp::net
