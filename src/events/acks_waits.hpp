// This node's sends with an ack waiting for their answers: per wait a key (in the ack id the
// client echoes), the answers so far and how many are expected, a deadline, and the callback.
// One App timer, set for the earliest deadline, ends the waits whose time ran out. Answers come
// from any thread (this node's clients, or other nodes through the broker).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "wisp/app.hpp"
#include "wisp/hub.hpp"

namespace wisp::events {

class AckWaits {
 public:
  using Clock = std::chrono::steady_clock;
  // Runs once: the answers, and whether every expected one came in time. It is called on
  // whatever thread completes the wait: wrap it to run where it must before (ReturnPath).
  using Done = std::function<void(std::vector<Ack> answers, bool complete)>;
  static constexpr std::size_t unknown = std::numeric_limits<std::size_t>::max();

  explicit AckWaits(App& app) : app_(app) {}
  ~AckWaits();
  AckWaits(const AckWaits&) = delete;
  AckWaits& operator=(const AckWaits&) = delete;

  // A wait for `expected` answers (`unknown`: expect() tells later). A wait for one client names
  // it: its timeout then is an Ack of that client with error `timeout`.
  std::uint64_t open(std::string client_id, std::size_t expected, Clock::time_point deadline,
                     Done done);
  // How many answers a wait gets (`certain`: false when some node did not say).
  void expect(std::uint64_t key, std::size_t count, bool certain);
  // An answer (or a failure) for a wait; after its end it is counted late and dropped.
  void answer(std::uint64_t key, Ack ack);

  // Adds this side's counters to `stats`.
  void add_to(AckStats& stats) const;

 private:
  struct Wait {
    std::string client_id;
    std::size_t expected;
    bool certain = true;
    std::vector<Ack> answers;
    Clock::time_point deadline;
    Done done;
  };
  using Deadline = std::pair<Clock::time_point, std::uint64_t>;

  // Under the lock: the wait, taken out if it is complete.
  std::optional<Wait> take_if_complete(std::uint64_t key);
  void count(const Ack& ack);
  void arm(Clock::time_point deadline);
  void expire();

  App& app_;
  mutable std::mutex mutex_;
  std::uint64_t next_key_ = 1;
  std::unordered_map<std::uint64_t, Wait> waits_;
  std::set<Deadline> deadlines_;
  TimerHandle timer_;
  Clock::time_point armed_for_ = Clock::time_point::max();
  AckStats counts_;
};

}  // namespace wisp::events
