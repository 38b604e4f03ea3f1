// One connection to Redis on a wisp event loop, kept up: hiredis' RESP writer and reader over a
// non-blocking socket registered with the loop's epoll set; reconnection with exponential
// backoff and full jitter; AUTH and SELECT on every (re)connect.
//
// Why not hiredis' async API (redisAsyncContext): the Debian 0.14 release knows nothing of
// sharded pub/sub (SSUBSCRIBE's "smessage" pushes are dropped), and it asserts (aborts) on
// replies it does not expect. Here every reply goes, in order, to the command waiting for it;
// a reply no command waits for is a push (pub/sub) handed to Events::push.
//
// Pipelining: commands are appended to hiredis' output buffer and leave in one write when the
// loop next finds the socket writable, however many were queued in between. Loop thread only.
#pragma once

#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/redis_url.hpp"
#include "net/event_loop.hpp"
#include "net/loop_timer.hpp"

namespace wisp::broker {

class RedisConnection final : public net::Pollable {
 public:
  // A command's reply; nullptr when the connection went away before it came (the command may or
  // may not have run).
  using Reply = std::function<void(const redisReply* reply)>;
  struct Events {
    std::function<void()> ready;  // connected and logged in: commands may be sent
    std::function<void()> lost;   // a ready connection went away; reconnection is scheduled
    std::function<void(const redisReply& push)> push;  // a reply no command waits for
  };
  struct Retry {
    std::chrono::milliseconds min{100};
    std::chrono::milliseconds max{5000};
    std::chrono::milliseconds connect_timeout{5000};  // connect + AUTH + SELECT, per attempt
  };

  // `reconnects` counts the attempts after a loss or a failed attempt (shared by a broker's
  // connections; read from any thread).
  RedisConnection(net::EventLoop& loop, RedisEndpoint endpoint, Retry retry, Events events,
                  std::atomic<std::uint64_t>& reconnects);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // The first attempt; a failure is retried with backoff until close().
  void open();
  // For good: no more attempts; waiting commands get nullptr.
  void close();
  // Drops the connection (e.g. Redis stopped answering) and reconnects with backoff.
  void reset(std::string_view why);

  bool ready() const { return state_ == State::ready; }
  // A command whose reply goes to `done`; when not ready, done(nullptr) at once.
  void command(std::span<const std::string_view> args, Reply done);
  // A command answered by pushes only (SUBSCRIBE and kin); dropped when not ready.
  void push_command(std::span<const std::string_view> args);
  // Writes what is queued now, without waiting (before close(), so that a farewell leaves).
  void flush_now();

  const std::string& last_error() const { return last_error_; }
  // When bytes last came in (the loop's clock): a connection still receiving is alive, however
  // long the answer to a given command takes behind what it receives first.
  net::EventLoop::Clock::time_point last_read() const { return last_read_; }

 private:
  enum class State { closed, waiting, connecting, handshaking, ready };

  void on_poll(std::uint32_t events) override;
  void connect();
  void check_connected();
  void handshake();
  void fail(std::string_view why);
  void teardown();
  void schedule_retry();
  void read_replies();
  void parse_replies(redisContext* c);
  void write_out();
  void dispatch(const redisReply& reply);
  void append(std::span<const std::string_view> args);
  void want_write(bool on);

  net::EventLoop& loop_;
  RedisEndpoint endpoint_;
  Retry retry_;
  Events events_;
  State state_ = State::closed;
  redisContext* ctx_ = nullptr;
  bool write_armed_ = false;
  std::deque<Reply> waiting_;
  net::LoopTimer retry_timer_;
  net::LoopTimer connect_timer_;
  unsigned failures_ = 0;
  std::atomic<std::uint64_t>& reconnects_;
  std::string last_error_;
  net::EventLoop::Clock::time_point last_read_{};
  std::minstd_rand rng_;
  std::vector<const char*> argv_;  // scratch for append()
  std::vector<std::size_t> argv_len_;
};

}  // namespace wisp::broker
