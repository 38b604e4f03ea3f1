// The end of a `wisp bench` run: one summary, as text for people or one JSON object for scripts.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "measure.hpp"

namespace wisp::tool::bench {

struct Summary {
  std::string mode;
  std::string setup;  // what ran, in words: "100 connections x 8 in flight, 16 B text"
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  double p50_us = 0, p99_us = 0, p999_us = 0;
  std::uint64_t errors = 0;
  UsageShare usage;
  long server_rss_kib = -1;
  std::vector<std::pair<std::string, double>> figures;  // the mode's own, by name

  double per_second(double count) const { return usage.seconds > 0 ? count / usage.seconds : 0; }
};

// 2, 0.5, 600000: whole numbers without a fraction, others with up to three decimals.
std::string format_number(double value);

void print_summary(const Summary& summary, bool json);

}  // namespace wisp::tool::bench
