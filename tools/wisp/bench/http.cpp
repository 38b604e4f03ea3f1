// `wisp bench http`: keep-alive connections that each keep `--pipeline` GETs in flight (1: one
// request, its response, the next) and check that every response is a 200 with the first one's
// body. The figure is responses per second.
#include <cctype>
#include <charconv>
#include <string>
#include <vector>

#include "driver.hpp"

namespace wisp::tool::bench {
namespace {

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

// The Content-Length of a response head (up to its blank line); -1 if it has none.
long long content_length(std::string_view head) {
  for (std::size_t at = head.find("\r\n"); at != std::string_view::npos;) {
    const std::size_t line = at + 2;
    at = head.find("\r\n", line);
    std::string_view text = head.substr(line, at == std::string_view::npos ? at : at - line);
    if (!starts_with_ci(text, "content-length:")) continue;
    text.remove_prefix(15);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    long long length = -1;
    std::from_chars(text.data(), text.data() + text.size(), length);
    return length;
  }
  return -1;
}

class Http final : public Driver {
 public:
  explicit Http(const BenchOptions& o)
      : Driver(o, "/hello", o.connections ? o.connections : 100),
        depth_(o.pipeline),
        flows_(connections_),
        sent_at_(std::size_t{connections_} * depth_) {
    request_.append("GET ").append(target_path()).append(" HTTP/1.1\r\nHost: ");
    request_.append(o.host).append(":").append(std::to_string(o.port)).append("\r\n\r\n");
  }

 private:
  struct Flow {
    std::uint64_t sent = 0, received = 0;
    std::string partial;  // a response cut by the end of a read
  };

  std::string target_path() const { return options_.path.empty() ? "/hello" : options_.path; }

  void begin() override {
    for (auto& c : conns_) {
      for (unsigned i = 0; i < depth_; ++i) send_next(c);
      c.flush();
    }
  }

  // Whole responses are answered with the next request (flushed when the connection's events
  // are handled); a response cut short waits for the next read.
  void on_bytes(Connection& c, std::string_view bytes) override {
    Flow& flow = flows_[c.id()];
    std::string_view input = bytes;
    if (!flow.partial.empty()) input = flow.partial.append(bytes);
    std::size_t used = 0;
    while (const std::size_t size = take_response(input.substr(used))) {
      used += size;
      record(sent_at_[slot(c, flow.received)], body_.size());
      ++flow.received;
      send_next(c);
    }
    if (flow.partial.empty()) {
      flow.partial.assign(input.substr(used));
    } else {
      flow.partial.erase(0, used);
    }
  }

  // HTTP targets hand their bytes to on_bytes: no frame reaches here.
  void on_message(Connection&, OpCode, std::string_view) override {}

  // The size of the whole response at the front of `input`; 0 if it is not all here (or wrong,
  // which is counted as an error).
  std::size_t take_response(std::string_view input) {
    const std::size_t blank = input.find("\r\n\r\n");
    if (blank == std::string_view::npos) return 0;
    const std::string_view head = input.substr(0, blank + 2);
    const long long length = content_length(head);
    if (!head.starts_with("HTTP/1.1 200 ") || length < 0) {
      fail("not a 200 with a Content-Length: " + std::string(head.substr(0, head.find('\r'))));
      return 0;
    }
    const std::size_t size = blank + 4 + static_cast<std::size_t>(length);
    if (input.size() < size) return 0;
    const std::string_view body = input.substr(blank + 4, static_cast<std::size_t>(length));
    if (!have_body_) {
      body_.assign(body);
      have_body_ = true;
    } else if (body != body_) {
      fail("a response body differs from the first one");
    }
    return size;
  }

  void send_next(Connection& c) {
    Flow& flow = flows_[c.id()];
    sent_at_[slot(c, flow.sent)] = poller_.now();
    c.send(request_);
    ++flow.sent;
  }

  // Responses come back in order, so a ring of `depth_` send times per connection suffices.
  std::size_t slot(const Connection& c, std::uint64_t n) const {
    return std::size_t{c.id()} * depth_ + n % depth_;
  }

  std::string setup_text() const override {
    std::string text = std::to_string(connections_);
    text.append(" keep-alive connections x ").append(std::to_string(depth_));
    text.append(depth_ == 1 ? " request" : " pipelined requests").append(" in flight, GET ");
    text.append(target_path());
    if (options_.tls) text.append(", TLS");
    return text;
  }

  void describe(Summary& s) const override {
    s.figures.emplace_back("pipeline", depth_);
    s.figures.emplace_back("body_bytes", static_cast<double>(body_.size()));
  }

  const unsigned depth_;
  std::string request_;
  std::vector<Flow> flows_;
  std::vector<std::uint64_t> sent_at_;
  std::string body_;  // the first response's, which every other must repeat
  bool have_body_ = false;
};

}  // namespace

int run_http(const BenchOptions& options) { return Http(options).run(); }

}  // namespace wisp::tool::bench
