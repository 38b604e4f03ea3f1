#include "report.hpp"

#include <cmath>
#include <cstdio>

namespace wisp::tool::bench {

std::string format_number(double value) {
  char text[64];
  if (std::nearbyint(value) == value && std::fabs(value) < 1e15) {
    std::snprintf(text, sizeof text, "%.0f", value);
  } else {
    std::snprintf(text, sizeof text, "%.3f", value);
    std::string trimmed = text;
    trimmed.erase(trimmed.find_last_not_of('0') + 1);
    if (trimmed.back() == '.') trimmed.pop_back();  // 0.0001 is "0", not "0." (not JSON)
    return trimmed;
  }
  return text;
}

namespace {

// JSON needs no escaping here: modes and setups are plain ASCII without quotes.
void print_json(const Summary& s) {
  std::printf(
      "{\"mode\":\"%s\",\"setup\":\"%s\",\"seconds\":%.3f,\"messages\":%llu,\"msgs_per_s\":%.1f,"
      "\"mb_per_s\":%.3f,\"latency_us\":{\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f},\"errors\":%llu,"
      "\"load_cpu_pct\":%.1f,\"server_cpu_pct\":%.1f,\"server_core_busy_pct\":%.1f,"
      "\"server_rss_kib\":%ld",
      s.mode.c_str(), s.setup.c_str(), s.usage.seconds, static_cast<unsigned long long>(s.messages),
      s.per_second(static_cast<double>(s.messages)),
      s.per_second(static_cast<double>(s.bytes)) / 1e6, s.p50_us, s.p99_us, s.p999_us,
      static_cast<unsigned long long>(s.errors), s.usage.own_cpu_pct, s.usage.server_cpu_pct,
      s.usage.core_busy_pct, s.server_rss_kib);
  for (const auto& [name, value] : s.figures) {
    std::printf(",\"%s\":%s", name.c_str(), format_number(value).c_str());
  }
  std::printf("}\n");
  std::fflush(stdout);
}

void print_text(const Summary& s) {
  std::printf("wisp bench %s: %s, %.2f s measured\n", s.mode.c_str(), s.setup.c_str(),
              s.usage.seconds);
  std::printf("  messages   %llu (%.0f/s, %.2f MB/s of payload)\n",
              static_cast<unsigned long long>(s.messages),
              s.per_second(static_cast<double>(s.messages)),
              s.per_second(static_cast<double>(s.bytes)) / 1e6);
  std::printf("  latency    p50 %.1f us, p99 %.1f us, p99.9 %.1f us\n", s.p50_us, s.p99_us,
              s.p999_us);
  std::printf("  errors     %llu\n", static_cast<unsigned long long>(s.errors));
  std::printf("  cpu        load %.0f%%", s.usage.own_cpu_pct);
  if (s.usage.server_cpu_pct >= 0) std::printf(", server %.0f%%", s.usage.server_cpu_pct);
  if (s.usage.core_busy_pct >= 0) std::printf(", server core busy %.0f%%", s.usage.core_busy_pct);
  if (s.server_rss_kib >= 0) std::printf(", server RSS %ld KiB", s.server_rss_kib);
  std::printf("\n");
  for (const auto& [name, value] : s.figures) {
    std::printf("  %-22s %s\n", name.c_str(), format_number(value).c_str());
  }
  std::fflush(stdout);
}

}  // namespace

void print_summary(const Summary& summary, bool json) {
  if (json) return print_json(summary);
  print_text(summary);
}

}  // namespace wisp::tool::bench
