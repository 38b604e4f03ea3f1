// One loop's counters. Only the loop thread writes them (relaxed single-writer stores: plain
// adds, no locked instruction); any thread may read them for a snapshot.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "wisp/metrics.hpp"

namespace wisp::server {

class LoopMetrics {
 public:
  using Counter = std::atomic<std::uint64_t>;

  static void add(Counter& counter, std::uint64_t amount = 1) {
    counter.store(counter.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
  }
  static void subtract(Counter& counter) {
    counter.store(counter.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  }
  void closed(int code);
  // Adds this loop's counters to `total`.
  void add_to(Metrics& total) const;

  Counter connections{0}, websockets{0}, opened{0}, handshakes_refused{0};
  Counter messages_in{0}, messages_out{0}, bytes_in{0}, bytes_out{0};
  Counter dropped{0}, backpressure_closes{0}, rate_limited{0};
  Counter input_paused{0}, input_pauses{0};  // flow control: sockets not read now, and pauses

 private:
  // Codes 1000-1015 each, then 3000-3999 and 4000-4999 (reported as 3000 and 4000), then other.
  std::array<Counter, 19> closes_{};
};

}  // namespace wisp::server
