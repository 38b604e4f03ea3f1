// What `wisp bench` measures: latency histograms and CPU/RSS of this process and of the server.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace wisp::tool::bench {

// Monotonic nanoseconds.
std::uint64_t now_ns();

// Log-linear histogram (64 sub-buckets per power of two: under 1.6% error) of fixed size, so
// recording a sample never allocates.
class Histogram {
 public:
  void record(std::uint64_t value) {
    ++counts_[index(value)];
    ++total_;
  }
  std::uint64_t total() const { return total_; }
  // The lower bound of the bucket holding the p-th percentile (0 when empty).
  std::uint64_t percentile(double p) const;

 private:
  static constexpr int sub_bits = 6;
  static std::size_t index(std::uint64_t v) {
    if (v < (1u << sub_bits)) return static_cast<std::size_t>(v);
    const int e = 63 - std::countl_zero(v);
    return (static_cast<std::size_t>(e - sub_bits + 1) << sub_bits) +
           static_cast<std::size_t>((v >> (e - sub_bits)) & ((1u << sub_bits) - 1));
  }
  static std::uint64_t lower_bound(std::size_t i);

  std::array<std::uint64_t, (64 - sub_bits + 1) << sub_bits> counts_{};
  std::uint64_t total_ = 0;
};

// A snapshot of the counters a window is measured between.
struct Usage {
  std::uint64_t at_ns = 0;
  double own_cpu_s = 0;
  double server_cpu_s = -1;  // summed over the server's processes; -1: none given (or one gone)
  unsigned long long core_busy = 0, core_total = 0;  // jiffies of the server's core
};

// Percentages over a window; -1 where not measured.
struct UsageShare {
  double seconds = 0;
  double own_cpu_pct = 0;
  double server_cpu_pct = -1;
  double core_busy_pct = -1;
};

class UsageProbe {
 public:
  UsageProbe(std::vector<int> server_pids, int server_core)
      : pids_(std::move(server_pids)), core_(server_core) {}
  Usage sample() const;
  // The server's resident set in KiB (summed over its processes), or -1.
  long server_rss_kib() const;
  static UsageShare between(const Usage& from, const Usage& to);

 private:
  double server_cpu_s() const;
  void core_times(Usage& usage) const;

  std::vector<int> pids_;
  int core_;
};

}  // namespace wisp::tool::bench
