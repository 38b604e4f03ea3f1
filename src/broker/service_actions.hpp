// Service actions over Redis (include/wisp/actions.hpp is the user's side; the App owns one and
// starts it on its primary loop). Three connections of its own, beside the broker's:
//   commands  RPUSH of calls (a script that also bounds the queue's life), PUBLISH of answers
//   replies   subscribed to this process' reply channel P"reply:"<caller id>
//   worker    only when this process offers actions: BLPOP on P"svc:"<service>, one call at a
//             time; BLPOP hands each call to exactly one of the nodes waiting on the queue
// A call waits for Redis (within its timeout, at most max_pending calls) when Redis is not
// reachable; a node that takes a call and dies before answering leaves it to time out (a call
// runs at most once). Message format: action_messages.hpp.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "broker/loop_inbox.hpp"
#include "broker/redis_connection.hpp"
#include "wisp/actions.hpp"
#include "wisp/settings.hpp"

namespace wisp::broker {

class ServiceActions {
 public:
  struct Status {
    bool up = false;
    std::uint64_t reconnects = 0;    // connection attempts after a loss or a failed attempt
    std::uint64_t calls = 0;         // calls made from here
    std::uint64_t answered = 0;      // of which answered (ok or failed)
    std::uint64_t failed = 0;        // ... of those, failed
    std::uint64_t timeouts = 0;      // ... no node answered in time
    std::uint64_t unavailable = 0;   // ... Redis not reachable in time, or too many waiting
    std::uint64_t served = 0;        // calls this node's handlers answered
    std::uint64_t expired = 0;       // calls taken after their caller's deadline: not run
    std::uint64_t malformed = 0;     // messages from Redis that were not well formed (ignored)
    std::uint64_t answers_lost = 0;  // answers that could not be sent (Redis lost meanwhile)
  };

  // Offers `service`'s actions (empty: calls only). Throws std::invalid_argument for a bad url.
  ServiceActions(const RedisOptions& options, std::string service);
  ~ServiceActions();
  ServiceActions(const ServiceActions&) = delete;
  ServiceActions& operator=(const ServiceActions&) = delete;

  // Before start(). Throws std::logic_error when there is no service to offer it under.
  void action(std::string name, ActionHandler handler);
  // On the loop's thread; stop() before the loop ends. Calls still waiting then fail
  // (unavailable) and later ones fail at once.
  void start(net::EventLoop& loop);
  void stop();
  // Any thread. `done` runs once, on the loop (see ActionCallback).
  void call(std::string_view service, std::string_view action, json payload,
            std::chrono::milliseconds timeout, ActionCallback done);

  Status status() const;

 private:
  struct PendingCall;

  bool accepting() const { return !stopped_.load(std::memory_order_acquire); }
  void begin_call(std::shared_ptr<PendingCall> call);
  void send_call(PendingCall& call);
  void finish_call(const std::string& id, ActionResult result);
  void expire_call(PendingCall& call);
  void on_reply_push(const redisReply& push);
  void on_link_change();

  void take_next();
  void on_taken(const redisReply* reply);
  void serve(std::string_view request);

  const RedisOptions options_;
  const RedisEndpoint endpoint_;
  const std::string service_;
  const std::string prefix_;
  const std::string caller_id_;
  const std::string reply_channel_;
  const std::string push_sha_;
  std::unordered_map<std::string, ActionHandler> handlers_;

  std::shared_ptr<LoopInbox> inbox_ = std::make_shared<LoopInbox>();
  std::atomic<bool> stopped_{false};
  std::atomic<std::uint64_t> next_call_{1};

  // Loop thread only.
  net::EventLoop* loop_ = nullptr;
  std::unique_ptr<RedisConnection> commands_, replies_, worker_;
  bool reply_subscribed_ = false;
  std::unordered_map<std::string, std::shared_ptr<PendingCall>> calls_;
  std::size_t unsent_ = 0;  // calls in calls_ waiting for Redis

  std::atomic<bool> up_{false};
  std::atomic<std::uint64_t> reconnects_{0}, made_{0}, answered_{0}, failed_{0}, timeouts_{0},
      unavailable_{0}, served_{0}, expired_{0}, malformed_{0}, answers_lost_{0};
};

}  // namespace wisp::broker
