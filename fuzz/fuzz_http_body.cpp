// libFuzzer target for HttpBodyReader behind HttpRequestParser: each input is a stream of
// pipelined requests (heads and bodies), read as a connection would, whole, one byte at a time
// and in random-sized pieces, under default and small limits. Every way must give the same
// requests, bodies and error, and each feed() must keep the reader's contract.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "protocol/http_body.hpp"
#include "protocol/http_request.hpp"

namespace {

using wisp::protocol::BodyLimits;
using wisp::protocol::HttpBodyReader;
using wisp::protocol::HttpLimits;
using wisp::protocol::HttpRequestParser;
using BodyStatus = HttpBodyReader::Status;
using HeadStatus = HttpRequestParser::Status;

struct Outcome {
  std::vector<std::string> requests;  // each complete request: its target, '\n', its body
  int error = 0;
  std::string reason;
  std::size_t used = 0;  // bytes of complete requests
  bool operator==(const Outcome&) const = default;
};

struct Limits {
  HttpLimits head;
  BodyLimits body;
};

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

// Reads a stream as a connection does, checking each call's contract on the way.
class Connection {
 public:
  explicit Connection(const Limits& limits) : limits_(limits), heads_(limits.head) {}

  // `piece` is a fresh copy the caller scribbles over afterwards: what is kept must be copied.
  void feed(std::string_view piece) {
    while (!piece.empty() && out_.error == 0) {
      if (!in_body_ && !read_head(piece)) return;
      if (in_body_) read_body(piece);
    }
  }
  const Outcome& outcome() const { return out_; }

 private:
  bool read_head(std::string_view& piece) {
    const auto r = heads_.feed(piece);
    CHECK(r.consumed <= piece.size());
    if (r.status == HeadStatus::Error) return fail(heads_.error_status(), heads_.error_reason());
    piece.remove_prefix(r.consumed);
    offset_ += r.consumed;
    if (r.status == HeadStatus::Incomplete) return false;
    current_.assign(heads_.request().target) += '\n';
    body_start_ = current_.size();
    const std::string_view length = heads_.request().header("content-length");
    declared_ = 0;
    std::from_chars(length.data(), length.data() + length.size(), declared_);
    const BodyStatus s = reader_.start(heads_.request(), limits_.body);
    if (s == BodyStatus::Error) return fail(reader_.error_status(), reader_.error_reason());
    in_body_ = s == BodyStatus::Incomplete;
    CHECK(in_body_ || declared_ == 0);
    if (!in_body_) finish();
    return true;
  }

  void read_body(std::string_view& piece) {
    const std::size_t before = current_.size();
    const auto r = reader_.feed(piece, current_);
    if (r.status == BodyStatus::Error) {
      CHECK(r.consumed == 0 && current_.size() >= before);
      fail(reader_.error_status(), reader_.error_reason());
      return;
    }
    CHECK(r.consumed <= piece.size());
    CHECK(r.status == BodyStatus::Complete || r.consumed == piece.size());
    if (reader_.chunked()) {
      CHECK(r.data.empty());
    } else {
      CHECK(current_.size() == before && r.data.data() == piece.data() &&
            r.data.size() == r.consumed);
      current_.append(r.data);
    }
    CHECK(reader_.size() == current_.size() - body_start_);
    CHECK(reader_.size() <= limits_.body.max_body_size);
    piece.remove_prefix(r.consumed);
    offset_ += r.consumed;
    if (r.status == BodyStatus::Complete) {
      if (!reader_.chunked()) CHECK(reader_.size() == declared_);
      in_body_ = false;
      finish();
    }
  }

  void finish() {
    out_.requests.push_back(current_);
    out_.used = offset_;
  }

  bool fail(int status, std::string_view reason) {
    CHECK(status == 400 || status == 413 || status == 431 || status == 501 || status == 505);
    CHECK(!reason.empty() && reason.find('\n') == std::string_view::npos);
    out_.error = status;
    out_.reason = reason;
    return false;
  }

  Limits limits_;
  HttpRequestParser heads_;
  HttpBodyReader reader_;
  bool in_body_ = false;
  std::string current_;
  std::size_t body_start_ = 0;
  std::uint64_t declared_ = 0;  // Content-Length; 0 if absent
  std::size_t offset_ = 0;
  Outcome out_;
};

// Feeds `data` all at once (max_piece 0), or in pieces of 1..max_piece bytes.
Outcome read(std::string_view data, const Limits& limits, std::size_t max_piece, Random random) {
  Connection connection(limits);
  for (std::size_t offset = 0; offset < data.size();) {
    const std::size_t left = data.size() - offset;
    const std::size_t n = max_piece == 0 ? left : std::min(left, 1 + random.below(max_piece));
    std::string piece(data.substr(offset, n));
    connection.feed(piece);
    piece.assign(piece.size(), 'X');
    offset += n;
  }
  return connection.outcome();
}

void check_splits(std::string_view data, const Limits& limits, std::uint64_t seed) {
  const Outcome whole = read(data, limits, 0, {seed});
  CHECK(whole.used <= data.size());
  CHECK(read(data, limits, 1, {seed}) == whole);
  CHECK(read(data, limits, 16, {seed}) == whole);
  CHECK(read(data, limits, 256, {seed}) == whole);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);
  std::uint64_t seed = 0x9e3779b97f4a7c15u;  // FNV-style hash of the input: never zero
  for (unsigned char c : data) seed = (seed ^ c) * 0x100000001b3u;
  check_splits(data, {}, seed | 1);
  check_splits(data,
               {.head = {.max_header_bytes = 256, .max_headers = 8},
                .body = {.max_body_size = 64, .max_chunk_line = 24, .max_trailer_bytes = 32}},
               seed | 1);
  return 0;
}
