// The client side's event loop: epoll readiness and one shared read buffer. wisp's net::EventLoop
// is the server's (a 10 ms timer tick, corking); the load needs 2 ms pacing ticks and nothing else.
#pragma once

#include <sys/epoll.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace wisp::tool::bench {

class Pollable {
 public:
  virtual void on_poll(std::uint32_t events) = 0;

 protected:
  ~Pollable() = default;
};

class Poller {
 public:
  static constexpr std::size_t read_buffer_size = 256 * 1024;

  Poller();
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  void add(int fd, Pollable& target, std::uint32_t events);
  void modify(int fd, Pollable& target, std::uint32_t events);

  // Waits up to `timeout_ms` for readiness and dispatches it; now() is read once after the wait.
  void poll(int timeout_ms);
  std::uint64_t now() const { return now_; }

  // Scratch space for one read, valid until the next read.
  std::uint8_t* read_buffer() { return read_buffer_.get(); }

 private:
  int epoll_fd_ = -1;
  std::uint64_t now_ = 0;
  std::unique_ptr<std::uint8_t[]> read_buffer_;
};

}  // namespace wisp::tool::bench
