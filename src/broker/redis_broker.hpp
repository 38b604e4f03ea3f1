// The Redis broker: many nodes (processes, machines) of one service sharing one Redis.
//
// Two connections on the loop given to start(): one for commands (pipelined), one in subscribe
// mode. Channels, under RedisOptions::prefix P:
//   P"t:"topic   a topic's publishes; subscribed only while this node has a subscriber of it
//   P"n:"node    this node's own: commands for a client here, answers to its gathers
//   P"all"       every node's: to_all commands, gather questions
// Messages are broker_wire.hpp's; the client-id directory and node liveness are
// redis_scripts.hpp's keys.
//
// Before start() calls are kept, in order, and take effect when it runs (messages beyond
// max_pending are then counted lost). While Redis is unreachable, messages for other nodes wait
// (up to max_pending, then they are counted lost) and go out in order on reconnection. After
// stop() they are counted lost at once. Local delivery never waits for Redis.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "broker/broker.hpp"
#include "broker/broker_wire.hpp"
#include "broker/loop_inbox.hpp"
#include "broker/redis_connection.hpp"
#include "broker/redis_history.hpp"
#include "broker/redis_presence.hpp"
#include "broker/redis_url.hpp"
#include "net/loop_timer.hpp"

namespace wisp::broker {

class RedisBroker final : public Broker {
 public:
  // Throws std::invalid_argument for a bad options.url.
  RedisBroker(const RedisOptions& options, Node& node);
  ~RedisBroker() override;

  void start(net::EventLoop& loop) override;
  void stop() override;
  void publish(const Publish& message) override;
  void topic_active(std::string_view topic) override;
  void topic_idle(std::string_view topic) override;
  void client_added(std::string_view client_id) override;
  void client_removed(std::string_view client_id) override;
  void to_client(std::string_view client_id, std::string_view kind, std::string_view payload,
                 Delivered done) override;
  void to_node(std::string_view node_id, std::string_view kind, std::string_view payload) override;
  void to_all(std::string_view kind, std::string_view payload) override;
  void gather(std::string_view kind, std::string_view payload, std::chrono::milliseconds timeout,
              Gathered done) override;
  void history_append(const HistoryAppend& message) override;
  void history_read(const HistoryRead& read, StreamReadDone done) override;
  BrokerStatus status() const override;
  PresenceStore* presence() override { return &presence_; }

 private:
  friend struct StreamReading;
  // A message for other nodes: a Redis command, and what to do with the number of nodes that
  // received it (-1: lost).
  using Sent = std::function<void(long long receivers)>;
  struct Outgoing {
    std::vector<std::string> args;
    Sent sent;
  };
  struct Gathering;

  bool accepting() const { return !stopped_.load(std::memory_order_acquire); }
  void submit(Outgoing message);
  void send(Outgoing message);
  void issue(Outgoing message);
  void give_up(Outgoing& message);
  std::optional<std::string> command_bytes(std::string_view kind, std::string_view payload);

  void on_commands_ready();
  void on_subscriber_ready();
  void on_link_change();
  void load_scripts();
  void write_directory();
  void heartbeat();
  void send_heartbeat(bool rewrite_if_unknown);
  void ping_subscriber();
  bool silent_since(const RedisConnection& connection,
                    std::chrono::steady_clock::time_point asked) const;
  void directory_command(std::span<const std::string_view> args);

  void subscribe_topics(const std::vector<std::string>& topics, bool on);
  void on_push(const redisReply& push);
  void on_message(std::string_view channel, std::string_view bytes);
  bool on_topic_message(std::string_view topic, const wire::Message& message);
  bool on_node_message(const wire::Message& message);
  bool on_all_message(const wire::Message& message);

  void start_gather(std::uint64_t id, std::string own, std::string question,
                    std::chrono::milliseconds timeout, Gathered done);
  void answer_question(std::string_view reply_node, std::uint64_t request, std::string_view kind,
                       std::string_view payload);
  void on_answer(std::uint64_t request, std::string_view answer);
  void check_gather(std::uint64_t request);
  void finish_gather(std::uint64_t request, bool complete);

  // Streams (broker/redis_history.cpp).
  std::vector<std::string> stream_keys(std::string_view topic) const;
  void start_read(std::unique_ptr<StreamReading> reading, std::string topic, bool subscribe);
  void send_read(std::uint64_t request);
  void on_subscribed(std::string_view channel);
  bool on_read_answer(std::uint64_t request, std::string_view payload);
  void finish_read(std::uint64_t request, std::optional<StreamRead> read);

  std::string topic_channel(std::string_view topic) const;

  const RedisOptions options_;
  const RedisEndpoint endpoint_;
  Node& node_;
  const std::string node_id_;
  // Names in Redis.
  const std::string topic_prefix_, node_channel_prefix_, node_channel_, all_channel_;
  const std::string clients_key_, nodes_key_, node_clients_prefix_, node_clients_key_;
  const std::string route_sha_, heartbeat_sha_, forget_sha_, remove_sha_;
  const std::string append_script_, read_script_, append_sha_, read_sha_;

  std::shared_ptr<LoopInbox> inbox_ = std::make_shared<LoopInbox>();
  RedisPresence presence_{options_, node_id_, inbox_};
  std::atomic<bool> stopped_{false};
  std::atomic<std::uint64_t> next_request_{1};

  // Loop thread only.
  net::EventLoop* loop_ = nullptr;
  std::unique_ptr<RedisConnection> commands_;
  std::unique_ptr<RedisConnection> subscriber_;
  std::deque<Outgoing> backlog_;                // waiting for the command connection
  std::unordered_set<std::string> topics_;      // with a subscriber here
  std::unordered_set<std::string> client_ids_;  // connected here
  std::unordered_map<std::uint64_t, std::unique_ptr<Gathering>> gatherings_;
  std::unordered_map<std::uint64_t, std::unique_ptr<StreamReading>> readings_;
  // Topic channels Redis confirmed on the subscriber connection, and the reads waiting for one.
  std::unordered_set<std::string> confirmed_;
  std::unordered_map<std::string, std::vector<std::uint64_t>> reads_waiting_;
  net::LoopTimer heartbeat_timer_;
  bool heartbeat_waiting_ = false;
  std::chrono::steady_clock::time_point heartbeat_sent_{};
  bool all_subscribed_ = false;  // Redis confirmed this node's and the all-nodes channels
  bool subscriber_ping_waiting_ = false;
  std::chrono::steady_clock::time_point subscriber_ping_sent_{};

  std::vector<std::string_view> args_;  // scratch for issue()
  std::atomic<bool> up_{false};
  std::atomic<std::uint64_t> reconnects_{0}, published_{0}, received_{0}, lost_{0}, malformed_{0},
      pending_{0};
};

}  // namespace wisp::broker
