// What every `wisp bench` mode shares: opening connections (bounded, from spread local
// addresses), warm-up, the measured window, pacing ticks, progress and the summary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>

#include "connection.hpp"
#include "measure.hpp"
#include "options.hpp"
#include "poller.hpp"
#include "report.hpp"

namespace wisp::tool::bench {

class Driver : protected ConnectionEvents {
 public:
  // `connections`: how many the mode opens at set-up (the options' count, or the mode's default).
  // `sources`: local addresses to connect from unless --source-ips says (0: one per 20,000).
  Driver(const BenchOptions& options, std::string_view default_path, unsigned connections,
         unsigned sources = 0);
  virtual ~Driver() = default;

  // Set-up, warm-up, the measured window and the summary. Returns the exit status: 1 if any
  // error was seen (a failed connection, a wrong or lost message).
  int run();

 protected:
  // Opens the connections; false if they could not all be opened.
  virtual bool setup();
  // Everything is open: unpaced modes start their load here.
  virtual void begin() {}
  // Paced modes: `due` more messages (or handshakes) are due now, to leave in one burst.
  virtual void pace(std::uint64_t) {}
  // A connection finished its handshake.
  virtual void opened(Connection&) {}
  // After each batch of events (and pacing tick).
  virtual void after_poll() {}
  // A connection ended (after the driver counted it, and its error if any).
  virtual void ended(Connection&, std::string_view) {}
  // "100 connections x 8 in flight, 16 B text", and the mode's own figures.
  virtual std::string setup_text() const = 0;
  virtual void describe(Summary&) const {}

  // A new connection to its server (by its id), not yet connecting.
  Connection& add_connection();
  // Connects `c` from the next local address in rotation.
  void start(Connection& c);
  // Adds and starts `count` connections, at most `max_connecting` handshakes at a time.
  void open_connections(std::size_t count);
  // Runs the loop until every connection asked for is open; false on an error or after `seconds`.
  bool wait_open(double seconds);
  // Runs the loop (events, handshakes still to start, progress) until done() holds; false on an
  // error or after `seconds`.
  bool poll_until(const std::function<bool()>& done, double seconds);
  // Runs the loop (events, pacing ticks, progress) until `seconds` have passed.
  void run_for(double seconds);

  // One message completed, sent at `sent_at_ns`, carrying `bytes` of payload.
  void record(std::uint64_t sent_at_ns, std::size_t bytes) {
    ++all_messages_;
    if (!measuring_) return;
    ++messages_;
    bytes_ += bytes;
    latency_.record(poller_.now() - sent_at_ns);
  }
  // Paced modes: spreads `due` over the connections (the remainder rotates), calling
  // add(connection, share) for each, then sends what each queued in one write.
  template <class Add>
  void spread(std::uint64_t due, Add&& add) {
    const std::size_t n = conns_.size();
    for (std::size_t i = 0; i < n; ++i) {
      Connection& c = conns_[(spread_from_ + i) % n];
      add(c, due / n + (i < due % n ? 1 : 0));
      c.flush();
    }
    spread_from_ = (spread_from_ + due % n) % n;
  }
  // Counts an error and prints the first few.
  void fail(std::string_view what);

  const BenchOptions& options_;
  const unsigned connections_;
  std::deque<Target> targets_;  // one per server (--ports); connection i goes to i % size
  Poller poller_;
  std::deque<Connection> conns_;  // stable addresses; ids are indices
  std::size_t open_ = 0;
  std::uint64_t errors_ = 0;

 private:
  void on_open(Connection& c) final;
  void on_end(Connection& c, std::string_view error) final;
  void start_pending();
  void tick();
  void progress();
  int finish(const Usage& from, const Usage& redis_from);

  static constexpr std::size_t max_connecting = 256;  // beyond, SYNs overflow the listen backlog
  UsageProbe probe_;
  UsageProbe redis_probe_;      // --redis-pid: reported apart from the servers' CPU
  std::size_t to_start_ = 0;    // connections asked for and not started yet
  std::size_t connecting_ = 0;  // started, not open or ended yet
  std::uint64_t starts_ = 0;    // every start, for the rotation of local addresses
  unsigned sources_ = 1;        // local addresses to rotate over (1: let the kernel choose)
  bool measuring_ = false;
  std::uint64_t messages_ = 0, bytes_ = 0, all_messages_ = 0;
  Histogram latency_;
  std::uint64_t pace_from_ns_ = 0, paced_ = 0, next_tick_ns_ = 0;
  std::uint64_t next_progress_ns_ = 0, progress_messages_ = 0, started_ns_ = 0;
  int errors_printed_ = 0;
  std::size_t spread_from_ = 0;
};

// Each mode's entry point.
int run_echo(const BenchOptions& options);
int run_connect(const BenchOptions& options);
int run_idle(const BenchOptions& options);
int run_fanout(const BenchOptions& options);
int run_hub(const BenchOptions& options);
int run_http(const BenchOptions& options);

}  // namespace wisp::tool::bench
