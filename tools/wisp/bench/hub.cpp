// `wisp bench hub`: request/response through an event hub. Each connection keeps `inflight`
// requests out, matched by id when answered and their data checked against what was sent:
//   --protocol hub       {"type":EVENT,"data":"...","id":N} -> {"type":"response","data":..,"id":N}
//   --protocol socketio  42N["EVENT","..."] -> 43N["..."] (Socket.IO's event with an ack), after
//                        Engine.IO's open `0{..}`, our CONNECT `40` and the server's `40{..}`;
//                        pings `2` are answered with `3`.
// A hub message sent with an ack ({"type",..,"data":D,"ack":A}) is answered at once with
// {"type":"ack","id":A,"data":D}: `--event echo_ack` (wisp serve's hub) measures a request whose
// answer waits for the client's ack.
#include <bit>
#include <vector>

#include "driver.hpp"
#include "frames.hpp"
#include "hub_wire.hpp"

namespace wisp::tool::bench {
namespace {

constexpr std::size_t variants = 4;  // data strings in rotation, chosen by id

class Hub final : public Driver {
 public:
  explicit Hub(const BenchOptions& o)
      : Driver(o, o.protocol == HubProtocol::SocketIo ? socketio::path : "/ws",
               o.connections ? o.connections : 100),
        socketio_(o.protocol == HubProtocol::SocketIo),
        inflight_(o.inflight_or_default()),
        ring_(std::bit_ceil(2 * inflight_)),
        flows_(connections_),
        pending_(std::size_t{connections_} * ring_) {
    for (std::size_t v = 0; v < variants; ++v) {
      data_[v].append("\"").append(test_payload(o.size, v)).append("\"");
    }
  }

 private:
  struct Flow {
    std::uint64_t next_id = 1, outstanding = 0, backlog = 0;
    bool ready = false;  // the hub's socket is open; Socket.IO's namespace is joined
  };
  struct Pending {
    std::uint64_t id = 0;  // 0: none
    std::uint64_t sent_at = 0;
  };

  void opened(Connection& c) override { flows_[c.id()].ready = !socketio_; }

  void begin() override {
    started_ = true;
    for (auto& c : conns_) {
      fill(c);
      c.flush();
    }
  }

  void pace(std::uint64_t due) override {
    spread(due, [this](Connection& c, std::uint64_t share) {
      flows_[c.id()].backlog += share;
      fill(c);
    });
  }

  // Sends what may go now: up to `inflight` out, paced by the backlog when --rate is given.
  void fill(Connection& c) {
    Flow& flow = flows_[c.id()];
    if (!started_ || !flow.ready) return;
    while (flow.outstanding < inflight_ && (!options_.paced() || flow.backlog > 0)) {
      if (options_.paced()) --flow.backlog;
      send_request(c);
    }
  }

  void send_request(Connection& c) {
    Flow& flow = flows_[c.id()];
    const std::uint64_t id = flow.next_id++;
    pending_[slot(c, id)] = {id, poller_.now()};
    ++flow.outstanding;
    request_.clear();
    if (socketio_) {
      socketio::append_request(request_, options_.event, data_[id % variants], id);
    } else {
      envelope::append_request(request_, options_.event, data_[id % variants], id);
    }
    c.send_frame(OpCode::Text, request_);
  }

  void on_message(Connection& c, OpCode, std::string_view message) override {
    Answer answer;
    switch (socketio_ ? socketio::read(message, answer) : envelope::read(message, answer)) {
      case Incoming::Answer:
        return answered(c, answer);
      case Incoming::Push:
        return;
      case Incoming::Ask:
        request_.clear();
        envelope::append_ack(request_, answer.ack, answer.data);
        return c.send_frame(OpCode::Text, request_);
      case Incoming::Open:
        return c.send_frame(OpCode::Text, socketio::connect);
      case Incoming::Connected:
        flows_[c.id()].ready = true;
        return fill(c);
      case Incoming::Ping:
        return c.send_frame(OpCode::Text, socketio::pong);
      case Incoming::Invalid:
        break;
    }
    fail(std::string("hub: unexpected message: ").append(message.substr(0, 120)));
  }

  void answered(Connection& c, const Answer& answer) {
    Pending& pending = pending_[slot(c, answer.id)];
    if (pending.id != answer.id || answer.id == 0) return fail("hub: an answer to no request");
    if (answer.data != data_[answer.id % variants]) fail("hub: the answer's data differs");
    pending.id = 0;
    --flows_[c.id()].outstanding;
    record(pending.sent_at, options_.size);
    fill(c);
  }

  std::size_t slot(const Connection& c, std::uint64_t id) const {
    return std::size_t{c.id()} * ring_ + id % ring_;
  }

  std::string setup_text() const override {
    std::string text = std::to_string(connections_);
    text.append(" connections x ").append(std::to_string(inflight_)).append(" in flight, ");
    text.append(socketio_ ? "Socket.IO event " : "event ").append(options_.event).append(", ");
    text.append(std::to_string(options_.size)).append(" B data");
    if (options_.paced())
      text.append(", paced at ").append(format_number(options_.rate)).append("/s");
    return text;
  }

  void describe(Summary& s) const override { s.figures.emplace_back("inflight", inflight_); }

  const bool socketio_;
  const unsigned inflight_;
  const std::size_t ring_;  // request slots per connection: room for replies out of order
  bool started_ = false;    // begin() ran: the load may go
  std::string data_[variants];
  std::string request_;  // scratch for the request being sent
  std::vector<Flow> flows_;
  std::vector<Pending> pending_;
};

}  // namespace

int run_hub(const BenchOptions& options) { return Hub(options).run(); }

}  // namespace wisp::tool::bench
