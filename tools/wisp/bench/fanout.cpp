// `wisp bench fanout`: one sender and N receivers on a route where the server publishes every
// message to every client (the sender included). Each message carries its sequence number; each
// receiver checks it gets them all, in order, byte for byte. Figures count deliveries to the
// receivers. Unpaced, the sender keeps `inflight` messages out, timed by its own copies.
#include <charconv>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "driver.hpp"
#include "frames.hpp"

namespace wisp::tool::bench {
namespace {

constexpr std::size_t sequence_digits = 16;  // hex, at the start of each payload
constexpr std::size_t ring = 1 << 16;        // send times kept: a receiver may lag this far

class Fanout final : public Driver {
 public:
  explicit Fanout(const BenchOptions& o)
      : Driver(o, "/fanout", (o.connections ? o.connections : 1000) + 1),
        op_(o.binary ? OpCode::Binary : OpCode::Text),
        expected_(connections_),
        sent_at_(ring) {
    if (o.size < sequence_digits) throw std::invalid_argument("fanout: --size must be 16 or more");
    filler_ = test_payload(o.size - sequence_digits, 0);
  }

 private:
  Connection& sender() { return conns_.front(); }

  void begin() override {
    if (options_.paced()) return;
    for (unsigned i = 0; i < options_.inflight_or_default(); ++i) send_one();
    sender().flush();
  }

  void pace(std::uint64_t due) override {
    for (; due > 0; --due) send_one();
    sender().flush();
  }

  void send_one() {
    char digits[sequence_digits + 1];
    std::snprintf(digits, sizeof digits, "%016llx", static_cast<unsigned long long>(sent_));
    payload_.assign(digits, sequence_digits).append(filler_);
    sent_at_[sent_ % ring] = poller_.now();
    ++sent_;
    sender().send_frame(op_, payload_);
  }

  void on_message(Connection& c, OpCode op, std::string_view payload) override {
    std::uint64_t& expected = expected_[c.id()];
    if (op != op_ || payload.size() != options_.size ||
        payload.substr(sequence_digits) != filler_) {
      return fail("fanout: a message that was not sent");
    }
    std::uint64_t seq = 0;
    std::from_chars(payload.data(), payload.data() + sequence_digits, seq, 16);
    if (seq != expected) fail("fanout: a message lost or out of order");
    expected = seq + 1;
    if (c.id() != 0) return record(sent_at_[seq % ring], payload.size());
    if (!options_.paced()) send_one();  // the sender's own copy: the next may go
  }

  std::string setup_text() const override {
    std::string text = "1 sender, ";
    text.append(std::to_string(connections_ - 1)).append(" receivers, ");
    text.append(std::to_string(options_.size))
        .append(op_ == OpCode::Text ? " B text" : " B binary");
    if (options_.paced())
      text.append(", paced at ").append(format_number(options_.rate)).append("/s");
    return text;
  }

  void describe(Summary& s) const override {
    s.figures.emplace_back("receivers", connections_ - 1);
    s.figures.emplace_back("sent", static_cast<double>(sent_));
  }

  const OpCode op_;
  std::string filler_;                   // the payload after the sequence number
  std::string payload_;                  // scratch for the message being sent
  std::vector<std::uint64_t> expected_;  // per connection: the next sequence number
  std::vector<std::uint64_t> sent_at_;
  std::uint64_t sent_ = 0;
};

}  // namespace

int run_fanout(const BenchOptions& options) { return Fanout(options).run(); }

}  // namespace wisp::tool::bench
