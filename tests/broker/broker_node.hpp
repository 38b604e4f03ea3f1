// One node of a test cluster: a RedisBroker on an event-loop thread of its own, and the engine's
// side of it, a Node that records what arrives (what the engine would deliver or run).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "broker/broker.hpp"
#include "net/event_loop.hpp"

namespace wisp::test {

using namespace std::chrono_literals;

class RecordingNode final : public broker::Node {
 public:
  struct Delivery {
    std::string topic, message;
    OpCode op;
    bool compress;
    std::string except_client;
    std::chrono::steady_clock::time_point at;  // when it arrived
  };
  struct Command {
    std::string kind, payload;
  };

  explicit RecordingNode(std::string name) : name_(std::move(name)) {}

  void deliver(const broker::Publish& message) override {
    std::lock_guard lock(mutex_);
    deliveries_.push_back({std::string(message.topic), std::string(message.message), message.op,
                           message.compress, std::string(message.except_client),
                           std::chrono::steady_clock::now()});
    changed_.notify_all();
  }
  bool holds(std::string_view client_id) const override {
    std::lock_guard lock(mutex_);
    return held_.count(std::string(client_id)) != 0;
  }
  void command(std::string_view kind, std::string_view payload) override {
    std::lock_guard lock(mutex_);
    commands_.push_back({std::string(kind), std::string(payload)});
    changed_.notify_all();
  }
  // "<node name>:<kind>:<payload>", so that a test sees who answered what.
  std::string answer(std::string_view kind, std::string_view payload) override {
    return name_ + ":" + std::string(kind) + ":" + std::string(payload);
  }

  void hold(const std::string& client_id) {
    std::lock_guard lock(mutex_);
    held_.insert(client_id);
  }
  std::vector<Delivery> deliveries() const {
    std::lock_guard lock(mutex_);
    return deliveries_;
  }
  std::vector<Command> commands() const {
    std::lock_guard lock(mutex_);
    return commands_;
  }
  // Waits (at most `limit`) until `done(deliveries, commands)` holds.
  bool wait(
      const std::function<bool(const std::vector<Delivery>&, const std::vector<Command>&)>& done,
      std::chrono::milliseconds limit = 10s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return done(deliveries_, commands_); });
  }
  bool wait_deliveries(std::size_t count, std::chrono::milliseconds limit = 10s) {
    return wait([count](auto& d, auto&) { return d.size() >= count; }, limit);
  }
  bool wait_commands(std::size_t count, std::chrono::milliseconds limit = 10s) {
    return wait([count](auto&, auto& c) { return c.size() >= count; }, limit);
  }

 private:
  std::string name_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Delivery> deliveries_;
  std::vector<Command> commands_;
  std::set<std::string> held_;
};

// Polls `condition` until it holds or `limit` passes: for what has no event to wait on (a
// broker's status, Redis' state).
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

class BrokerNode {
 public:
  BrokerNode(const std::string& name, RedisOptions options) : node(name) {
    options.node_id = name;
    broker = broker::make_redis_broker(options, node);
    std::promise<net::EventLoop*> started;
    thread_ = std::thread([this, &started] {
      net::EventLoop loop;
      started.set_value(&loop);
      loop.run();
      released_.get_future().wait();
      broker.reset();  // on the loop's thread, the loop still alive
    });
    loop_ = started.get_future().get();
    on_loop([this] { broker->start(*loop_); });
  }
  ~BrokerNode() {
    if (!frozen_) on_loop([this] { broker->stop(); });
    loop_->stop();
    released_.set_value();
    thread_.join();
  }
  BrokerNode(const BrokerNode&) = delete;
  BrokerNode& operator=(const BrokerNode&) = delete;

  // Runs `task` on the node's loop and waits for it (at most 10 s).
  void on_loop(std::function<void()> task) {
    std::promise<void> done;
    loop_->post([&] {
      task();
      done.set_value();
    });
    if (done.get_future().wait_for(10s) != std::future_status::ready)
      throw std::runtime_error("the node's loop did not run a task in 10 s");
  }
  // The node stops dead: no heartbeat, no answer, nothing read (a hung or killed process).
  void freeze() {
    frozen_ = true;
    loop_->stop();
  }
  broker::BrokerStatus status() const { return broker->status(); }

  RecordingNode node;
  std::unique_ptr<broker::Broker> broker;

 private:
  std::thread thread_;
  net::EventLoop* loop_ = nullptr;
  std::promise<void> released_;
  bool frozen_ = false;
};

}  // namespace wisp::test
