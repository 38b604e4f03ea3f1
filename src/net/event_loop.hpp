// One epoll event loop per thread: readiness dispatch, timers, cross-thread posts, corking.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/cork_buffer.hpp"
#include "net/inbox.hpp"
#include "net/read_buffers.hpp"
#include "net/timer_wheel.hpp"

namespace wisp::net {

class Socket;

// Anything registered with a loop's epoll set.
class Pollable {
 public:
  virtual void on_poll(std::uint32_t events) = 0;

 protected:
  ~Pollable() = default;
};

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t read_buffer_size = ReadBuffers::size;
  static constexpr std::size_t cork_buffer_size = CorkBuffer::capacity;

  // Becomes the calling thread's loop (current()); construct it on the thread that runs it.
  // Throws std::system_error if epoll or eventfd cannot be created.
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // The loop running on the calling thread, or nullptr.
  static EventLoop* current();

  // epoll registration (level-triggered). Throws std::system_error on failure.
  void add(int fd, Pollable& target, std::uint32_t events);
  void modify(int fd, Pollable& target, std::uint32_t events);
  void remove(int fd);

  // Runs until stop(), on the thread that constructed the loop.
  void run();
  // Thread-safe: makes run() return after the current iteration.
  void stop();
  // Thread-safe: runs `task` on the loop thread, in posting order, in the next batch of posted
  // work (one wake-up per batch). Never run if the loop has ended: destroyed with the loop.
  void post(std::function<void()> task);
  // Wake-ups written / batches of posted work run, since construction (for tests and figures).
  std::uint64_t wakeups() const { return wakeups_.load(std::memory_order_relaxed); }
  std::uint64_t batches() const { return batches_; }

  // Deletes `object` after the current batch of events, when no event of this batch can still
  // reach it (it may have events pending behind the one that closed it).
  template <class T>
  void retire(T* object) {
    retired_.push_back({object, [](void* p) { delete static_cast<T*>(p); }});
  }

  TimerWheel& timers() { return timers_; }
  Clock::time_point now() const { return now_; }  // read once per iteration

  // Scratch space for one read; its contents are valid until the next read on this loop (unless
  // a handler kept the buffer: read_buffers()). Ask for it at each read: it changes once kept.
  std::uint8_t* read_buffer() { return read_buffers_.current(); }
  ReadBuffers& read_buffers() { return read_buffers_; }

  // Corking: while a socket is corked, its writes gather in the loop's cork buffer and leave in
  // one write at uncork(). The loop corks each socket around its read handling.
  Socket* corked() const { return corked_; }
  void cork(Socket& socket);
  void uncork();
  CorkBuffer& cork_buffer() { return cork_buffer_; }

  // Writes to sockets that are not corked (a publish to many, a timer's send) leave together at
  // the end of the iteration: one send per socket however many messages it got. A plain
  // socket's bytes wait in the loop's arena, with no buffer of its own; bytes staged once there
  // may be written to many sockets (a published frame). TLS sockets gather their plaintext in
  // their session and are flushed from a list.
  struct Staged {
    std::size_t offset;
    std::size_t size;
  };
  Staged stage(std::string_view first, std::string_view second = {});
  void defer(Socket& socket, Staged bytes) { deferred_.push_back({&socket, bytes}); }
  std::string_view staged(Staged bytes) const {
    return std::string_view(arena_).substr(bytes.offset, bytes.size);
  }
  void flush_later(Socket& socket) { flush_list_.push_back(&socket); }

 private:
  void wait_and_dispatch();
  void run_posted();
  void free_retired();
  void flush_deferred();
  void drain_wakeup();

  struct Wakeup final : Pollable {
    explicit Wakeup(EventLoop& loop) : loop(loop) {}
    void on_poll(std::uint32_t) override;
    EventLoop& loop;
  };

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  Wakeup wakeup_{*this};
  bool stopping_ = false;
  Clock::time_point now_;
  TimerWheel timers_;
  ReadBuffers read_buffers_;
  CorkBuffer cork_buffer_;
  Socket* corked_ = nullptr;
  std::vector<Socket*> flush_list_;
  struct Deferred {
    Socket* socket;
    Staged bytes;
  };
  std::string arena_;               // this iteration's deferred bytes
  std::vector<Deferred> deferred_;  // which socket each piece is for, in order
  std::vector<std::pair<void*, void (*)(void*)>> retired_;

  Inbox inbox_;
  std::atomic<bool> stop_requested_ = false;  // stop() before run(): run() returns at once
  std::atomic<std::uint64_t> wakeups_ = 0;
  std::uint64_t batches_ = 0;  // loop thread only
};

}  // namespace wisp::net
