// `wisp bench idle`: holds many open connections and reports the server's memory per socket.
// A warm-up batch opens first so that one-time costs (first touch of libcrypto's pages, buffers
// per loop, the allocator's arenas) fall before the baseline; the growth from the rest, divided
// by their number, is the server's user-space memory per idle socket.
#include <algorithm>
#include <cmath>

#include "driver.hpp"

namespace wisp::tool::bench {
namespace {

class Idle final : public Driver {
 public:
  explicit Idle(const BenchOptions& o)
      : Driver(o, "/echo", o.connections ? o.connections : 10000),
        warm_(o.idle_warmup ? std::min(o.idle_warmup, connections_ - 1)
                            : std::min(1000u, connections_ / 10)) {}

 private:
  bool setup() override {
    UsageProbe probe(options_.pid, -1);
    open_connections(warm_);
    if (!wait_open(60)) return false;
    run_for(0.5);
    rss_before_ = probe.server_rss_kib();
    open_connections(connections_ - warm_);
    if (!wait_open(120)) return false;
    run_for(0.5);  // the server may still be settling the last handshakes
    rss_after_ = probe.server_rss_kib();
    return true;
  }

  void on_message(Connection&, OpCode, std::string_view) override {}

  std::string setup_text() const override {
    std::string text = std::to_string(connections_);
    return text.append(" idle connections (").append(std::to_string(warm_)).append(" warm-up)");
  }

  void describe(Summary& s) const override {
    s.figures.emplace_back("open", static_cast<double>(open_));
    s.figures.emplace_back("server_rss_before_kib", static_cast<double>(rss_before_));
    s.figures.emplace_back("server_rss_after_kib", static_cast<double>(rss_after_));
    if (rss_before_ >= 0 && rss_after_ >= 0) {
      s.figures.emplace_back("server_bytes_per_socket",
                             std::round(1024.0 * static_cast<double>(rss_after_ - rss_before_) /
                                        static_cast<double>(connections_ - warm_)));
    }
  }

  const unsigned warm_;
  long rss_before_ = -1, rss_after_ = -1;
};

}  // namespace

int run_idle(const BenchOptions& options) { return Idle(options).run(); }

}  // namespace wisp::tool::bench
