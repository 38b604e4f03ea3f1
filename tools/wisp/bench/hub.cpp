// `wisp bench hub`: request/response through an event hub's JSON envelope. Each connection keeps
// `inflight` requests {"type":EVENT,"data":"...","id":N} out; the hub answers each with
// {"type":"response","data":...,"id":N}, matched here by id and checked against what was sent.
#include <bit>
#include <charconv>
#include <vector>

#include "driver.hpp"
#include "frames.hpp"

namespace wisp::tool::bench {
namespace {

constexpr std::size_t variants = 4;  // data strings in rotation, chosen by id

// The length of the JSON value at the start of `json` (0 if it is cut short). Values are only
// delimited, not validated: the hub under test is what validates.
std::size_t value_length(std::string_view json) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char ch = json[i];
    if (in_string) {
      if (ch == '\\') {
        ++i;
      } else if (ch == '"') {
        in_string = false;
        if (depth == 0) return i + 1;
      }
      continue;
    }
    switch (ch) {
      case '"':
        in_string = true;
        break;
      case '{':
      case '[':
        ++depth;
        break;
      case '}':
      case ']':
        if (depth == 0) return i;  // the enclosing object ends: so does a number or literal
        if (--depth == 0) return i + 1;
        break;
      case ',':
      case ' ':
      case '\t':
      case '\r':
      case '\n':
        if (depth == 0) return i;
        break;
      default:
        break;
    }
  }
  return in_string || depth ? 0 : json.size();
}

struct Envelope {
  std::string_view type, data, id;  // raw JSON values (type with its quotes)
};

// The top-level "type", "data" and "id" of an envelope object, as raw JSON text.
bool parse_envelope(std::string_view json, Envelope& out) {
  auto skip_space = [&] {
    while (!json.empty() && (json.front() == ' ' || json.front() == '\n' || json.front() == '\r' ||
                             json.front() == '\t')) {
      json.remove_prefix(1);
    }
  };
  skip_space();
  if (json.empty() || json.front() != '{') return false;
  json.remove_prefix(1);
  for (;;) {
    skip_space();
    if (!json.empty() && json.front() == '}') return true;
    const std::size_t key_size = value_length(json);
    if (key_size < 2 || json.front() != '"') return false;
    const std::string_view key = json.substr(1, key_size - 2);
    json.remove_prefix(key_size);
    skip_space();
    if (json.empty() || json.front() != ':') return false;
    json.remove_prefix(1);
    skip_space();
    const std::size_t size = value_length(json);
    if (size == 0) return false;
    const std::string_view value = json.substr(0, size);
    if (key == "type") out.type = value;
    if (key == "data") out.data = value;
    if (key == "id") out.id = value;
    json.remove_prefix(size);
    skip_space();
    if (!json.empty() && json.front() == ',') json.remove_prefix(1);
  }
}

class Hub final : public Driver {
 public:
  explicit Hub(const BenchOptions& o)
      : Driver(o, "/ws", o.connections ? o.connections : 100),
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
  };
  struct Pending {
    std::uint64_t id = 0;  // 0: none
    std::uint64_t sent_at = 0;
  };

  void begin() override {
    if (options_.paced()) return;
    for (auto& c : conns_) {
      for (unsigned i = 0; i < inflight_; ++i) send_request(c);
      c.flush();
    }
  }

  void pace(std::uint64_t due) override {
    spread(due, [this](Connection& c, std::uint64_t share) {
      Flow& flow = flows_[c.id()];
      flow.backlog += share;
      for (; flow.backlog > 0 && flow.outstanding < inflight_; --flow.backlog) send_request(c);
    });
  }

  void send_request(Connection& c) {
    Flow& flow = flows_[c.id()];
    const std::uint64_t id = flow.next_id++;
    pending_[slot(c, id)] = {id, poller_.now()};
    ++flow.outstanding;
    request_.assign("{\"type\":\"").append(options_.event).append("\",\"data\":");
    request_.append(data_[id % variants]).append(",\"id\":").append(std::to_string(id));
    request_.push_back('}');
    c.send_frame(OpCode::Text, request_);
  }

  void on_message(Connection& c, OpCode, std::string_view payload) override {
    Envelope envelope;
    std::uint64_t id = 0;
    if (!parse_envelope(payload, envelope)) return fail("hub: not a JSON envelope");
    // The hub's own pushes (its welcome, broadcasts) carry no id and answer nothing.
    const bool answer = envelope.type == "\"response\"" || envelope.type == "\"error\"";
    if (envelope.id.empty() && !answer) return;
    if (std::from_chars(envelope.id.data(), envelope.id.data() + envelope.id.size(), id).ec !=
        std::errc{}) {
      return fail("hub: a message without an id");
    }
    if (envelope.type != "\"response\"") return fail("hub: not a response");
    Pending& pending = pending_[slot(c, id)];
    if (pending.id != id) return fail("hub: a response to no request");
    if (envelope.data != data_[id % variants]) fail("hub: the response's data differs");
    pending.id = 0;
    Flow& flow = flows_[c.id()];
    --flow.outstanding;
    record(pending.sent_at, options_.size);
    if (!options_.paced()) return send_request(c);
    if (flow.backlog > 0) {
      --flow.backlog;
      send_request(c);
    }
  }

  std::size_t slot(const Connection& c, std::uint64_t id) const {
    return std::size_t{c.id()} * ring_ + id % ring_;
  }

  std::string setup_text() const override {
    std::string text = std::to_string(connections_);
    text.append(" connections x ").append(std::to_string(inflight_)).append(" in flight, event ");
    text.append(options_.event).append(", ").append(std::to_string(options_.size));
    text.append(" B data");
    if (options_.paced())
      text.append(", paced at ").append(format_number(options_.rate)).append("/s");
    return text;
  }

  void describe(Summary& s) const override { s.figures.emplace_back("inflight", inflight_); }

  const unsigned inflight_;
  const std::size_t ring_;  // request slots per connection: room for replies out of order
  std::string data_[variants];
  std::string request_;  // scratch for the request being sent
  std::vector<Flow> flows_;
  std::vector<Pending> pending_;
};

}  // namespace

int run_hub(const BenchOptions& options) { return Hub(options).run(); }

}  // namespace wisp::tool::bench
