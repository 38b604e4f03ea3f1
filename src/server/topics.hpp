// Pub/sub topics on one loop thread: who is subscribed to what, and delivery to them.
//
// Each loop keeps its own table, so subscribing and delivering take no lock; a publish reaches
// the other loops as a posted task carrying the frame, built once (see AppState::publish).
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/event_loop.hpp"
#include "wisp/opcode.hpp"

namespace wisp::server {

class Connection;
class LoopCompression;

// One published message as one loop delivers it: its frame header, built once, and the
// compressed frames, built once per window size on first need.
class Publication {
 public:
  Publication(OpCode op, std::string_view payload, bool compress, LoopCompression& compression);
  Publication(const Publication&) = delete;
  Publication& operator=(const Publication&) = delete;

  OpCode op() const { return op_; }
  std::string_view payload() const { return payload_; }
  bool compress() const { return compress_; }
  std::string_view header() const { return {header_, header_size_}; }
  // The whole frame (header and payload) compressed on its own with `window_bits`.
  std::string_view compressed_frame(int window_bits);
  // The plain frame in the loop's arena, copied there once for every subscriber that takes it.
  net::EventLoop::Staged staged();

 private:
  OpCode op_;
  std::string_view payload_;
  bool compress_;
  LoopCompression& compression_;
  char header_[14];
  std::size_t header_size_;
  std::array<std::string, 8> compressed_;  // by window bits 8-15; empty until needed
  std::optional<net::EventLoop::Staged> staged_;
};

struct Topic {
  std::string name;
  std::vector<Connection*> subscribers;
};

// The topics one socket is subscribed to; allocated only once it subscribes.
using Subscriptions = std::vector<Topic*>;

class TopicTable {
 public:
  // Reports each change of a topic's local subscriber count (+1 / -1), for the app-wide counts.
  using CountObserver = std::function<void(std::string_view topic, int change)>;
  explicit TopicTable(CountObserver observer) : observer_(std::move(observer)) {}
  TopicTable(const TopicTable&) = delete;
  TopicTable& operator=(const TopicTable&) = delete;

  // True if `subscriber` was not yet subscribed.
  bool subscribe(Connection& subscriber, std::unique_ptr<Subscriptions>& mine,
                 std::string_view name);
  // True if `subscriber` was subscribed. An emptied topic is freed.
  bool unsubscribe(Connection& subscriber, std::unique_ptr<Subscriptions>& mine,
                   std::string_view name);
  void unsubscribe_all(Connection& subscriber, std::unique_ptr<Subscriptions>& mine);

  // Writes the message to every local subscriber of `name` but `except`.
  void deliver(std::string_view name, Publication& message, const Connection* except) const;

  std::size_t size() const { return topics_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  void remove(Connection& subscriber, Topic& topic);

  std::unordered_map<std::string, std::unique_ptr<Topic>, Hash, std::equal_to<>> topics_;
  CountObserver observer_;
};

}  // namespace wisp::server
