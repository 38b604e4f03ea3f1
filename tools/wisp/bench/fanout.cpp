// `wisp bench fanout`: one sender and N receivers on a route where the server publishes every
// message to every client (the sender included). Each message carries its sequence number; each
// receiver checks it gets them all, in order, byte for byte. Figures count deliveries to the
// receivers.
//
// With --ports the receivers are spread over several servers, nodes of one cluster (connection i
// on the (i mod N)-th, the sender on the first): what one node publishes must reach the others'
// subscribers. Message 0 primes the path: it is sent again every 100 ms until every connection
// has it (a node may subscribe to the topic in its broker a moment after its first subscriber
// came), its extra copies are ignored, and the load starts at message 1.
//
// Unpaced, the sender keeps `inflight` messages out, timed by the slowest node: the first
// connection on each server (the sender itself on the first) says how far that server got.
//
// --protocol socketio: the same over Socket.IO v5 (Engine.IO v4 on a plain WebSocket), each
// message the event 42["fanout","<payload>"] that the server emits to every client.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "driver.hpp"
#include "frames.hpp"
#include "hub_wire.hpp"

namespace wisp::tool::bench {
namespace {

constexpr std::size_t sequence_digits = 16;   // hex, at the start of each payload
constexpr std::size_t ring = 1 << 16;         // send times kept: a receiver may lag this far
constexpr std::string_view event = "fanout";  // Socket.IO's event name

class Fanout final : public Driver {
 public:
  explicit Fanout(const BenchOptions& o)
      : Driver(o, o.protocol == HubProtocol::SocketIo ? socketio::path : "/fanout",
               (o.connections ? o.connections : 1000) + 1),
        socketio_(o.protocol == HubProtocol::SocketIo),
        op_(o.binary ? OpCode::Binary : OpCode::Text),
        servers_(targets_.size()),
        expected_(connections_),
        sent_at_(ring) {
    if (o.size < sequence_digits) throw std::invalid_argument("fanout: --size must be 16 or more");
    if (socketio_ && o.binary) throw std::invalid_argument("fanout: Socket.IO events are text");
    if (connections_ < servers_) throw std::invalid_argument("fanout: a receiver per server");
    filler_ = test_payload(o.size - sequence_digits, 0);
  }

 private:
  Connection& sender() { return conns_.front(); }

  bool setup() override {
    return Driver::setup() && poll_until([this] { return ready_ == conns_.size(); }, 30) && prime();
  }

  bool prime() {
    for (int attempt = 0; attempt < 100; ++attempt) {
      send_sequence(0);
      sender().flush();
      if (poll_until([this] { return primed_ == conns_.size(); }, 0.1)) {
        sent_ = 1;
        return true;
      }
      if (errors_) return false;
    }
    fail("fanout: not every connection got the first message within 10 s");
    return false;
  }

  void opened(Connection&) override {
    if (!socketio_) ++ready_;
  }

  void begin() override {
    if (!options_.paced()) send_more();
  }

  void pace(std::uint64_t due) override {
    for (; due > 0; --due) send_one();
    sender().flush();
  }

  void after_poll() override {
    if (!options_.paced()) sender().flush();
  }

  // Unpaced: up to `inflight` messages beyond what the slowest server delivered.
  void send_more() {
    std::uint64_t slowest = sent_;
    for (std::size_t s = 0; s < servers_; ++s) slowest = std::min(slowest, expected_[s]);
    while (sent_ - slowest < options_.inflight_or_default()) send_one();
  }

  void send_one() {
    sent_at_[sent_ % ring] = poller_.now();
    send_sequence(sent_++);
  }

  void send_sequence(std::uint64_t seq) {
    char digits[sequence_digits + 1];
    std::snprintf(digits, sizeof digits, "%016llx", static_cast<unsigned long long>(seq));
    payload_.assign(digits, sequence_digits).append(filler_);
    if (!socketio_) return sender().send_frame(op_, payload_);
    quoted_.assign("\"").append(payload_).push_back('"');
    packet_.clear();
    socketio::append_event(packet_, event, quoted_);
    sender().send_frame(OpCode::Text, packet_);
  }

  void on_message(Connection& c, OpCode op, std::string_view message) override {
    if (!socketio_) return received(c, op, message);
    if (message.starts_with("42"))
      return received(c, op, unquoted(socketio::event_data(message, event)));
    Answer unused;
    switch (socketio::read(message, unused)) {
      case Incoming::Open:
        return c.send_frame(OpCode::Text, socketio::connect);
      case Incoming::Connected:
        ++ready_;
        return;
      case Incoming::Ping:
        return c.send_frame(OpCode::Text, socketio::pong);
      default:
        return fail(std::string("fanout: unexpected message: ").append(message.substr(0, 120)));
    }
  }

  // A JSON string's text (our payloads need no escapes); empty if it is not a string.
  static std::string_view unquoted(std::string_view json) {
    if (json.size() < 2 || json.front() != '"' || json.back() != '"') return {};
    return json.substr(1, json.size() - 2);
  }

  void received(Connection& c, OpCode op, std::string_view payload) {
    std::uint64_t& expected = expected_[c.id()];
    if (op != op_ || payload.size() != options_.size ||
        payload.substr(sequence_digits) != filler_) {
      return fail("fanout: a message that was not sent");
    }
    std::uint64_t seq = 0;
    std::from_chars(payload.data(), payload.data() + sequence_digits, seq, 16);
    if (c.id() == 0) ++published_;
    if (seq == 0 && expected == 1) return;  // another copy of the priming message
    if (seq != expected) fail("fanout: a message lost or out of order");
    expected = seq + 1;
    if (seq == 0) ++primed_;
    if (c.id() != 0 && seq != 0) record(sent_at_[seq % ring], payload.size());
    if (!options_.paced() && c.id() < servers_ && seq != 0) send_more();
  }

  std::string setup_text() const override {
    std::string text = "1 sender, ";
    text.append(std::to_string(connections_ - 1)).append(" receivers");
    if (servers_ > 1) text.append(" over ").append(std::to_string(servers_)).append(" servers");
    text.append(", ").append(std::to_string(options_.size));
    text.append(socketio_ ? " B Socket.IO events" : op_ == OpCode::Text ? " B text" : " B binary");
    if (options_.paced())
      text.append(", paced at ").append(format_number(options_.rate)).append("/s");
    return text;
  }

  void describe(Summary& s) const override {
    s.figures.emplace_back("receivers", connections_ - 1);
    s.figures.emplace_back("servers", static_cast<double>(servers_));
    s.figures.emplace_back("sent", static_cast<double>(sent_));
    s.figures.emplace_back("published", static_cast<double>(published_));
  }

  const bool socketio_;
  const OpCode op_;
  const std::size_t servers_;  // connections 0..servers_-1 are each the first on its server
  std::string filler_;         // the payload after the sequence number
  std::string payload_, quoted_, packet_;  // scratch for the message being sent
  std::vector<std::uint64_t> expected_;    // per connection: the next sequence number
  std::vector<std::uint64_t> sent_at_;
  std::uint64_t sent_ = 0;
  std::size_t ready_ = 0;   // connections open (Socket.IO: their namespace joined)
  std::size_t primed_ = 0;  // connections that got message 0
  // Messages the server published over the whole run, extra priming copies included: the
  // sender's node delivers each to the sender (what Redis' command counts are divided by).
  std::uint64_t published_ = 0;
};

}  // namespace

int run_fanout(const BenchOptions& options) { return Fanout(options).run(); }

}  // namespace wisp::tool::bench
