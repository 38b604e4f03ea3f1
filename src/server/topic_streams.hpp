// The App's topics with history (AppOptions::topic_history; docs/limits-and-delivery.md): each
// publish to one gets the stream's next offset and is kept, in memory on this node
// (events::HistoryStore) or, with a cluster broker, in the broker's streams (Redis) for every
// node; a socket subscribing at a position first gets what it missed.
//
// Why a subscription at a position can neither miss nor repeat a message: as for the hub's
// rooms (events/history_hub.cpp, history_cluster.cpp). One node: under the store's lock a
// publish takes its offset and goes to every loop's inbox (an ordered publish), and a
// subscription reads the stream's last offset T and posts itself to its socket's loop, so that
// loop delivers every message up to T before the subscription runs, and every later one after;
// the subscription sends the missed ones up to T from the store, then subscribes. A cluster
// broker answers the read in order with the topic's deliveries, to the same effect.
//
// A kept message is its opcode (one byte) and its bytes. Subscribers get it formatted by its
// rule's HistoryRule::format, once per node, at delivery (ClusterNode::deliver).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "broker/broker.hpp"
#include "events/history_store.hpp"
#include "wisp/history.hpp"

namespace wisp::server {

class Connection;
class Loops;

class TopicStreams {
 public:
  using Subscribed = std::function<void(TopicRecovery)>;
  using Read = std::function<void(std::optional<TopicHistory>)>;

  TopicStreams(const TopicHistorySettings& settings, broker::Broker& broker, Loops& loops);

  // False: the topic keeps no history (it is published as any). Else the message is kept and
  // published to every subscriber, the sender's socket included: what a socket gets of a stream,
  // live or recovered, is the whole stream.
  bool publish(const broker::Publish& message);
  // The bytes subscribers get for a delivered kept message (Publish::offset set); nullopt: the
  // message as it is.
  std::optional<std::string> formatted(const broker::Publish& message) const;
  // On the socket's loop thread. `done` runs there once the socket is subscribed (not if it
  // closed first), after the missed messages were sent.
  void subscribe(Connection& socket, std::string_view topic, const StreamPosition& since,
                 Subscribed done);
  // The stream's last `limit` messages; nullopt: the broker's stream could not be read.
  void read(std::string_view topic, std::size_t limit, Read done);

  HistoryStats stats() const { return store_.stats(); }

 private:
  bool clustered() const { return !broker_.alone(); }
  void subscribe_clustered(Connection& socket, std::string_view topic, const HistoryRule& rule,
                           const StreamPosition& since, Subscribed done);

  broker::Broker& broker_;
  Loops& loops_;
  events::HistoryStore store_;  // one node: the streams; a cluster broker's: the counters only
};

}  // namespace wisp::server
