// History and recovery for hub rooms and for topics (docs/limits-and-delivery.md): a room or a
// topic whose name matches a HistoryRule keeps its last messages; each gets an offset (1, 2, 3...)
// within the stream's epoch, a random string made when the stream is made (after a restart, or once
// the stream was evicted, the epoch is new). A client that joins again with the last offset and
// epoch it saw gets exactly the messages it missed, then `recovered: true`, or `recovered: false`
// and why.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "wisp/opcode.hpp"

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp {

// Where a client stands in a stream: its epoch and the offset of the last message it got (0: none).
struct StreamPosition {
  std::string epoch;
  std::uint64_t offset = 0;
};

// Turns a topic's kept message into the bytes its subscribers get, e.g. a JSON carrying `at`, so
// that the client learns the position it must resubscribe with. It runs once per message and
// node, not per subscriber (on the publishing thread, under the topic streams' lock; with the
// Redis broker on its loop thread), and again for each message a recovery sends (on the
// socket's thread): it must give the same bytes for the same message and position, and must not
// publish. One that throws is reported on stderr and its message goes as published.
using HistoryFormatter =
    std::function<std::string(std::string_view message, const StreamPosition& at)>;

// Rooms (topics) whose name starts with `prefix` ("" for every one) keep their last `size`
// messages, each for `ttl`. Where several rules match, the longest prefix wins.
struct HistoryRule {
  std::string prefix;
  std::size_t size = 100;
  std::chrono::milliseconds ttl = std::chrono::minutes(5);
  // Topics only (AppOptions::topic_history; a hub's envelopes carry their offset and epoch
  // already). None: subscribers get the message as published.
  HistoryFormatter format{};
};

// The reasons of `recovered: false`.
namespace recovery_refused {
inline constexpr std::string_view epoch_changed = "epoch changed";      // the history was lost
inline constexpr std::string_view history_trimmed = "history trimmed";  // missed ones are gone
inline constexpr std::string_view too_many_missed = "too many missed";  // past max_recover
// The Redis broker's stream could not be read (Redis unreachable, or no answer in time).
inline constexpr std::string_view unavailable = "history unavailable";
// Topics only (WebSocket::subscribe with a position): the topic matches no rule of
// AppOptions::topic_history, or the socket was subscribed already (it keeps its subscription).
inline constexpr std::string_view no_history = "no history";
inline constexpr std::string_view already_subscribed = "already subscribed";
}  // namespace recovery_refused

struct HistorySettings {
  std::vector<HistoryRule> rooms;  // none: no room keeps history
  // Bounds for the whole hub: past either, the streams written to longest ago are dropped
  // whole (their epoch ends with them), and counted in HistoryStats::streams_evicted.
  std::size_t max_streams = 10'000;
  std::size_t max_bytes = 64 * 1024 * 1024;  // the envelopes' bytes
  // A recovery missing more messages than this is refused ("too many missed").
  std::size_t max_recover = 1000;
};

// The topics of an App that keep history (AppOptions::topic_history), and bounds for all of them
// together, as HistorySettings' for a hub.
struct TopicHistorySettings {
  std::vector<HistoryRule> topics;  // none: no topic keeps history
  std::size_t max_streams = 10'000;
  std::size_t max_bytes = 64 * 1024 * 1024;  // the messages' bytes
  std::size_t max_recover = 1000;
};

// What WebSocket::subscribe(topic, since, done) found: whether the socket got every message it
// missed after `since` (then the live ones follow), or why not (recovery_refused::); and the
// stream's position at the subscription: the offset of the last message before the live ones.
struct TopicRecovery {
  bool recovered = false;
  std::string_view reason;  // empty when recovered, or when no position was given
  StreamPosition position;
};

// One kept message of a topic, as published (App::topic_history).
struct TopicMessage {
  std::uint64_t offset = 0;
  OpCode op = OpCode::Text;
  std::string message;
};

// A topic's stream as App::topic_history reads it, like RoomHistory.
struct TopicHistory {
  std::string epoch;
  std::uint64_t offset = 0;
  std::vector<TopicMessage> messages;
};

// One kept message, as Room::history reads it.
struct HistoryMessage {
  std::uint64_t offset = 0;
  std::string type;
  nlohmann::json data;
};

// A room's stream: its epoch, the offset of its last message (0: none yet) and the messages
// read, oldest first. A room without history: an empty epoch and no messages.
struct RoomHistory {
  std::string epoch;
  std::uint64_t offset = 0;
  std::vector<HistoryMessage> messages;
};

// Counters since the hub was made (Hub::history_stats), or the App for its topics
// (Metrics::topic_history; `recovered`, `recovery_refused`: subscriptions at a position):
// nothing is dropped uncounted. With the
// Redis broker the streams are in Redis, not on the node: streams, messages, bytes, the trimmed
// and the evicted stay 0 (Redis trims by HistoryRule::size and expires a stream `ttl` after its
// last message); appended counts this node's emits handed to the broker (those Redis never took
// are counted lost in the broker's metrics), recovered and recovery_refused this node's joins.
struct HistoryStats {
  std::size_t streams = 0;   // now
  std::size_t messages = 0;  // now
  std::size_t bytes = 0;     // now
  std::uint64_t appended = 0;
  std::uint64_t trimmed_by_size = 0;  // pushed out by HistoryRule::size
  std::uint64_t trimmed_by_age = 0;   // older than HistoryRule::ttl
  std::uint64_t streams_evicted = 0;  // past max_streams or max_bytes (messages included)
  std::uint64_t evicted_messages = 0;
  std::uint64_t recovered = 0;         // joins that recovered
  std::uint64_t recovery_refused = 0;  // joins answered recovered: false
};

}  // namespace wisp

#pragma GCC visibility pop
