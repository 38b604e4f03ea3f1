// `wisp bench idle`: holds many open connections and reports the server's memory per socket.
// A warm-up batch opens first so that one-time costs (first touch of libcrypto's pages, buffers
// per loop, the allocator's arenas) fall before the baseline; the growth from the rest, divided
// by their number, is the server's user-space memory per idle socket. With --idle-message each
// connection first echoes one message, so per-socket state made on first use (compression
// streams) counts too.
#include <algorithm>
#include <cmath>

#include "driver.hpp"
#include "frames.hpp"

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
    UsageProbe probe(options_.pids, -1);
    open_connections(warm_);
    if (!wait_open(60) || !wait_echoed(60)) return false;
    run_for(0.5);
    rss_before_ = probe.server_rss_kib();
    open_connections(connections_ - warm_);
    if (!wait_open(120) || !wait_echoed(120)) return false;
    run_for(0.5);  // the server may still be settling the last handshakes
    rss_after_ = probe.server_rss_kib();
    return true;
  }

  // --idle-message: one message as soon as a connection opens, deflated alone when compression
  // is on (valid whether or not context is kept, and no compressor per client socket here).
  void opened(Connection& c) override {
    if (!options_.idle_message) return;
    if (frame_.empty()) {
      const std::string payload =
          options_.json_payload ? json_payload(options_.size, 0) : test_payload(options_.size, 0);
      const auto& deflate = c.deflate();
      if (deflate) {
        frame_ = compressed_frame(OpCode::Text, payload, deflate->client_max_window_bits);
      } else {
        append_masked_frame(frame_, OpCode::Text, payload);
      }
    }
    c.send(frame_);
    c.flush();
  }

  void on_message(Connection&, OpCode, std::string_view) override { ++echoed_; }

  bool wait_echoed(double seconds) {
    for (; options_.idle_message && echoed_ < conns_.size(); seconds -= 0.1) {
      if (errors_ > 0 || seconds <= 0) return false;
      run_for(0.1);
    }
    return true;
  }

  std::string setup_text() const override {
    std::string text = std::to_string(connections_);
    text.append(" idle connections (").append(std::to_string(warm_)).append(" warm-up)");
    if (options_.deflate != Deflate::Off) {
      text.append(options_.deflate == Deflate::Shared ? ", deflate shared" : ", deflate dedicated");
    }
    if (options_.idle_message) text.append(", one message echoed on each");
    return text;
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
  std::string frame_;  // the --idle-message frame, built at the first open
  std::size_t echoed_ = 0;
  long rss_before_ = -1, rss_after_ = -1;
};

}  // namespace

int run_idle(const BenchOptions& options) { return Idle(options).run(); }

}  // namespace wisp::tool::bench
