// `wisp bench echo`: connections that each keep messages in flight to an echo route and check
// every byte that comes back. Unpaced, each echo sends the next message (a closed loop); paced,
// each tick's messages are spread over the connections and leave in one burst per connection.
#include <string>
#include <vector>

#include "driver.hpp"
#include "frames.hpp"
#include "report.hpp"

namespace wisp::tool::bench {
namespace {

// Payloads in rotation: a lost or reordered echo shows. JSON-like ones are 64 distinct records
// (64 KiB at 1 KiB, past a 32 KiB window), so a compressor keeping context gains from their
// shared structure, as on a real feed, not from whole messages repeated within its window.
std::size_t variant_count(const BenchOptions& o) { return o.json_payload ? 64 : 4; }

class Echo final : public Driver {
 public:
  explicit Echo(const BenchOptions& o)
      : Driver(o, "/echo", o.connections ? o.connections : 100),
        op_(o.binary ? OpCode::Binary : OpCode::Text),
        inflight_(o.inflight_or_default()),
        variants_(variant_count(o)),
        flows_(connections_),
        sent_at_(std::size_t{connections_} * inflight_) {
    for (std::size_t v = 0; v < variants_; ++v) {
      payloads_.push_back(o.json_payload ? json_payload(o.size, v) : test_payload(o.size, v));
    }
  }

 private:
  struct Flow {
    std::uint64_t sent = 0, received = 0;
    std::uint64_t backlog = 0;  // paced messages due but held back by the in-flight limit
  };

  // Frames are built once the first handshake tells the compression agreed (the same for all).
  void begin() override {
    const auto& deflate = conns_.front().deflate();
    // With context takeover each message is deflated as it leaves; without, the few payloads are
    // deflated here once, keeping the load generator's CPU low.
    per_message_ = deflate && !deflate->client_no_context_takeover;
    frames_.assign(variants_, {});
    for (std::size_t v = 0; v < variants_; ++v) {
      if (deflate) {
        frames_[v] = compressed_frame(op_, payloads_[v], deflate->client_max_window_bits);
      } else {
        append_masked_frame(frames_[v], op_, payloads_[v]);
      }
    }
    if (options_.paced()) return;
    for (auto& c : conns_) {
      for (unsigned i = 0; i < inflight_; ++i) send_next(c);
      c.flush();
    }
  }

  void pace(std::uint64_t due) override {
    spread(due, [this](Connection& c, std::uint64_t share) {
      Flow& flow = flows_[c.id()];
      flow.backlog += share;
      send_backlog(c, flow);
    });
  }

  void on_message(Connection& c, OpCode op, std::string_view payload) override {
    Flow& flow = flows_[c.id()];
    if (op != op_ || payload != payloads_[flow.received % variants_]) fail("echo mismatch");
    record(sent_at_[slot(c, flow.received)], payload.size());
    ++flow.received;
    if (options_.paced()) return send_backlog(c, flow);
    send_next(c);  // flushed when the connection's events are handled
  }

  void send_backlog(Connection& c, Flow& flow) {
    for (; flow.backlog > 0 && flow.sent - flow.received < inflight_; --flow.backlog) send_next(c);
  }

  void send_next(Connection& c) {
    Flow& flow = flows_[c.id()];
    sent_at_[slot(c, flow.sent)] = poller_.now();
    if (per_message_) {
      c.send_message(op_, payloads_[flow.sent % variants_]);
    } else {
      c.send(frames_[flow.sent % variants_]);
    }
    ++flow.sent;
  }

  // Echoes come back in order, so a ring of `inflight_` send times per connection suffices.
  std::size_t slot(const Connection& c, std::uint64_t n) const {
    return std::size_t{c.id()} * inflight_ + n % inflight_;
  }

  std::string setup_text() const override {
    std::string text = std::to_string(connections_);
    text.append(" connections x ").append(std::to_string(inflight_)).append(" in flight, ");
    text.append(std::to_string(options_.size))
        .append(op_ == OpCode::Text ? " B text" : " B binary");
    if (options_.json_payload) text.append(" JSON-like");
    if (options_.raw) text.append(", raw TCP peer");
    if (options_.tls) text.append(", TLS");
    if (options_.deflate != Deflate::Off) {
      text.append(options_.deflate == Deflate::Shared ? ", deflate shared" : ", deflate dedicated");
      text.append(" (")
          .append(std::to_string(frames_[0].size()))
          .append(" B frame deflated alone)");
    }
    if (options_.paced()) {
      text.append(", paced at ").append(std::to_string(static_cast<long long>(options_.rate)));
      text.append("/s in ").append(format_number(options_.burst_ms)).append(" ms bursts");
    }
    return text;
  }

  void describe(Summary& s) const override {
    std::uint64_t backlog = 0;
    for (const Flow& flow : flows_) backlog += flow.backlog;
    s.figures.emplace_back("inflight", inflight_);
    s.figures.emplace_back("binary", op_ == OpCode::Binary);
    if (options_.deflate != Deflate::Off) {
      std::uint64_t inflated = 0, received = 0;
      for (const Connection& c : conns_) inflated += c.inflated();
      for (const Flow& flow : flows_) received += flow.received;
      s.figures.emplace_back(
          "compressed_replies_pct",
          received ? 100.0 * static_cast<double>(inflated) / static_cast<double>(received) : 0.0);
    }
    if (options_.paced()) s.figures.emplace_back("backlog_at_end", static_cast<double>(backlog));
  }

  const OpCode op_;
  const unsigned inflight_;
  const std::size_t variants_;
  std::vector<std::string> payloads_;
  std::vector<std::string> frames_;  // masked, deflated once when no context is kept
  bool per_message_ = false;         // deflate each message as it leaves (context takeover)
  std::vector<Flow> flows_;
  std::vector<std::uint64_t> sent_at_;
};

}  // namespace

int run_echo(const BenchOptions& options) { return Echo(options).run(); }

}  // namespace wisp::tool::bench
