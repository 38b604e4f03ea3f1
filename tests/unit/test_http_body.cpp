// HttpBodyReader with HttpRequestParser, per RFC 9112 §6-§7: Content-Length and chunked bodies
// split every way, chunked framing edge cases, limits and pipelining.
#include "protocol/http_body.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace wisp::protocol {
namespace {

using Status = HttpBodyReader::Status;

// What a connection makes of a byte stream: each request's target and body, then the error that
// stopped it, if any.
struct Outcome {
  std::vector<std::string> targets;
  std::vector<std::string> bodies;  // one per request whose body completed
  int error = 0;
  std::string reason;
  std::size_t used = 0;  // bytes that belonged to complete requests
  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << o.targets.size() << " requests, bodies:";
  for (const auto& b : o.bodies) os << " [" << b << "]";
  return os << ", error " << o.error << " (" << o.reason << "), used " << o.used;
}

// Drives a head parser and a body reader over pieces of input as a connection would: the bytes
// after a head go to the body, the bytes after a body to the next head.
class Connection {
 public:
  explicit Connection(BodyLimits limits) : limits_(limits) {}

  void feed(std::string_view data) {
    while (!data.empty() && out_.error == 0) {
      if (!in_body_ && !read_head(data)) return;
      if (in_body_) read_body(data);
    }
  }
  const Outcome& outcome() const { return out_; }

 private:
  // False when the head needs more bytes or failed.
  bool read_head(std::string_view& data) {
    const auto r = heads_.feed(data);
    if (r.status == HttpRequestParser::Status::Error) return fail(heads_.error_status(), "head");
    data.remove_prefix(r.consumed);
    head_bytes_ += r.consumed;
    if (r.status == HttpRequestParser::Status::Incomplete) return false;
    out_.targets.emplace_back(heads_.request().target);
    body_.clear();
    const Status s = reader_.start(heads_.request(), limits_);
    if (s == Status::Error) return fail(reader_.error_status(), reader_.error_reason());
    if (s == Status::Complete) finish();
    in_body_ = s == Status::Incomplete;
    return true;
  }

  void read_body(std::string_view& data) {
    const auto r = reader_.feed(data, body_);
    if (r.status == Status::Error) {
      fail(reader_.error_status(), reader_.error_reason());
      return;
    }
    EXPECT_TRUE(r.data.empty() || r.data.data() == data.data());  // a view into the input
    body_.append(r.data);
    data.remove_prefix(r.consumed);
    head_bytes_ += r.consumed;
    if (r.status == Status::Complete) {
      in_body_ = false;
      finish();
    }
  }

  void finish() {
    out_.bodies.push_back(body_);
    out_.used = head_bytes_;
  }
  bool fail(int status, std::string_view reason) {
    out_.error = status;
    out_.reason = reason;
    return false;
  }

