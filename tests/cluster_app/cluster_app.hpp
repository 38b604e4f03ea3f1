// What the cluster App tests share: a real redis-server per test and several Apps (nodes) in this
// process sharing it, each running on a thread of its own with short broker timings, so that
// faults show within a test. Each node has a plain route /ps (client registry on; a client is told
// its id, subscribes to topic "t", and what it sends is ws.publish'ed to "t"), a hub on /ws, and
// /feed for topics "feed*" with history (tests/support/topic_feed.hpp).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hub_client.hpp"
#include "redis_server.hpp"
#include "topic_feed.hpp"

namespace wisp::test {

using namespace std::chrono_literals;

inline RedisOptions cluster_options(const std::string& url) {
  RedisOptions options;
  options.url = url;
  options.heartbeat_interval = 150ms;
  options.node_timeout = 1s;
  options.presence_ttl = 1s;
  options.reconnect_min = 20ms;
  options.reconnect_max = 200ms;
  options.gather_timeout = 1s;
  return options;
}

// Polls `condition` (for states with no event to await, e.g. another node's view) for at most
// `limit`.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// The answer of a cluster-wide call (`call` is given the callback), or nullopt after 5 s.
template <class T>
std::optional<T> answer(const std::function<void(std::function<void(T)>)>& call) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  call([promise](T value) { promise->set_value(std::move(value)); });
  if (future.wait_for(5s) != std::future_status::ready) return std::nullopt;
  return future.get();
}

class Node {
 public:
  explicit Node(const RedisOptions& redis, const HubSettings& hub = {}, unsigned threads = 2)
      : app_({.threads = threads, .redis = redis, .topic_history = feed_history()}),
        hub_(app_.hub("/ws", hub)) {
    add_feed_route(app_);
    WebSocketSettings settings;
    settings.client_registry = true;
    app_.ws("/ps", {.settings = settings,
                    .open =
                        [](WebSocket& ws) {
                          ws.subscribe("t");
                          ws.send(ws.client_id());
                        },
                    .message = [](WebSocket& ws, std::string_view message,
                                  OpCode op) { ws.publish("t", message, op); }});
    app_.expose_metrics();
    running_.emplace(app_);
  }
  App& app() { return app_; }
  Hub& hub() { return hub_; }
  std::uint16_t port() const { return app_.port(); }
  bool up() const { return app_.metrics().broker.up; }
  // Stops it gracefully now (its clients are closed with 1001).
  void stop() { running_.reset(); }

 private:
  App app_;
  Hub& hub_;
  std::optional<ServerThread> running_;
};

// A client of /ps: it reads its id first.
class PsClient {
 public:
  explicit PsClient(std::uint16_t port) : raw_(port) {
    raw_.handshake("/ps");
    id_ = next();
  }
  const std::string& id() const { return id_; }
  RawClient& raw() { return raw_; }
  void send(std::string_view text) { raw_.send_frame(kTextFrame, text); }
  // The next text message; throws on a close or a timeout.
  std::string next() {
    auto frame = raw_.read_frame();
    if (!frame) throw std::runtime_error("the server closed the connection");
    if (frame->opcode == 0x8)
      throw std::runtime_error("a close frame: " + std::to_string(frame->close_code()));
    return frame->payload;
  }

 private:
  RawClient raw_;
  std::string id_;
};

// Several nodes on one Redis, every broker up.
class Cluster {
 public:
  Cluster(std::size_t count, const RedisServer& redis)
      : Cluster(count, cluster_options(redis.url())) {}
  Cluster(std::size_t count, const RedisOptions& options, const HubSettings& hub = {}) {
    for (std::size_t i = 0; i < count; ++i) nodes_.push_back(std::make_unique<Node>(options, hub));
    for (auto& node : nodes_)
      if (!eventually([&] { return node->up(); }))
        throw std::runtime_error("a broker did not come up");
  }
  Node& operator[](std::size_t i) { return *nodes_[i]; }
  std::size_t size() const { return nodes_.size(); }
  // Until every node counts `clients` cluster-wide (their directories are kept by heartbeats).
  bool counts(std::size_t clients) {
    return eventually([&] {
      for (auto& node : nodes_) {
        auto n = answer<std::size_t>([&](auto done) { node->app().client_count(done); });
        if (n != clients) return false;
      }
      return true;
    });
  }

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
};

}  // namespace wisp::test

namespace wisp::test {

// A reader of one client: the next message's text (a /ps payload, a hub envelope's type).
using Reader = std::function<std::string()>;

inline Reader reader(PsClient& client) {
  return [&client] { return client.next(); };
}
inline Reader reader(HubClient& client) {
  return [&client] { return client.next()["type"].get<std::string>(); };
}

// Cross-node topics are subscribed in Redis asynchronously: until every reader has seen a
// "probe" (sent by `probe` every 20 ms meanwhile), then `marker` once ("marker"), read up to by
// every reader, so that what is sent next reaches every reader after it.
inline void settle(const std::function<void()>& probe, const std::function<void()>& marker,
                   const std::vector<Reader>& readers) {
  std::atomic<bool> done{false};
  std::thread prober([&] {
    while (!done) {
      probe();
      std::this_thread::sleep_for(20ms);  // pacing, not synchronisation
    }
  });
  try {
    for (const auto& read : readers)
      while (read() != "probe") {
      }
  } catch (...) {
    done = true;
    prober.join();
    throw;
  }
  done = true;
  prober.join();
  marker();
  for (const auto& read : readers)
    while (read() != "marker") {
    }
}

// GET `path` on 127.0.0.1:port: the response body.
inline std::string http_get(std::uint16_t port, std::string_view path) {
  RawClient raw(port);
  raw.send("GET " + std::string(path) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  return raw.read_http_response().body;
}

}  // namespace wisp::test
