// Streams in memory (one node), of a hub's rooms or an App's topics: per stream, the epoch, the
// last offset and the last messages (a room's envelopes as sent, a topic's messages), bounded per
// stream by its HistoryRule and for all of them by HistorySettings' caps. One lock for the hub;
// what must be ordered with the offsets (the publish of a message, the subscription of a joining
// client) runs under it.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "wisp/history.hpp"

namespace wisp::events {

using StreamPosition = wisp::StreamPosition;

// What a join with a position finds.
struct Recovery {
  StreamPosition now;  // the stream's position as read
  bool recovered = false;
  std::string_view reason;          // when not recovered (recovery_refused::)
  std::vector<std::string> missed;  // the envelopes after the client's offset, oldest first
};

// Why a client at `since` cannot recover from a stream at `now` whose first kept message is
// `first_kept` (recovery_refused::), or empty: it can.
std::string_view refusal(const StreamPosition& now, std::uint64_t first_kept,
                         const StreamPosition& since, std::size_t max_recover);

// A stream's position and its last kept messages, oldest first.
struct Kept {
  StreamPosition now;
  std::vector<std::string> messages;
};

// What a stream read at `now` (its first kept offset, the messages kept after `since`) gives a
// client at `since` (null: none asked, so only the position).
Recovery recovery_of(const StreamPosition& now, std::uint64_t first_kept,
                     std::vector<std::string> kept_after, const StreamPosition* since,
                     std::size_t max_recover);

// A kept envelope as Room::history gives it.
HistoryMessage history_message(std::string_view envelope);

class HistoryStore {
 public:
  using Clock = std::chrono::steady_clock;

  explicit HistoryStore(HistorySettings settings);

  // The rule of a room (the longest matching prefix), or null: the room keeps no history.
  const HistoryRule* rule_for(std::string_view room) const;

  // Gives the room's next offset and its epoch to `make`, which returns the envelope; keeps it
  // and hands it to `publish`, both under the lock: a room's publishes are made in offset order.
  using Make = std::function<std::string(std::uint64_t offset, std::string_view epoch)>;
  void append(std::string_view room, const HistoryRule& rule, const Make& make,
              const std::function<void(std::string_view)>& publish);

  // The room's position now and, with `since`, the messages after it or why they cannot be
  // given; `at_position` runs under the lock, ordered with the publishes (the stream is made if
  // it did not exist: a new epoch).
  Recovery recover(std::string_view room, const HistoryRule& rule, const StreamPosition* since,
                   const std::function<void()>& at_position);

  // The last `limit` messages of a room (none, and an empty epoch, for a stream not made yet).
  RoomHistory last(std::string_view room, std::size_t limit);
  Kept last_kept(std::string_view room, std::size_t limit);

  HistoryStats stats() const;
  const HistorySettings& settings() const { return settings_; }
  // What a cluster broker's streams do (the streams themselves are not on this node).
  void count_appended();
  void count_recovery(bool recovered);

 private:
  struct Entry {
    std::uint64_t offset;
    Clock::time_point at;
    std::string envelope;
  };
  struct Stream {
    std::string epoch;
    std::uint64_t offset = 0;
    std::deque<Entry> entries;
    std::size_t bytes = 0;
    std::list<std::string>::iterator recent;  // its place in recent_
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  Stream& stream(std::string_view room);  // made if missing; marked as the most recent
  Stream* find(std::string_view room);
  void trim(Stream& stream, const HistoryRule& rule, Clock::time_point now);
  void drop_front(Stream& stream);
  void keep_within_caps(std::string_view spare);
  void refuse_or_copy(const Stream& stream, const StreamPosition& since, Recovery& out) const;

  const HistorySettings settings_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Stream, Hash, std::equal_to<>> streams_;
  std::list<std::string> recent_;  // room names, the one written to longest ago first
  HistoryStats stats_;
};

}  // namespace wisp::events
