#include "measure.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

namespace wisp::tool::bench {

std::uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

std::uint64_t Histogram::percentile(double p) const {
  if (total_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(p / 100.0 * static_cast<double>(total_ - 1)) + 1;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if ((seen += counts_[i]) >= rank) return lower_bound(i);
  }
  return 0;
}

std::uint64_t Histogram::lower_bound(std::size_t i) {
  if (i < (1u << sub_bits)) return i;
  const int e = static_cast<int>(i >> sub_bits) + sub_bits - 1;
  return (std::uint64_t{1} << e) + (std::uint64_t{i & ((1u << sub_bits) - 1)} << (e - sub_bits));
}

namespace {

double own_cpu_s() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// The whole of a small /proc file, or "" if it cannot be read.
std::string read_proc(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return {};
  std::string text;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  std::fclose(f);
  return text;
}

std::string proc_path(int pid, const char* file) {
  std::string path = "/proc/";
  path.append(std::to_string(pid)).append("/").append(file);
  return path;
}

}  // namespace

Usage UsageProbe::sample() const {
  Usage usage;
  usage.at_ns = now_ns();
  usage.own_cpu_s = own_cpu_s();
  usage.server_cpu_s = server_cpu_s();
  core_times(usage);
  return usage;
}

namespace {

// A process's user + system CPU seconds, or -1 if it cannot be read.
double process_cpu_s(int pid) {
  const std::string stat = read_proc(proc_path(pid, "stat"));
  const std::size_t paren = stat.rfind(')');  // the command name may hold spaces
  unsigned long long user = 0, sys = 0;
  if (paren == std::string::npos ||
      std::sscanf(stat.c_str() + paren + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                  &user, &sys) != 2) {
    return -1;
  }
  return static_cast<double>(user + sys) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long process_rss_kib(int pid) {
  const std::string status = read_proc(proc_path(pid, "status"));
  const std::size_t at = status.find("VmRSS:");
  return at == std::string::npos ? -1 : std::strtol(status.c_str() + at + 6, nullptr, 10);
}

// The sum of `read` over the processes; -1 when there are none or one cannot be read.
template <class Read>
auto sum_over(const std::vector<int>& pids, Read read) -> decltype(read(0)) {
  decltype(read(0)) total = 0;
  for (const int pid : pids) {
    const auto value = pid > 0 ? read(pid) : -1;
    if (value < 0) return -1;
    total += value;
  }
  return pids.empty() ? -1 : total;
}

}  // namespace

double UsageProbe::server_cpu_s() const { return sum_over(pids_, process_cpu_s); }

long UsageProbe::server_rss_kib() const { return sum_over(pids_, process_rss_kib); }

// A process's CPU time leaves out the softirq work the kernel does for its sockets, a large share
// of loopback TCP: the busy share of the server's core catches it.
void UsageProbe::core_times(Usage& usage) const {
  if (core_ < 0) return;
  const std::string stat = read_proc("/proc/stat");
  std::string want = "\ncpu";
  want.append(std::to_string(core_)).append(" ");
  const std::size_t at = stat.find(want);
  if (at == std::string::npos) return;
  unsigned long long v[8] = {};
  if (std::sscanf(stat.c_str() + at + want.size(), "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
                  &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8) {
    return;
  }
  for (const auto x : v) usage.core_total += x;
  usage.core_busy = usage.core_total - v[3] - v[4];  // all but idle and iowait
}

UsageShare UsageProbe::between(const Usage& from, const Usage& to) {
  UsageShare share;
  share.seconds = static_cast<double>(to.at_ns - from.at_ns) / 1e9;
  if (share.seconds <= 0) return share;
  share.own_cpu_pct = 100 * (to.own_cpu_s - from.own_cpu_s) / share.seconds;
  if (from.server_cpu_s >= 0 && to.server_cpu_s >= 0) {
    share.server_cpu_pct = 100 * (to.server_cpu_s - from.server_cpu_s) / share.seconds;
  }
  if (to.core_total > from.core_total) {
    share.core_busy_pct = 100.0 * static_cast<double>(to.core_busy - from.core_busy) /
                          static_cast<double>(to.core_total - from.core_total);
  }
  return share;
}

}  // namespace wisp::tool::bench