  BodyLimits limits_;
  HttpRequestParser heads_;
  HttpBodyReader reader_;
  std::string body_;
  bool in_body_ = false;
  std::size_t head_bytes_ = 0;
  Outcome out_;
};

Outcome run(std::string_view stream, std::vector<std::size_t> cuts, BodyLimits limits = {}) {
  Connection c(limits);
  std::size_t from = 0;
  cuts.push_back(stream.size());
  for (std::size_t cut : cuts) {
    c.feed(stream.substr(from, cut - from));
    from = cut;
  }
  return c.outcome();
}

// Checks that `stream` gives the same outcome whole, one byte at a time and cut in two anywhere,
// and returns it.
Outcome run_every_split(std::string_view stream, BodyLimits limits = {}) {
  const Outcome whole = run(stream, {}, limits);
  std::vector<std::size_t> bytes;
  for (std::size_t i = 1; i < stream.size(); ++i) bytes.push_back(i);
  EXPECT_EQ(run(stream, bytes, limits), whole) << "one byte at a time";
  for (std::size_t i = 1; i < stream.size(); ++i) {
    EXPECT_EQ(run(stream, {i}, limits), whole) << "cut at " << i;
  }
  return whole;
}

const std::string kChunkedHead =
    "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";

std::string post(std::string_view target, std::string_view body) {
  std::string s = "POST ";
  s.append(target).append(" HTTP/1.1\r\nHost: h\r\nContent-Length: ");
  s.append(std::to_string(body.size())).append("\r\n\r\n").append(body);
  return s;
}

// §6.2: a Content-Length body, delivered as a view into the input.
TEST(HttpBody, ContentLengthBodyIsAViewIntoTheInput) {
  const std::string stream = post("/a", "hello world");
  HttpRequestParser heads;
  const auto h = heads.feed(stream);
  ASSERT_EQ(h.status, HttpRequestParser::Status::Complete);
  HttpBodyReader reader;
  ASSERT_EQ(reader.start(heads.request()), Status::Incomplete);
  EXPECT_FALSE(reader.chunked());
  std::string unused;
  const std::string_view rest = std::string_view(stream).substr(h.consumed);
  const auto r = reader.feed(rest, unused);
  EXPECT_EQ(r.status, Status::Complete);
  EXPECT_EQ(r.consumed, 11u);
  EXPECT_EQ(r.data, "hello world");
  EXPECT_EQ(r.data.data(), rest.data());
  EXPECT_TRUE(unused.empty());
  EXPECT_EQ(reader.size(), 11u);
}

// §6.3: without Content-Length or Transfer-Encoding a request has no body.
TEST(HttpBody, NoBodyIsCompleteAtStart) {
  for (const std::string head : {"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
                                 "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"}) {
    HttpRequestParser heads;
    ASSERT_EQ(heads.feed(head).status, HttpRequestParser::Status::Complete);
    HttpBodyReader reader;
    EXPECT_EQ(reader.start(heads.request()), Status::Complete) << head;
    std::string out;
    const auto r = reader.feed("GET / HTTP/1.1\r\n", out);
    EXPECT_EQ(r.status, Status::Complete);
    EXPECT_EQ(r.consumed, 0u);
  }
}

TEST(HttpBody, ContentLengthEverySplit) {
  const Outcome o = run_every_split(post("/a", "0123456789"));
  EXPECT_EQ(o.bodies, std::vector<std::string>{"0123456789"});
  EXPECT_EQ(o.error, 0);
}

// Requests back to back in one stream, with every kind of body: each body ends exactly where the
// next request begins, however the stream is cut.
TEST(HttpBody, PipelinedRequestsWithBodiesEverySplit) {
  const std::string stream =
      post("/1", "first") + kChunkedHead + "3;x=1\r\nsec\r\nA\r\nond chunk!\r\n0\r\nT: v\r\n\r\n" +
      "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n" + post("/4", "") + post("/5", "last body");
  const Outcome o = run_every_split(stream);
  EXPECT_EQ(o.error, 0) << o.reason;
  EXPECT_EQ(o.targets, (std::vector<std::string>{"/1", "/up", "/3", "/4", "/5"}));
  EXPECT_EQ(o.bodies, (std::vector<std::string>{"first", "second chunk!", "", "", "last body"}));
  EXPECT_EQ(o.used, stream.size());
}

struct ChunkedCase {
  const char* name;
  std::string body;      // the bytes after the head
  std::string expected;  // the decoded body, when status is 0
  int status = 0;        // the error, if any
  std::string reason = {};
};

// §7.1: chunked framing, valid and not, each checked whole and split every way.
TEST(HttpBody, ChunkedCasesEverySplit) {
  const std::vector<ChunkedCase> cases = {
      {"one chunk", "5\r\nhello\r\n0\r\n\r\n", "hello"},
      {"uppercase hex", "A\r\n0123456789\r\n0\r\n\r\n", "0123456789"},
      {"lowercase hex", "a\r\n0123456789\r\n0\r\n\r\n", "0123456789"},
      {"mixed-case hex", "1aB\r\n" + std::string(0x1ab, 'x') + "\r\n0\r\n\r\n",
       std::string(0x1ab, 'x')},
      {"leading zeros", "0005\r\nhello\r\n000\r\n\r\n", "hello"},
      {"zero chunk only", "0\r\n\r\n", ""},
      {"several chunks", "1\r\na\r\n2\r\nbc\r\n3\r\ndef\r\n0\r\n\r\n", "abcdef"},
      {"CRLF inside data", "4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n"},
      {"extension name", "5;name\r\nhello\r\n0\r\n\r\n", "hello"},
      {"extensions with values", "5;a=1;b=tok;c=\"q \\\" ;x\"\r\nhello\r\n0;last\r\n\r\n", "hello"},
      {"whitespace around extensions", "5 ; a = 1 ;b\t=\t\"v\"\r\nhello\r\n0\r\n\r\n", "hello"},
      {"trailers", "5\r\nhello\r\n0\r\nX-Sum: abc\r\nX-Empty:\r\n\r\n", "hello"},
      {"empty size", "\r\nhello\r\n0\r\n\r\n", "", 400, "chunk size is not hexadecimal"},
      {"non-hex size", "g\r\n", "", 400, "chunk size is not hexadecimal"},
      {"negative size", "-5\r\n", "", 400, "chunk size is not hexadecimal"},
      {"0x prefix", "0x5\r\n", "", 400, "chunk size is not hexadecimal"},
      {"size then junk", "5z\r\n", "", 400, "chunk size is not hexadecimal"},
      {"bare LF after size", "5\nhello\r\n0\r\n\r\n", "", 400,
       "line ends in bare LF instead of CRLF"},
      {"bare CR after size", "5\rhello", "", 400, "chunk-size line ends in bare CR"},
      {"whitespace before CRLF", "5 \r\nhello\r\n0\r\n\r\n", "", 400, "invalid chunk extension"},
      {"empty extension", "5;\r\n", "", 400, "invalid chunk extension"},
      {"extension without value", "5;a=\r\n", "", 400, "invalid chunk extension"},
      {"extension bad name", "5;a b\r\n", "", 400, "invalid chunk extension"},
      {"unterminated quoted value", "5;a=\"x\r\n", "", 400, "invalid chunk extension"},
      {"data longer than size", "5\r\nhelloX\r\n0\r\n\r\n", "", 400,
       "chunk data not followed by CRLF"},
      {"data then bare LF", "5\r\nhello\n0\r\n\r\n", "", 400, "chunk data not followed by CRLF"},
      {"data then CR only", "5\r\nhello\r0\r\n\r\n", "", 400, "chunk data not followed by CRLF"},
      {"trailer without colon", "0\r\nbad trailer\r\n\r\n", "", 400, "invalid trailer field"},
      {"trailer folded", "0\r\n X: a\r\n\r\n", "", 400, "invalid trailer field"},
      {"trailer control character", "0\r\nX: a\x01\r\n\r\n", "", 400, "invalid trailer field"},
      {"trailer bare LF", "0\r\nX: a\n\r\n", "", 400, "line ends in bare LF instead of CRLF"},
      {"trailer bare CR", "0\r\nX: a\rb\r\n\r\n", "", 400, "trailer line ends in bare CR"},
      {"no final CRLF", "0\r\n\rX", "", 400, "chunked body does not end in CRLF"},
  };
  for (const ChunkedCase& c : cases) {
    SCOPED_TRACE(c.name);
    const Outcome o = run_every_split(kChunkedHead + c.body);
    EXPECT_EQ(o.error, c.status);
    EXPECT_EQ(o.reason, c.reason);
    if (c.status == 0) {
      EXPECT_EQ(o.bodies, std::vector<std::string>{c.expected});
    }
  }
}

// A chunked body that is not complete yet is not reported complete, however much framing came.
TEST(HttpBody, ChunkedIncompleteUntilTheFinalCrlf) {
  const std::string body = "5\r\nhello\r\n0\r\nX: y\r\n\r\n";
  for (std::size_t n = 0; n < body.size(); ++n) {
    const Outcome o = run(kChunkedHead + body.substr(0, n), {});
    EXPECT_TRUE(o.bodies.empty()) << n;
    EXPECT_EQ(o.error, 0) << n;
  }
}

// §6.3 and the limits: 413 for a Content-Length over max_body_size before any body byte.
TEST(HttpBody, ContentLengthOverLimitIs413AtStart) {
  const BodyLimits limits{.max_body_size = 10};
  EXPECT_EQ(run_every_split(post("/a", "0123456789"), limits).bodies.size(), 1u);
  const Outcome o = run(post("/a", "0123456789X").substr(0, 60), {}, limits);
  EXPECT_EQ(o.error, 413);
  EXPECT_EQ(o.reason, "Content-Length over max_body_size");
}

TEST(HttpBody, ChunkedOverLimitIs413) {
  const BodyLimits limits{.max_body_size = 10};
  EXPECT_EQ(run_every_split(kChunkedHead + "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", limits).error,
            0);
  for (std::string body : {"B\r\n", "5\r\nhello\r\n6\r\n", "00000000000000000000B\r\n"}) {
    const Outcome o = run_every_split(kChunkedHead + body, limits);
    EXPECT_EQ(o.error, 413) << body;
    EXPECT_EQ(o.reason, "chunked body over max_body_size");
  }
}

// A chunk size of 2^64 must not wrap around to a small one, even with no limit to speak of.
TEST(HttpBody, ChunkSizeDoesNotOverflow) {
  const BodyLimits unlimited{.max_body_size = std::numeric_limits<std::uint64_t>::max()};
  EXPECT_EQ(run(kChunkedHead + "FFFFFFFFFFFFFFFF\r\nabc", {}, unlimited).error, 0);
  EXPECT_EQ(run(kChunkedHead + "10000000000000005\r\nhello\r\n0\r\n\r\n", {}, unlimited).error,
            413);
}

TEST(HttpBody, ChunkLineAndTrailerAreBounded) {
  const BodyLimits limits{.max_chunk_line = 32, .max_trailer_bytes = 32};
  const std::string long_ext = "5;" + std::string(28, 'e') + "\r\nhello\r\n0\r\n\r\n";
  EXPECT_EQ(run_every_split(kChunkedHead + long_ext, limits).error, 0);  // 32 bytes with CRLF
  const Outcome line = run_every_split(kChunkedHead + "5;" + std::string(29, 'e') + "\r\n", limits);
  EXPECT_EQ(line.error, 400);
  EXPECT_EQ(line.reason, "chunk-size line too long");
  EXPECT_EQ(run(kChunkedHead + std::string(40, '0') + "5\r\n", {}, limits).error, 400);
  std::string many;  // the bound is per line: 20 short lines pass
  for (int i = 0; i < 20; ++i) many += "1;ext\r\nx\r\n";
  EXPECT_EQ(run(kChunkedHead + many + "0\r\n\r\n", {}, limits).bodies,
            std::vector<std::string>{std::string(20, 'x')});

  const std::string trailer = "X: " + std::string(25, 'v') + "\r\n\r\n";  // 32 bytes
  EXPECT_EQ(run_every_split(kChunkedHead + "0\r\n" + trailer, limits).error, 0);
  const Outcome big = run_every_split(kChunkedHead + "0\r\nX" + trailer, limits);
  EXPECT_EQ(big.error, 431);
  EXPECT_EQ(big.reason, "trailer section too large");
}

// §6.1: chunked alone is the only transfer coding implemented; others get 501.
TEST(HttpBody, TransferCodingsOtherThanChunkedAre501) {
  for (std::string te :
       {"Transfer-Encoding: gzip, chunked\r\n", "Transfer-Encoding: chunked, chunked\r\n",
        "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"}) {
    const Outcome o = run("POST / HTTP/1.1\r\nHost: h\r\n" + te + "\r\n0\r\n\r\n", {});
    EXPECT_EQ(o.error, 501) << te;
  }
  for (std::string te : {"Transfer-Encoding: CHUNKED\r\n", "Transfer-Encoding: , chunked\r\n"}) {
    const Outcome o = run("POST / HTTP/1.1\r\nHost: h\r\n" + te + "\r\n2\r\nok\r\n0\r\n\r\n", {});
    EXPECT_EQ(o.error, 0) << te;
    EXPECT_EQ(o.bodies, std::vector<std::string>{"ok"}) << te;
  }
}

TEST(HttpBody, ErrorIsSticky) {
  HttpRequestParser heads;
  ASSERT_EQ(heads.feed(kChunkedHead).status, HttpRequestParser::Status::Complete);
  HttpBodyReader reader;
  ASSERT_EQ(reader.start(heads.request()), Status::Incomplete);
  EXPECT_TRUE(reader.chunked());
  std::string out;
  EXPECT_EQ(reader.feed("zz", out).status, Status::Error);
  const auto again = reader.feed("5\r\nhello\r\n0\r\n\r\n", out);
  EXPECT_EQ(again.status, Status::Error);
  EXPECT_EQ(again.consumed, 0u);
  EXPECT_EQ(reader.error_status(), 400);
  EXPECT_EQ(reader.start(heads.request()), Status::Incomplete);  // start() clears it
  EXPECT_EQ(reader.feed("5\r\nhello\r\n0\r\n\r\n", out).status, Status::Complete);
  EXPECT_EQ(out, "hello");
}

// RFC 9110 §10.1.1.
TEST(HttpBody, ExpectsContinue) {
  const auto expects = [](std::string head) {
    HttpRequestParser heads;
    head += "\r\n";  // request() views it
    EXPECT_EQ(heads.feed(head).status, HttpRequestParser::Status::Complete) << head;
    return expects_continue(heads.request());
  };
  EXPECT_TRUE(expects("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"));
  EXPECT_TRUE(expects("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n"));
  EXPECT_FALSE(expects("POST / HTTP/1.1\r\nHost: h\r\n"));
  EXPECT_FALSE(expects("POST / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n"));
  EXPECT_FALSE(expects("POST / HTTP/1.0\r\nExpect: 100-continue\r\n"));
}

}  // namespace
}  // namespace wisp::protocol
