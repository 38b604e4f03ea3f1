// HttpRequestParser and HttpRequest, per RFC 9112 section.
#include "protocol/http_request.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wisp::protocol {
namespace {

using Status = HttpRequestParser::Status;
using namespace std::string_literals;

// A browser's upgrade request, as Chromium sends it.
const std::string kChrome =
    "GET /chat?room=1&x=y HTTP/1.1\r\n"
    "Host: example.com:8080\r\n"
    "Connection: Upgrade\r\n"
    "Pragma: no-cache\r\n"
    "Cache-Control: no-cache\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36\r\n"
    "Upgrade: websocket\r\n"
    "Origin: http://example.com\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    "\r\n";

// A masked text frame "Hello" (RFC 6455 §5.7): what follows an upgrade request on the wire.
const std::string kFrame = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";

void expect_chrome(const HttpRequest& r) {
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/chat?room=1&x=y");
  EXPECT_EQ(r.path, "/chat");
  EXPECT_EQ(r.query, "room=1&x=y");
  EXPECT_EQ(r.version_minor, 1);
  ASSERT_EQ(r.headers.size(), 12u);
  EXPECT_EQ(r.headers[0].name, "Host");
  EXPECT_EQ(r.headers[0].value, "example.com:8080");
  EXPECT_EQ(r.headers[11].name, "Sec-WebSocket-Extensions");
  EXPECT_EQ(r.headers[11].value, "permessage-deflate; client_max_window_bits");
  EXPECT_EQ(r.header("sec-websocket-key"), "dGhlIHNhbXBsZSBub25jZQ==");
}

struct Outcome {
  Status status;
  std::size_t consumed;  // head bytes, over all feeds
  int error_status;
  std::string reason;
};

// Feeds `input` in pieces of `piece` bytes (0: all at once) until the parser stops asking.
Outcome parse(HttpRequestParser& parser, std::string_view input, std::size_t piece = 0) {
  std::size_t offset = 0;
  while (true) {
    const std::size_t n = piece == 0 ? input.size() : std::min(piece, input.size() - offset);
    const auto result = parser.feed(input.substr(offset, n));
    EXPECT_LE(result.consumed, n);
    if (result.status != Status::Incomplete || offset + n == input.size()) {
      return {result.status, offset + result.consumed, parser.error_status(),
              std::string(parser.error_reason())};
    }
    EXPECT_EQ(result.consumed, n) << "Incomplete must take all input";
    offset += n;
  }
}

Outcome parse(std::string_view input, std::size_t piece = 0, HttpLimits limits = {}) {
  HttpRequestParser parser(limits);
  return parse(parser, input, piece);
}

std::string request_with(std::string_view headers) {
  return "GET / HTTP/1.1\r\nHost: h\r\n" + std::string(headers) + "\r\n";
}

// --- Whole requests, and every way of splitting them --------------------------------------

TEST(HttpRequestParser, ParsesBrowserUpgradeRequestInOneFeed) {
  HttpRequestParser parser;
  const auto result = parser.feed(kChrome);
  ASSERT_EQ(result.status, Status::Complete) << parser.error_reason();
  EXPECT_EQ(result.consumed, kChrome.size());
  expect_chrome(parser.request());
}

TEST(HttpRequestParser, WholeHeadInOneFeedIsParsedInPlace) {
  HttpRequestParser parser;
  const std::string input = kChrome + kFrame;
  ASSERT_EQ(parser.feed(input).status, Status::Complete);
  const char* begin = input.data();
  const char* end = input.data() + kChrome.size();
  EXPECT_EQ(parser.request().method.data(), begin);
  for (const HttpHeader& h : parser.request().headers) {
    EXPECT_TRUE(h.name.data() > begin && h.value.data() + h.value.size() < end) << h.name;
  }
}

TEST(HttpRequestParser, SplitHeadIsCopiedSoCallerBuffersMayBeReused) {
  HttpRequestParser parser;
  std::string first = kChrome.substr(0, 40);
  std::string second = kChrome.substr(40);
  ASSERT_EQ(parser.feed(first).status, Status::Incomplete);
  first.assign(first.size(), 'x');  // the caller reuses its read buffer
  ASSERT_EQ(parser.feed(second).status, Status::Complete);
  second.assign(second.size(), 'x');
  expect_chrome(parser.request());
}

TEST(HttpRequestParser, OneByteAtATime) {
  HttpRequestParser parser;
  for (std::size_t i = 0; i + 1 < kChrome.size(); ++i) {
    const auto result = parser.feed(kChrome.substr(i, 1));
    ASSERT_EQ(result.status, Status::Incomplete) << "at byte " << i;
    ASSERT_EQ(result.consumed, 1u);
  }
  const auto last = parser.feed(kChrome.substr(kChrome.size() - 1));
  ASSERT_EQ(last.status, Status::Complete) << parser.error_reason();
  EXPECT_EQ(last.consumed, 1u);
  expect_chrome(parser.request());
}

TEST(HttpRequestParser, EveryTwoWaySplitWithFrameBytesAfterTheHead) {
  const std::string input = kChrome + kFrame;
  for (std::size_t split = 0; split <= input.size(); ++split) {
    SCOPED_TRACE("split at " + std::to_string(split));
    HttpRequestParser parser;
    const auto first = parser.feed(std::string_view(input).substr(0, split));
    if (split >= kChrome.size()) {
      ASSERT_EQ(first.status, Status::Complete);
      EXPECT_EQ(first.consumed, kChrome.size());
    } else {
      ASSERT_EQ(first.status, Status::Incomplete);
      EXPECT_EQ(first.consumed, split);
      const auto second = parser.feed(std::string_view(input).substr(split));
      ASSERT_EQ(second.status, Status::Complete) << parser.error_reason();
      EXPECT_EQ(second.consumed, kChrome.size() - split);
    }
    expect_chrome(parser.request());
  }
}

TEST(HttpRequestParser, EveryPieceSizeGivesTheSameResult) {
  const std::string input = kChrome + kFrame;  // outlives the views into it
  for (std::size_t piece = 1; piece <= input.size(); ++piece) {
    HttpRequestParser parser;
    const Outcome out = parse(parser, input, piece);
    ASSERT_EQ(out.status, Status::Complete) << "piece " << piece << ": " << out.reason;
    EXPECT_EQ(out.consumed, kChrome.size()) << "piece " << piece;
    expect_chrome(parser.request());
  }
}

TEST(HttpRequestParser, BytesAfterTheHeadAreNotConsumed) {
  HttpRequestParser parser;
  const std::string head = "POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n";
  const std::string input = head + "hello";
  const auto result = parser.feed(input);
  ASSERT_EQ(result.status, Status::Complete);
  EXPECT_EQ(result.consumed, head.size());
  EXPECT_EQ(parser.request().method, "POST");
}

TEST(HttpRequestParser, EmptyFeedIsIncomplete) {
  HttpRequestParser parser;
  const auto result = parser.feed("");
  EXPECT_EQ(result.status, Status::Incomplete);
  EXPECT_EQ(result.consumed, 0u);
  EXPECT_EQ(parser.feed(kChrome).status, Status::Complete);
}

TEST(HttpRequestParser, FeedAfterCompleteParsesTheNextPipelinedRequest) {
  const std::string second = "GET /two HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string input = kChrome + second;
  HttpRequestParser parser;
  const auto first = parser.feed(input);
  ASSERT_EQ(first.status, Status::Complete);
  const auto next = parser.feed(std::string_view(input).substr(first.consumed));
  ASSERT_EQ(next.status, Status::Complete);
  EXPECT_EQ(next.consumed, second.size());
  EXPECT_EQ(parser.request().path, "/two");
  EXPECT_EQ(parser.request().headers.size(), 1u);
}

TEST(HttpRequestParser, ErrorIsStickyUntilReset) {
  HttpRequestParser parser;
  ASSERT_EQ(parser.feed("GET / HTTP/1.1\n").status, Status::Error);
  EXPECT_EQ(parser.feed(kChrome).status, Status::Error);
  EXPECT_EQ(parser.error_status(), 400);
  parser.reset();
  EXPECT_EQ(parser.error_status(), 0);
  EXPECT_TRUE(parser.error_reason().empty());
  ASSERT_EQ(parser.feed(kChrome).status, Status::Complete);
  expect_chrome(parser.request());
}

TEST(HttpRequestParser, ResetDropsAPartialHead) {
  HttpRequestParser parser;
  ASSERT_EQ(parser.feed("POST /old HTTP/1.1\r\nX-Old: 1\r\n").status, Status::Incomplete);
  parser.reset();
  ASSERT_EQ(parser.feed(kChrome).status, Status::Complete);
  expect_chrome(parser.request());
}

// --- RFC 9112 §2.2: message parsing ---------------------------------------------------------

TEST(HttpRequestParser, IgnoresEmptyLinesBeforeTheRequestLine) {
  for (std::size_t piece : {0, 1, 3}) {
    HttpRequestParser parser;
    const std::string input = "\r\n\r\n" + kChrome;
    const Outcome out = parse(parser, input, piece);
    ASSERT_EQ(out.status, Status::Complete) << out.reason;
    EXPECT_EQ(out.consumed, 4 + kChrome.size());
    expect_chrome(parser.request());
  }
}

// --- RFC 9112 §3: request line --------------------------------------------------------------

TEST(HttpRequestParser, RequestLineParts) {
  HttpRequestParser parser;
  ASSERT_EQ(parser.feed("OPTIONS * HTTP/1.0\r\n\r\n").status, Status::Complete);
  EXPECT_EQ(parser.request().method, "OPTIONS");
  EXPECT_EQ(parser.request().target, "*");
  EXPECT_EQ(parser.request().path, "*");
  EXPECT_EQ(parser.request().query, "");
  EXPECT_EQ(parser.request().version_minor, 0);
  EXPECT_TRUE(parser.request().headers.empty());
}

TEST(HttpRequestParser, QueryAfterFirstQuestionMark) {
  HttpRequestParser parser;
  const std::string plain = request_with("");
  ASSERT_EQ(parser.feed(plain).status, Status::Complete);
  EXPECT_EQ(parser.request().query, "");
  parser.reset();
  ASSERT_EQ(parser.feed("GET /p?a=1?b HTTP/1.1\r\nHost: h\r\n\r\n").status, Status::Complete);
  EXPECT_EQ(parser.request().path, "/p");
  EXPECT_EQ(parser.request().query, "a=1?b");
  parser.reset();
  ASSERT_EQ(parser.feed("GET /p? HTTP/1.1\r\nHost: h\r\n\r\n").status, Status::Complete);
  EXPECT_EQ(parser.request().path, "/p");
  EXPECT_EQ(parser.request().query, "");
}

TEST(HttpRequestParser, MethodIsAnyTokenCaseSensitive) {
  HttpRequestParser parser;
  ASSERT_EQ(parser.feed("get / HTTP/1.1\r\nHost: h\r\n\r\n").status, Status::Complete);
  EXPECT_EQ(parser.request().method, "get");
  parser.reset();
  ASSERT_EQ(parser.feed("M-SEARCH * HTTP/1.1\r\nHost: h\r\n\r\n").status, Status::Complete);
  EXPECT_EQ(parser.request().method, "M-SEARCH");
}

TEST(HttpRequestParser, MinorVersions) {
  for (char minor : {'0', '1', '9'}) {
    HttpRequestParser parser;
    const std::string input = std::string("GET / HTTP/1.") + minor + "\r\nHost: h\r\n\r\n";
    ASSERT_EQ(parser.feed(input).status, Status::Complete);
    EXPECT_EQ(parser.request().version_minor, minor - '0');
  }
}

TEST(HttpRequestParser, TargetMayHoldAnyVisibleAscii) {
  HttpRequestParser parser;
  const std::string target = "/a/b;c=%20~!$&'()*+,:@[]{}|^`\"<>\\#";
  const std::string input = "GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n";
  ASSERT_EQ(parser.feed(input).status, Status::Complete) << parser.error_reason();
  EXPECT_EQ(parser.request().target, target);
}

// --- RFC 9112 §5: field syntax --------------------------------------------------------------

TEST(HttpRequestParser, HeaderValuesAreTrimmedOfSpacesAndTabs) {
  HttpRequestParser parser;
  const std::string input =
      request_with("A: \t one two\t \r\nB:\r\nC:   \r\nD:x\r\nE:\ta\tb\t\r\n");
  ASSERT_EQ(parser.feed(input).status, Status::Complete);
  const auto& h = parser.request().headers;
  ASSERT_EQ(h.size(), 6u);
  EXPECT_EQ(h[1].value, "one two");
  EXPECT_EQ(h[2].value, "");
  EXPECT_EQ(h[3].value, "");
  EXPECT_EQ(h[4].value, "x");
  EXPECT_EQ(h[5].value, "a\tb");
}

TEST(HttpRequestParser, HeaderValueMayHoldObsText) {
  HttpRequestParser parser;
  const std::string input = request_with("X-Name: caf\xc3\xa9\x80\xff\r\n");
  ASSERT_EQ(parser.feed(input).status, Status::Complete);
  EXPECT_EQ(parser.request().header("x-name"), "caf\xc3\xa9\x80\xff");
}

TEST(HttpRequestParser, EveryByteAtEveryPositionOfAValue) {
  // Values are checked 8 bytes a step: cover both word positions and the tail.
  for (int byte = 0; byte < 256; ++byte) {
    const bool allowed = (byte >= 0x20 && byte != 0x7f) || byte == '\t';
    for (std::size_t at = 0; at < 19; ++at) {
      std::string value(19, 'v');
      value[at] = static_cast<char>(byte);
      const Outcome out = parse(request_with("X: " + value + "\r\n"));
      ASSERT_EQ(out.status, allowed ? Status::Complete : Status::Error)
          << "byte " << byte << " at " << at << ": " << out.reason;
      ASSERT_EQ(out.error_status, allowed ? 0 : 400);
    }
  }
}

TEST(HttpRequestParser, HeaderNamesKeepTheirCaseAndOrder) {
  HttpRequestParser parser;
  const std::string input = request_with("x-A: 1\r\nX-a: 2\r\n!#$%&'*+-.^_`|~09az: 3\r\n");
  ASSERT_EQ(parser.feed(input).status, Status::Complete);
  const auto& h = parser.request().headers;
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[1].name, "x-A");
  EXPECT_EQ(h[2].name, "X-a");
  EXPECT_EQ(h[3].name, "!#$%&'*+-.^_`|~09az");
}

