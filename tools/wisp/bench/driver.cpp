#include "driver.hpp"

#include <arpa/inet.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace wisp::tool::bench {
namespace {

constexpr std::uint64_t ns_per_s = 1'000'000'000;

std::uint64_t ns(double seconds) { return static_cast<std::uint64_t>(seconds * 1e9); }

// Every connection is a file: take the hard limit (a process here may hold about 20,000).
void raise_file_limit() {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// One local address per 20,000 connections (the ephemeral range holds about 28,000 ports), when
// the server is on loopback where every 127.x.y.z is ours.
unsigned source_count(const BenchOptions& o, const Target& target, unsigned connections,
                      unsigned sources) {
  if ((ntohl(target.server.sin_addr.s_addr) >> 24) != 127) return 1;
  if (o.source_ips) return o.source_ips;
  return sources ? sources : 1 + connections / 20000;
}

}  // namespace

Driver::Driver(const BenchOptions& options, std::string_view default_path, unsigned connections,
               unsigned sources)
    : options_(options),
      connections_(connections),
      probe_(options.pids, options.core),
      redis_probe_(options.redis_pid ? std::vector{options.redis_pid} : std::vector<int>{}, -1) {
  for (const std::uint16_t port : options.servers()) {
    Target& target = targets_.emplace_back(
        options.host, port, options.path.empty() ? std::string(default_path) : options.path,
        options.raw, options.deflate);
    target.http = options.mode == "http";
    target.tls = options.tls;
  }
  sources_ = source_count(options, targets_.front(), connections, sources);
}

int Driver::run() {
  raise_file_limit();
  started_ns_ = now_ns();
  next_progress_ns_ = started_ns_ + ns_per_s;
  if (!setup()) {
    std::fprintf(stderr, "wisp bench: set-up failed: %zu of %zu connections open\n", open_,
                 conns_.size());
    return 1;
  }
  begin();
  pace_from_ns_ = next_tick_ns_ = now_ns();
  run_for(options_.warmup);
  const Usage from = probe_.sample(), redis_from = redis_probe_.sample();
  measuring_ = true;
  run_for(options_.duration);
  measuring_ = false;
  return finish(from, redis_from);
}

bool Driver::setup() {
  open_connections(connections_);
  return wait_open(30);
}

Connection& Driver::add_connection() {
  ConnectionEvents& events = *this;
  const std::size_t id = conns_.size();
  return conns_.emplace_back(poller_, targets_[id % targets_.size()], events,
                             static_cast<std::uint32_t>(id));
}

void Driver::start(Connection& c) {
  in_addr source{.s_addr = htonl(INADDR_ANY)};
  if (sources_ > 1) source.s_addr = htonl((127u << 24) + 1 + starts_ % sources_);
  ++starts_;
  ++connecting_;
  c.connect(source);
}

void Driver::open_connections(std::size_t count) {
  to_start_ += count;
  start_pending();
}

void Driver::start_pending() {
  for (; to_start_ > 0 && connecting_ < max_connecting; --to_start_) start(add_connection());
}

bool Driver::wait_open(double seconds) {
  return poll_until([this] { return open_ == conns_.size() && to_start_ == 0; }, seconds);
}

bool Driver::poll_until(const std::function<bool()>& done, double seconds) {
  const std::uint64_t deadline = now_ns() + ns(seconds);
  for (std::uint64_t now = now_ns(); !done(); now = poller_.now()) {
    if (errors_ > 0 || now >= deadline) return false;
    poller_.poll(
        static_cast<int>(std::min<std::uint64_t>(100, (deadline - now + 999'999) / 1'000'000)));
    start_pending();
    progress();
  }
  return true;
}

void Driver::run_for(double seconds) {
  const std::uint64_t until = now_ns() + ns(seconds);
  for (std::uint64_t now = now_ns(); now < until; now = poller_.now()) {
    std::uint64_t wake = std::min(until, next_progress_ns_);
    if (options_.paced()) wake = std::min(wake, next_tick_ns_);
    const auto wait_ms = wake > now ? static_cast<int>((wake - now + 999'999) / 1'000'000) : 0;
    poller_.poll(wait_ms);
    if (options_.paced() && poller_.now() >= next_tick_ns_) tick();
    after_poll();
    start_pending();
    progress();
  }
}

// The load due since pacing began, less what was already issued: a late tick catches up.
void Driver::tick() {
  const std::uint64_t now = poller_.now();
  const auto due =
      static_cast<std::uint64_t>(options_.rate * static_cast<double>(now - pace_from_ns_) / 1e9);
  pace(due - paced_);
  paced_ = due;
  next_tick_ns_ += ns(options_.burst_ms / 1000);
  if (next_tick_ns_ < now) next_tick_ns_ = now;  // a stall: no burst of ticks to catch up
}

void Driver::progress() {
  const std::uint64_t now = poller_.now();
  if (options_.quiet || now < next_progress_ns_) return;
  std::fprintf(stderr, "wisp bench %s: %.0f s, %llu msgs/s, %zu open, %llu errors%s\n",
               options_.mode.c_str(), static_cast<double>(now - started_ns_) / 1e9,
               static_cast<unsigned long long>(all_messages_ - progress_messages_), open_,
               static_cast<unsigned long long>(errors_), measuring_ ? "" : " (not measured)");
  progress_messages_ = all_messages_;
  next_progress_ns_ += ns_per_s;
}

void Driver::on_open(Connection& c) {
  --connecting_;
  ++open_;
  opened(c);
}

void Driver::on_end(Connection& c, std::string_view error) {
  if (c.has_opened()) {
    --open_;
  } else {
    --connecting_;
  }
  if (!error.empty()) fail(error);
  ended(c, error);
}

void Driver::fail(std::string_view what) {
  ++errors_;
  if (errors_printed_++ < 5) {
    std::fprintf(stderr, "wisp bench: %.*s\n", static_cast<int>(what.size()), what.data());
  }
}

int Driver::finish(const Usage& from, const Usage& redis_from) {
  Summary s;
  s.usage = UsageProbe::between(from, probe_.sample());
  const UsageShare redis = UsageProbe::between(redis_from, redis_probe_.sample());
  s.server_rss_kib = probe_.server_rss_kib();
  s.mode = options_.mode;
  s.setup = setup_text();
  s.messages = messages_;
  s.bytes = bytes_;
  s.p50_us = static_cast<double>(latency_.percentile(50)) / 1e3;
  s.p99_us = static_cast<double>(latency_.percentile(99)) / 1e3;
  s.p999_us = static_cast<double>(latency_.percentile(99.9)) / 1e3;
  s.errors = errors_;
  s.figures = {{"connections", connections_},
               {"size", static_cast<double>(options_.size)},
               {"offered_rate", options_.rate}};
  if (options_.redis_pid) s.figures.emplace_back("redis_cpu_pct", redis.server_cpu_pct);
  describe(s);
  print_summary(s, options_.json);
  return errors_ ? 1 : 0;
}

}  // namespace wisp::tool::bench
