// Counters of a running App, summed over its loop threads.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "wisp/history.hpp"

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp {

// How the app's broker is doing (docs/scaling-out.md); counters since start.
struct BrokerMetrics {
  std::string kind = "local";    // "local" (one process) or "redis"
  std::string node_id{};         // this node's id (the local broker: empty)
  bool up = true;                // connected to what it needs (the local broker: always)
  std::uint64_t reconnects = 0;  // connection attempts after a loss or a failed start
  std::uint64_t published = 0;   // messages sent to other nodes
  std::uint64_t received = 0;    // messages received from other nodes
  std::uint64_t lost = 0;        // messages that could not reach other nodes
  std::uint64_t malformed = 0;   // messages from other nodes that could not be used (ignored)
  std::uint64_t pending = 0;     // messages waiting for the broker to come back
};

// Service actions (docs/scaling-out.md): the calls made from here and how each ended, and the
// calls this node's handlers answered; counters since start (zero without Redis).
struct ActionMetrics {
  bool up = true;                  // its Redis connections are ready (without Redis: always)
  std::uint64_t reconnects = 0;    // connection attempts after a loss or a failed attempt
  std::uint64_t calls = 0;         // App::call from here
  std::uint64_t answered = 0;      // ... answered by a node, ok or failed
  std::uint64_t failed = 0;        // ... of those, failed (the handler threw, or no such action)
  std::uint64_t timeouts = 0;      // ... no node answered within the call's timeout
  std::uint64_t unavailable = 0;   // ... Redis not reachable in time, too many waiting, or stopped
  std::uint64_t handled = 0;       // calls this node's handlers answered
  std::uint64_t expired = 0;       // calls taken after their caller's deadline: not run
  std::uint64_t answers_lost = 0;  // answers that could not be sent back (Redis lost meanwhile)
  std::uint64_t malformed = 0;     // messages from Redis that could not be used (ignored)
};

// Counters of the acks of one hub on this node (Hub::ack_stats), since start.
struct AckStats {
  std::uint64_t waiting = 0;  // now: callbacks of this node waiting for answers
  std::uint64_t owed = 0;     // now: answers this node's clients owe (to any node)
  // Outcomes of this node's callbacks, per client answer or failure.
  std::uint64_t answered = 0, timed_out = 0, disconnected = 0, refused = 0, dropped = 0;
  // Answers after their callback had timed out (not passed on: a callback runs once).
  std::uint64_t late = 0;
  // Ack messages from this node's clients that matched nothing owed (late past the owing
  // node's own timeout, sent twice, or made up).
  std::uint64_t unmatched = 0;
};

struct Metrics {
  std::uint64_t connections = 0;         // TCP connections now (handshaking, open or closing)
  std::uint64_t websockets = 0;          // WebSockets open now
  std::uint64_t opened = 0;              // WebSockets opened since start
  std::map<int, std::uint64_t> closes;   // WebSockets closed since start, by close code
  std::uint64_t handshakes_refused = 0;  // HTTP answers other than 101 to upgrade attempts
  std::uint64_t messages_in = 0;
  std::uint64_t messages_out = 0;
  std::uint64_t bytes_in = 0;   // message bytes (after decompression)
  std::uint64_t bytes_out = 0;  // message bytes (before compression)
  std::uint64_t dropped = 0;    // messages dropped by the backpressure policy
  std::map<std::string, std::uint64_t> dropped_by_route;  // the same, by WebSocket route pattern
  std::uint64_t backpressure_closes = 0;
  std::uint64_t rate_limited = 0;  // messages past a rate limit
  // Flow control: sockets not read now because their unsent bytes are over
  // WebSocketSettings::backlog_high_water, and how often a socket was paused so.
  std::uint64_t input_paused = 0;
  std::uint64_t input_pauses = 0;
  unsigned threads = 0;  // event-loop threads configured (AppOptions::threads)
  BrokerMetrics broker{};
  ActionMetrics actions{};
  std::map<std::string, AckStats> hub_acks;  // each hub's (App::hub), by its path
  HistoryStats topic_history{};              // the topics' streams (AppOptions::topic_history)

  // The Prometheus text exposition format (version 0.0.4), every name prefixed "wisp_".
  std::string prometheus() const;
};

}  // namespace wisp

#pragma GCC visibility pop
