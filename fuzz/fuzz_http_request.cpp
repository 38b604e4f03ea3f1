// libFuzzer target for HttpRequestParser and the upgrade check. Each input is parsed whole, one
// byte at a time and in random-sized pieces, under default and small limits; every way must give
// the same outcome, and each feed() must keep the parser's contract.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "protocol/handshake.hpp"
#include "protocol/http_request.hpp"

namespace {

using wisp::protocol::HttpLimits;
using wisp::protocol::HttpRequest;
using wisp::protocol::HttpRequestParser;
using Status = HttpRequestParser::Status;

struct Outcome {
  Status status = Status::Incomplete;
  std::size_t consumed = 0;  // head bytes over all feeds
  int error_status = 0;
  std::string reason;
  std::string request;  // the parsed head, flattened for comparison
};

bool operator==(const Outcome& a, const Outcome& b) {
  return a.status == b.status && a.consumed == b.consumed && a.error_status == b.error_status &&
         a.reason == b.reason && a.request == b.request;
}

std::string flatten(const HttpRequest& r) {
  std::string out;
  for (std::string_view part : {r.method, r.target, r.path, r.query}) out.append(part) += '\n';
  out += static_cast<char>('0' + r.version_minor);
  for (const auto& h : r.headers) out.append(h.name).append(":").append(h.value) += '\n';
  return out;
}

// Checks what a complete head must satisfy, and exercises the helpers and the handshake on it.
void check_complete(const HttpRequest& r, std::string_view head, const HttpLimits& limits) {
  CHECK(head.size() <= limits.max_header_bytes);
  CHECK(head.ends_with("\r\n\r\n"));
  CHECK(r.headers.size() <= limits.max_headers);
  CHECK(!r.method.empty() && !r.target.empty());
  CHECK(r.target.starts_with(r.path) && r.path.size() + r.query.size() <= r.target.size());
  for (const auto& h : r.headers) {
    CHECK(!h.name.empty() && r.header_count(h.name) >= 1);
    const auto ows = [](char c) { return c == ' ' || c == '\t'; };
    CHECK(h.value.empty() || (!ows(h.value.front()) && !ows(h.value.back())));
  }
  const wisp::protocol::UpgradeCheck check = wisp::protocol::check_upgrade(r);
  CHECK(check.ok() == check.reason.empty());
  if (check.ok()) {
    CHECK(wisp::protocol::wants_websocket(r));
    std::string response;
    wisp::protocol::append_switching_protocols(response, check.key, check.protocols);
    CHECK(response.ends_with("\r\n\r\n"));
  }
}

// A small deterministic generator, so a crash reproduces from its input alone.
struct Random {
  std::uint64_t state;
  std::size_t below(std::size_t n) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return static_cast<std::size_t>(state % n);
  }
};

// Feeds `data` in pieces: all at once (max_piece 0), or 1..max_piece bytes each. Each piece is a
// fresh copy that is scribbled over and freed after the feed, so a parser that kept a view into
// an earlier piece instead of copying it is caught (by ASan, or by the comparison).
Outcome parse(std::string_view data, const HttpLimits& limits, std::size_t max_piece,
              Random random) {
  HttpRequestParser parser(limits);
  Outcome out;
  std::size_t offset = 0;
  while (true) {
    const std::size_t left = data.size() - offset;
    const std::size_t n = max_piece == 0 ? left : std::min(left, 1 + random.below(max_piece));
    std::string piece(data.substr(offset, n));
    const auto result = parser.feed(piece);
    CHECK(result.consumed <= n);
    out.status = result.status;
    if (result.status == Status::Complete) {
      out.consumed = offset + result.consumed;
      out.request = flatten(parser.request());
      check_complete(parser.request(), data.substr(0, out.consumed), limits);
      return out;
    }
    if (result.status == Status::Error) {
      CHECK(result.consumed == 0);
      out.consumed = 0;
      out.error_status = parser.error_status();
      out.reason = parser.error_reason();
      CHECK(out.error_status == 400 || out.error_status == 431 || out.error_status == 505);
      CHECK(!out.reason.empty() && out.reason.find('\n') == std::string::npos);
      CHECK(parser.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status == Status::Error);
      return out;
    }
    CHECK(result.consumed == n);
    CHECK(parser.error_status() == 0);
    offset += n;
    out.consumed = offset;
    if (offset == data.size()) return out;
    piece.assign(piece.size(), 'X');
  }
}

void check_splits(std::string_view data, const HttpLimits& limits, std::uint64_t seed) {
  const Outcome whole = parse(data, limits, 0, {seed});
  CHECK(whole.status != Status::Incomplete || whole.consumed == data.size());
  CHECK(parse(data, limits, 1, {seed}) == whole);
  CHECK(parse(data, limits, 64, {seed}) == whole);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);
  std::uint64_t seed = 0x9e3779b97f4a7c15u;  // FNV-style hash of the input: never zero
  for (unsigned char c : data) seed = (seed ^ c) * 0x100000001b3u;
  check_splits(data, HttpLimits{}, seed | 1);
  check_splits(data, HttpLimits{.max_header_bytes = 200, .max_headers = 4}, seed | 1);
  return 0;
}