// --- Every rejection, with its status and reason; the same whatever the split ---------------

struct Rejection {
  const char* name;
  std::string input;
  int status;
  const char* reason;  // a fragment of error_reason()
};

void PrintTo(const Rejection& r, std::ostream* os) { *os << r.name; }

class Rejects : public testing::TestWithParam<Rejection> {};

TEST_P(Rejects, WholeAndByteByByte) {
  const Rejection& r = GetParam();
  for (std::size_t piece : {0, 1, 7}) {
    SCOPED_TRACE("piece " + std::to_string(piece));
    const Outcome out = parse(r.input, piece);
    EXPECT_EQ(out.status, Status::Error);
    EXPECT_EQ(out.error_status, r.status);
    EXPECT_NE(out.reason.find(r.reason), std::string::npos) << out.reason;
  }
}

const Rejection kRejections[] = {
    // §2.2: line endings.
    {"BareLfAfterRequestLine", "GET / HTTP/1.1\nHost: h\r\n\r\n", 400, "bare LF"},
    {"BareLfAfterHeader", "GET / HTTP/1.1\r\nHost: h\n\r\n", 400, "bare LF"},
    {"BareLfEndingHead", "GET / HTTP/1.1\r\nHost: h\r\n\n", 400, "bare LF"},
    {"LeadingBareLf", "\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "bare LF"},
    {"BareLfOnlyHead", "GET / HTTP/1.1\n\n", 400, "bare LF"},
    {"BareCrInRequestLine", "GET / HTTP/1.1\rX\r\nHost: h\r\n\r\n", 400, "bare CR"},
    {"BareCrInHeaderValue", "GET / HTTP/1.1\r\nHost: h\r\nA: b\rc\r\n\r\n", 400, "bare CR"},
    {"CrCrLf", "GET / HTTP/1.1\r\nHost: h\r\r\n\r\n", 400, "bare CR"},
    // §3: request line.
    {"EmptyRequestLineAfterSkip", "\r\n \r\nHost: h\r\n\r\n", 400, "request line"},
    {"NoSpaces", "GET\r\nHost: h\r\n\r\n", 400, "request line"},
    {"NoVersion", "GET /\r\nHost: h\r\n\r\n", 400, "request line"},
    {"EmptyMethod", " / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "method"},
    {"MethodWithSeparator", "GE(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "method"},
    {"MethodWithNonAscii", "G\xc3\x89T / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "method"},
    {"TwoSpacesAfterMethod", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "empty request-target"},
    {"TabAsSeparator", "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, "request line"},
    {"TargetWithTab", "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", 400, "request-target"},
    {"TargetWithNul", "GET /a\0b HTTP/1.1\r\nHost: h\r\n\r\n"s, 400, "request-target"},
    {"TargetWithDel", "GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n", 400, "request-target"},
    {"TargetWithNonAscii", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", 400, "request-target"},
    {"SpaceInTarget", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400, "version"},
    {"TrailingSpace", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400, "version"},
    {"LowercaseVersion", "GET / http/1.1\r\nHost: h\r\n\r\n", 400, "version"},
    {"ShortVersion", "GET / HTTP/1\r\nHost: h\r\n\r\n", 400, "version"},
    {"TwoDigitMinor", "GET / HTTP/1.10\r\nHost: h\r\n\r\n", 400, "version"},
    {"TwoDigitMajor", "GET / HTTP/11.1\r\nHost: h\r\n\r\n", 400, "version"},
    {"LetterMinor", "GET / HTTP/1.x\r\nHost: h\r\n\r\n", 400, "version"},
    {"CommaVersion", "GET / HTTP/1,1\r\nHost: h\r\n\r\n", 400, "version"},
    {"Http2", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505, "not supported"},
    {"Http09", "GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505, "not supported"},
    {"Http3", "GET / HTTP/3.0\r\nHost: h\r\n\r\n", 505, "not supported"},
    // §5: field lines.
    {"ObsFoldSpace", "GET / HTTP/1.1\r\nHost: h\r\nA: b\r\n c\r\n\r\n", 400, "folding"},
    {"ObsFoldTab", "GET / HTTP/1.1\r\nHost: h\r\nA: b\r\n\tc\r\n\r\n", 400, "folding"},
    {"WhitespaceLineAfterRequestLine", "GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400, "folding"},
    {"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400,
     "whitespace between header name and colon"},
    {"TabBeforeColon", "GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", 400,
     "whitespace between header name and colon"},
    {"NoColon", "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400, "no colon"},
    {"EmptyName", "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", 400, "empty header name"},
    {"SpaceInName", "GET / HTTP/1.1\r\nHost: h\r\nX Y: v\r\n\r\n", 400, "header name"},
    {"SlashInName", "GET / HTTP/1.1\r\nHost: h\r\nX/Y: v\r\n\r\n", 400, "header name"},
    {"NonAsciiName", "GET / HTTP/1.1\r\nHost: h\r\nX\xc3\xa9: v\r\n\r\n", 400, "header name"},
    {"NulInValue", "GET / HTTP/1.1\r\nHost: h\r\nA: b\0c\r\n\r\n"s, 400, "control character"},
    {"CtlInValue", "GET / HTTP/1.1\r\nHost: h\r\nA: b\x01\r\n\r\n", 400, "control character"},
    {"EscInValue", "GET / HTTP/1.1\r\nHost: h\r\nA: \x1b[31m\r\n\r\n", 400, "control character"},
    {"DelInValue", "GET / HTTP/1.1\r\nHost: h\r\nA: b\x7f\r\n\r\n", 400, "control character"},
    // §3.2: Host.
    {"MissingHost11", "GET / HTTP/1.1\r\nA: b\r\n\r\n", 400, "missing Host"},
    {"TwoHosts", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", 400, "more than one Host"},
    {"TwoHosts10", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400, "more than one Host"},
    // §6: message body length (request smuggling).
    {"ContentLengthAndTransferEncoding",
     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
     "both Content-Length and Transfer-Encoding"},
    {"TransferEncodingAndContentLength",
     "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400,
     "both"},
    {"ContentLengthLetters", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1a\r\n\r\n", 400,
     "invalid Content-Length"},
    {"ContentLengthEmpty", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", 400,
     "invalid Content-Length"},
    {"ContentLengthNegative", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400,
     "invalid Content-Length"},
    {"ContentLengthPlus", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n", 400,
     "invalid Content-Length"},
    {"ContentLengthInnerSpace", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n", 400,
     "invalid Content-Length"},
    {"ContentLengthList", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n", 400,
     "invalid Content-Length"},
    {"ContentLengthOverflow",
     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551616\r\n\r\n", 400,
     "invalid Content-Length"},
    {"ContentLengthsDiffer",
     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\n", 400,
     "conflicting Content-Length"},
    {"TransferEncodingNotChunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
     400, "chunked"},
    {"TransferEncodingChunkedThenGzip",
     "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n",
     400, "chunked"},
    {"TransferEncodingTrailingComma",
     "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked,\r\n\r\n", 400, "chunked"},
    {"TransferEncodingInHttp10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
     "HTTP/1.0"},
};

INSTANTIATE_TEST_SUITE_P(Rfc9112, Rejects, testing::ValuesIn(kRejections),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(HttpRequestParser, AcceptsValidFramingFields) {
  const char* const accepted[] = {
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551615\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 005\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, CHUNKED \r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
      "GET / HTTP/1.0\r\n\r\n",
  };
  for (const char* input : accepted) {
    const Outcome out = parse(input);
    EXPECT_EQ(out.status, Status::Complete) << input << ": " << out.reason;
  }
}

// --- Limits: 431 (RFC 6585 §5) --------------------------------------------------------------

TEST(HttpRequestParser, HeadOfExactlyMaxHeaderBytesIsAccepted) {
  for (std::size_t piece : {0, 1, 10}) {
    const Outcome out = parse(kChrome + kFrame, piece, {.max_header_bytes = kChrome.size()});
    EXPECT_EQ(out.status, Status::Complete) << out.reason;
    EXPECT_EQ(out.consumed, kChrome.size());
  }
}

TEST(HttpRequestParser, HeadOneByteOverMaxHeaderBytesIs431) {
  for (std::size_t piece : {0, 1, 10}) {
    const Outcome out = parse(kChrome, piece, {.max_header_bytes = kChrome.size() - 1});
    EXPECT_EQ(out.status, Status::Error);
    EXPECT_EQ(out.error_status, 431);
    EXPECT_NE(out.reason.find("too large"), std::string::npos) << out.reason;
  }
}

TEST(HttpRequestParser, LeadingEmptyLinesCountTowardsMaxHeaderBytes) {
  const Outcome out = parse("\r\n" + kChrome, 0, {.max_header_bytes = kChrome.size() + 1});
  EXPECT_EQ(out.error_status, 431);
}

TEST(HttpRequestParser, HeadThatNeverEndsIs431AsSoonAsItPassesTheLimit) {
  HttpRequestParser parser({.max_header_bytes = 1000});
  const std::string endless = "GET / HTTP/1.1\r\n" + std::string(2000, 'a');
  for (std::size_t i = 0; i < endless.size(); ++i) {
    const auto result = parser.feed(endless.substr(i, 1));
    if (i + 1 < 1000) {
      ASSERT_EQ(result.status, Status::Incomplete) << "byte " << i;
    } else {
      ASSERT_EQ(result.status, Status::Error) << "byte " << i;
      EXPECT_EQ(parser.error_status(), 431);
      break;
    }
  }
}

TEST(HttpRequestParser, EndlessHeadInOneBigFeedIs431) {
  const Outcome out = parse("GET / HTTP/1.1\r\nHost: h\r\n" + std::string(20000, 'a'));
  EXPECT_EQ(out.status, Status::Error);
  EXPECT_EQ(out.error_status, 431);
}

TEST(HttpRequestParser, ExactlyMaxHeadersIsAccepted) {
  std::string fields;
  for (int i = 1; i < 8; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";  // + Host = 8
  for (std::size_t piece : {0, 1}) {
    HttpRequestParser parser({.max_headers = 8});
    const std::string input = request_with(fields);
    ASSERT_EQ(parse(parser, input, piece).status, Status::Complete);
    EXPECT_EQ(parser.request().headers.size(), 8u);
  }
}

TEST(HttpRequestParser, OneHeaderOverMaxHeadersIs431) {
  std::string fields;
  for (int i = 0; i < 8; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";  // + Host = 9
  for (std::size_t piece : {0, 1}) {
    const Outcome out = parse(request_with(fields), piece, {.max_headers = 8});
    EXPECT_EQ(out.status, Status::Error);
    EXPECT_EQ(out.error_status, 431);
    EXPECT_NE(out.reason.find("too many header fields"), std::string::npos) << out.reason;
  }
}

TEST(HttpRequestParser, TooManyHeadersFailsBeforeTheHeadEnds) {
  HttpRequestParser parser({.max_headers = 3});
  const auto result = parser.feed("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n");
  EXPECT_EQ(result.status, Status::Error);
  EXPECT_EQ(parser.error_status(), 431);
}

TEST(HttpRequestParser, DefaultLimits) {
  const HttpLimits limits;
  EXPECT_EQ(limits.max_header_bytes, 16u * 1024);
  EXPECT_EQ(limits.max_headers, 64u);
  std::string fields;
  for (int i = 0; i < 64; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(parse(request_with(fields)).error_status, 431);  // 65 with Host
}

// --- iequals and the HttpRequest helpers ----------------------------------------------------

TEST(Iequals, ComparesAsciiCaseInsensitively) {
  EXPECT_TRUE(iequals("", ""));
  EXPECT_TRUE(iequals("Sec-WebSocket-Key", "sec-websocket-key"));
  EXPECT_TRUE(iequals("UPGRADE", "upgrade"));
  EXPECT_FALSE(iequals("upgrade", "upgrades"));
  EXPECT_FALSE(iequals("abc", "abd"));
  EXPECT_FALSE(iequals("", "a"));
}

TEST(Iequals, OnlyLettersFoldCase) {
  // These pairs differ by 0x20 too, but are not letters.
  EXPECT_FALSE(iequals("@", "`"));
  EXPECT_FALSE(iequals("[", "{"));
  EXPECT_FALSE(iequals("^", "~"));
  EXPECT_FALSE(iequals("-", "\r"));
  EXPECT_FALSE(iequals("\xc9", "\xe9"));  // Latin-1 É/é: not ASCII
}

HttpRequest with_headers(std::vector<HttpHeader> headers) {
  HttpRequest request;
  request.headers = std::move(headers);
  return request;
}

TEST(HttpRequest, HeaderReturnsFirstMatchCaseInsensitively) {
  const HttpRequest r = with_headers({{"Accept", "a"}, {"X-Dup", "1"}, {"x-dup", "2"}});
  EXPECT_EQ(r.header("ACCEPT"), "a");
  EXPECT_EQ(r.header("x-DUP"), "1");
  EXPECT_EQ(r.header("missing"), "");
  EXPECT_EQ(r.header("Accep"), "");
}

TEST(HttpRequest, HeaderCount) {
  const HttpRequest r = with_headers({{"A", "1"}, {"B", "2"}, {"a", "3"}});
  EXPECT_EQ(r.header_count("a"), 2u);
  EXPECT_EQ(r.header_count("B"), 1u);
  EXPECT_EQ(r.header_count("c"), 0u);
}

TEST(HttpRequest, HasTokenInACommaList) {
  const HttpRequest r = with_headers({{"Connection", "keep-alive, Upgrade"}});
  EXPECT_TRUE(r.has_token("connection", "upgrade"));
  EXPECT_TRUE(r.has_token("CONNECTION", "Keep-Alive"));
  EXPECT_FALSE(r.has_token("connection", "close"));
  EXPECT_FALSE(r.has_token("upgrade", "upgrade"));
}

TEST(HttpRequest, HasTokenAllowsOptionalWhitespaceAndEmptyElements) {
  const HttpRequest r = with_headers({{"Connection", ",\t, keep-alive ,\tUpgrade\t,"}});
  EXPECT_TRUE(r.has_token("connection", "upgrade"));
  EXPECT_TRUE(r.has_token("connection", "keep-alive"));
}

TEST(HttpRequest, HasTokenMatchesWholeTokensOnly) {
  const HttpRequest r = with_headers({{"Connection", "upgrades, xupgrade, up grade"}});
  EXPECT_FALSE(r.has_token("connection", "upgrade"));
  EXPECT_FALSE(r.has_token("connection", "grade"));
  EXPECT_FALSE(r.has_token("connection", "up"));
}

TEST(HttpRequest, HasTokenSearchesEveryHeaderOfTheName) {
  const HttpRequest r =
      with_headers({{"Connection", "keep-alive"}, {"Other", "upgrade"}, {"connection", "Upgrade"}});
  EXPECT_TRUE(r.has_token("connection", "upgrade"));
  EXPECT_TRUE(r.has_token("connection", "keep-alive"));
}

TEST(HttpRequest, HelpersWorkOnParsedRequests) {
  HttpRequestParser parser;
  const std::string input = request_with("Connection: keep-alive\r\nconnection:  UPGRADE \r\n");
  ASSERT_EQ(parser.feed(input).status, Status::Complete);
  EXPECT_TRUE(parser.request().has_token("Connection", "upgrade"));
  EXPECT_EQ(parser.request().header_count("CONNECTION"), 2u);
}

}  // namespace
}  // namespace wisp::protocol
