// `wisp bench connect`: handshakes per second. Each of `connections` slots connects, upgrades,
// closes (the closing handshake, until the server hangs up) and starts over; paced, a slot starts
// only when a handshake is due. Latency is the whole cycle, connect to hang-up. The server ends
// TCP first, so its side keeps the TIME_WAIT; the load still spreads over 16 local addresses.
#include <vector>

#include "driver.hpp"

namespace wisp::tool::bench {
namespace {

class Connect final : public Driver {
 public:
  explicit Connect(const BenchOptions& o)
      : Driver(o, "/echo",
               o.connections ? o.connections
               : o.paced()   ? 64
                             : 16,
               16),
        started_at_(connections_) {}

 private:
  bool setup() override {
    for (unsigned i = 0; i < connections_; ++i) idle_.push_back(&add_connection());
    return true;
  }

  void begin() override {
    if (!options_.paced()) start_idle(idle_.size());
  }

  void pace(std::uint64_t due) override {
    due_ += due;
    start_idle(due_);
  }

  void start_idle(std::uint64_t wanted) {
    for (; wanted > 0 && !idle_.empty(); --wanted) {
      Connection& c = *idle_.back();
      idle_.pop_back();
      if (options_.paced()) --due_;
      started_at_[c.id()] = poller_.now();
      start(c);
    }
  }

  void opened(Connection& c) override { c.close(); }
  void on_message(Connection&, OpCode, std::string_view) override {}

  void ended(Connection& c, std::string_view error) override {
    if (error.empty()) record(started_at_[c.id()], 0);
    idle_.push_back(&c);
  }

  // A slot restarts after the batch that ended it: the batch may still hold its old events.
  void after_poll() override {
    if (options_.paced()) return start_idle(due_);
    start_idle(idle_.size());
  }

  std::string setup_text() const override {
    std::string text = std::to_string(connections_);
    text.append(" at once: connect, upgrade, close");
    if (options_.paced())
      text.append(", paced at ").append(format_number(options_.rate)).append("/s");
    return text;
  }

  void describe(Summary& s) const override {
    if (options_.paced()) s.figures.emplace_back("behind_at_end", static_cast<double>(due_));
  }

  std::vector<Connection*> idle_;  // slots waiting to start
  std::vector<std::uint64_t> started_at_;
  std::uint64_t due_ = 0;  // paced handshakes due and not started (no idle slot)
};

}  // namespace

int run_connect(const BenchOptions& options) { return Connect(options).run(); }

}  // namespace wisp::tool::bench
