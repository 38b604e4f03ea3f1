// History and recovery for hub rooms (docs/limits-and-delivery.md): a room whose name matches a
// HistoryRule keeps its last messages; each gets an offset (1, 2, 3...) within the stream's
// epoch, a random string made when the stream is made (after a restart, or once the stream was
// evicted, the epoch is new). A client that joins again with the last offset and epoch it saw
// gets exactly the messages it missed, then `recovered: true`, or `recovered: false` and why.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp {

// Rooms whose name starts with `prefix` ("" for every room) keep their last `size` messages,
// each for `ttl`. Where several rules match a room, the longest prefix wins.
struct HistoryRule {
  std::string prefix;
  std::size_t size = 100;
  std::chrono::milliseconds ttl = std::chrono::minutes(5);
};

// The reasons of `recovered: false`.
namespace recovery_refused {
inline constexpr std::string_view epoch_changed = "epoch changed";      // the history was lost
inline constexpr std::string_view history_trimmed = "history trimmed";  // missed ones are gone
inline constexpr std::string_view too_many_missed = "too many missed";  // past max_recover
// The Redis broker's stream could not be read (Redis unreachable, or no answer in time).
inline constexpr std::string_view unavailable = "history unavailable";
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

// Counters since the hub was made (Hub::history_stats): nothing is dropped uncounted. With the
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
