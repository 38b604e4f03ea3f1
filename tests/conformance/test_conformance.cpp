// Conformance: drives the real server (wisp::App on a background thread) over loopback with
// hand-built frames, per RFC 6455 section, and checks both what comes back on the wire and what
// the server's handlers saw.
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "raw_client.hpp"
#include "wisp/app.hpp"

namespace {

using namespace std::chrono_literals;
using wisp::test::build_frame;
using wisp::test::client_frame;
using wisp::test::close_body;
using wisp::test::Frame;
using wisp::test::FrameSpec;
using wisp::test::LengthForm;
using wisp::test::RawClient;
using wisp::test::TcpEnd;

constexpr std::uint8_t kCont = 0x0, kText = 0x1, kBinary = 0x2, kClose = 0x8, kPing = 0x9,
                       kPong = 0xA;
constexpr auto kWait = 5s;

// ---------------------------------------------------------------------------------------------
// The server under test and what its handlers saw.

struct Delivered {
  std::string data;
  wisp::OpCode op;
};

struct Closed {
  int code;
  std::string reason;
};

// Handlers run on the server's loop thread; the test thread reads through wait_*() with timeouts.
class Recorder {
 public:
  void message(std::string_view data, wisp::OpCode op) {
    update([&] { messages_.push_back({std::string(data), op}); });
  }
  void closed(int code, std::string_view reason) {
    update([&] { closes_.push_back({code, std::string(reason)}); });
  }
  void send_after_close(wisp::SendStatus status) {
    update([&] { sends_after_close_.push_back(status); });
  }

  // The first `n` close handler calls; throws if fewer arrive in time.
  std::vector<Closed> wait_closes(std::size_t n = 1) {
    return wait([&] { return closes_.size() >= n; }, closes_, "close handler calls");
  }
  std::vector<Delivered> wait_messages(std::size_t n) {
    return wait([&] { return messages_.size() >= n; }, messages_, "delivered messages");
  }
  std::vector<wisp::SendStatus> wait_sends_after_close(std::size_t n = 1) {
    return wait([&] { return sends_after_close_.size() >= n; }, sends_after_close_,
                "sends after close");
  }
  std::vector<Delivered> messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }

 private:
  template <class F>
  void update(F&& f) {
    {
      std::lock_guard lock(mutex_);
      f();
    }
    cv_.notify_all();
  }
  template <class Pred, class T>
  T wait(Pred pred, const T& what, const char* name) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, kWait, pred)) {
      throw std::runtime_error(std::string("timed out waiting for ") + name);
    }
    return what;
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Delivered> messages_;
  std::vector<Closed> closes_;
  std::vector<wisp::SendStatus> sends_after_close_;
};

// Per-socket user data of the /counter route.
struct Counter {
  int messages = 0;
};

wisp::WebSocketSettings test_settings() {
  wisp::WebSocketSettings settings;
  settings.close_timeout = 2s;
  return settings;
}

// An App with three routes, listening on an ephemeral loopback port, run on its own thread:
//   /echo     echoes every message with its opcode; "close-me" makes it close with 4000 "bye".
//   /counter  answers each message with "<count> <threw|nothrow>": the per-socket Counter after
//             incrementing it, and whether ws.data<int>() (the wrong type) threw logic_error.
class TestServer {
 public:
  explicit TestServer(wisp::WebSocketSettings settings = test_settings(),
                      wisp::AppOptions options = {})
      : app_(options) {
    app_.ws("/echo", {.settings = settings,
                      .message = [this](wisp::WebSocket& ws, std::string_view msg,
                                        wisp::OpCode op) { on_echo(ws, msg, op); },
                      .close = [this](wisp::WebSocket&, int code,
                                      std::string_view reason) { rec.closed(code, reason); }});
    app_.ws<Counter>("/counter", {.settings = settings, .message = on_counter});
    app_.listen("127.0.0.1", 0);
    thread_ = std::thread([this] {
      try {
        app_.run();
      } catch (const std::exception& e) {
        ADD_FAILURE() << "App::run threw: " << e.what();
      }
    });
  }
  ~TestServer() {
    app_.stop();
    thread_.join();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  std::uint16_t port() const { return app_.port(); }

  Recorder rec;

 private:
  void on_echo(wisp::WebSocket& ws, std::string_view msg, wisp::OpCode op) {
    rec.message(msg, op);
    if (msg == "close-me") {
      ws.close(4000, "bye");
      rec.send_after_close(ws.send("too late"));
      return;
    }
    ws.send(msg, op);
  }
  static void on_counter(wisp::WebSocket& ws, std::string_view, wisp::OpCode) {
    const int count = ++ws.data<Counter>().messages;
    bool threw = false;
    try {
      (void)ws.data<int>();
    } catch (const std::logic_error&) {
      threw = true;
    }
    ws.send(std::to_string(count) + (threw ? " threw" : " nothrow"));
  }

  wisp::App app_;
  std::thread thread_;
};

// A client that completed the upgrade on `path`.
struct Session {
  explicit Session(TestServer& server, std::string_view path = "/echo") : client(server.port()) {
    client.handshake(path);
  }
  RawClient client;
};

// ---------------------------------------------------------------------------------------------
// Assertions over what the server sends.

struct Message {
  std::uint8_t opcode;
  std::string payload;
};

// The next message: a control frame as it is, or the data frames of one message joined.
Message read_message(RawClient& client) {
  auto frame = client.read_frame();
  if (!frame) throw std::runtime_error("server closed TCP instead of sending a message");
  if (frame->rsv1 || frame->rsv2 || frame->rsv3) throw std::runtime_error("server set RSV bits");
  if (frame->masked) throw std::runtime_error("server masked a frame (RFC 6455 §5.1)");
  Message message{frame->opcode, std::move(frame->payload)};
  while (!frame->fin) {
    frame = client.read_frame();
    if (!frame || frame->opcode != kCont) {
      throw std::runtime_error("server's fragmented message not followed by a continuation");
    }
    message.payload += frame->payload;
  }
  return message;
}

std::string describe(std::string_view bytes) {
  if (bytes.size() > 64) return std::to_string(bytes.size()) + " bytes";
  std::string out = "\"";
  for (unsigned char c : bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out + "\"";
}

testing::AssertionResult Receives(RawClient& client, std::uint8_t opcode,
                                  std::string_view payload) {
  const Message got = read_message(client);
  if (got.opcode == opcode && got.payload == payload) return testing::AssertionSuccess();
  auto failure = testing::AssertionFailure()
                 << "expected opcode " << int{opcode} << " with " << describe(payload)
                 << ", got opcode " << int{got.opcode} << " with " << describe(got.payload);
  if (got.payload.size() == payload.size() && got.payload != payload) {
    std::size_t i = 0;
    while (got.payload[i] == payload[i]) ++i;
    failure << " (first difference at byte " << i << ")";
  }
  return failure;
}

// Reads up to the server's close frame, checks its code (if given), answers it like a
// well-behaved client unless the client already sent a close, and checks that the server then
// closes TCP. The close frame goes to *frame_out.
testing::AssertionResult CloseSequence(RawClient& client, std::optional<int> code,
                                       std::optional<Frame>* frame_out, bool answer) {
  auto frame = client.read_until_close_frame();
  if (!frame) return testing::AssertionFailure() << "TCP closed without a close frame";
  if (frame_out) *frame_out = frame;
  if (code && frame->close_code() != *code) {
    return testing::AssertionFailure()
           << "expected close code " << *code << ", got " << frame->close_code() << " (payload "
           << describe(frame->payload) << ")";
  }
  if (!frame->fin) return testing::AssertionFailure() << "fragmented close frame";
  if (answer) client.try_send(client_frame(kClose, frame->payload.substr(0, 2)));
  switch (client.wait_tcp_end()) {
    case TcpEnd::Closed:
    case TcpEnd::Reset:
      return testing::AssertionSuccess();
    case TcpEnd::Timeout:
      return testing::AssertionFailure() << "server did not close TCP after its close frame";
    case TcpEnd::DataArrived:
      break;
  }
  return testing::AssertionFailure() << "server sent bytes after its close frame";
}

// The server starts the closing handshake (or fails the connection) with `code`.
testing::AssertionResult ServerCloses(RawClient& client, std::optional<int> code,
                                      std::optional<Frame>* frame_out = nullptr) {
  return CloseSequence(client, code, frame_out, true);
}

// The server answers the client's close frame with `code`.
testing::AssertionResult ServerAnswersClose(RawClient& client, std::optional<int> code,
                                            std::optional<Frame>* frame_out = nullptr) {
  return CloseSequence(client, code, frame_out, false);
}

// The server failed the connection with `code`: close frame, TCP close, and the close handler
// saw the code it sent.
void ExpectFailedWith(TestServer& server, RawClient& client, int code) {
  EXPECT_TRUE(ServerCloses(client, code));
  const auto closes = server.rec.wait_closes();
  EXPECT_EQ(closes.front().code, code);
}

// Sends `bytes` to a fresh connection and expects it to be failed with `code`.
void ExpectBytesFail(std::string_view bytes, int code) {
  TestServer server;
  Session s(server);
  s.client.send(bytes);
  ExpectFailedWith(server, s.client, code);
}

std::string pattern(std::size_t size, bool text) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    out[i] = text ? static_cast<char>('a' + i % 26) : static_cast<char>((i * 7 + i / 251) & 0xFF);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The client itself, against the RFC's own examples.

TEST(RawClientSelfTest, BuildsRfcMaskedHelloExample) {  // RFC 6455 §5.7
  const std::string frame = client_frame(kText, "Hello");
  EXPECT_EQ(frame, std::string("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11));
}

TEST(RawClientSelfTest, BuildsExplicitLengthForms) {
  EXPECT_EQ(
      build_frame(
          {.opcode = kBinary, .masked = false, .payload = "ab", .length_form = LengthForm::Len64}),
      std::string("\x82\x7f\0\0\0\0\0\0\0\x02"
                  "ab",
                  12));
  EXPECT_EQ(build_frame({.fin = false,
                         .rsv2 = true,
                         .opcode = 0xB,
                         .masked = false,
                         .length_form = LengthForm::Len16,
                         .announced_length = 300}),
            std::string("\x2b\x7e\x01\x2c", 4));
}

TEST(RawClientSelfTest, ComputesRfcAcceptExample) {  // RFC 6455 §1.3
  EXPECT_EQ(wisp::test::expected_accept("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

// ---------------------------------------------------------------------------------------------
// §4.2 Opening handshake over the socket.

TEST(Rfc6455_4_2_Handshake, UpgradeSucceedsAndChecksAccept) {
  TestServer server;
  RawClient client(server.port());
  EXPECT_NO_THROW(client.handshake());
}

TEST(Rfc6455_4_2_Handshake, MissingKeyGets400WithReason) {
  TestServer server;
  RawClient client(server.port());
  client.send(RawClient::upgrade_request("/echo", {}, "Sec-WebSocket-Key"));
  const auto response = client.read_http_response();
  EXPECT_EQ(response.status, 400) << response.head;
  EXPECT_FALSE(response.body.empty()) << "a 400 must say why";
  EXPECT_NE(client.wait_tcp_end(), TcpEnd::Timeout);
}

TEST(Rfc6455_4_2_Handshake, Version8Gets426WithVersion13) {
  TestServer server;
  RawClient client(server.port());
  client.send(
      RawClient::upgrade_request("/echo", "Sec-WebSocket-Version: 8\r\n", "Sec-WebSocket-Version"));
  const auto response = client.read_http_response();
  EXPECT_EQ(response.status, 426) << response.head;
  EXPECT_EQ(response.header("Sec-WebSocket-Version"), "13") << response.head;
}

TEST(Rfc6455_4_2_Handshake, PlainGetGets404) {
  TestServer server;
  RawClient client(server.port());
  client.send("GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_EQ(client.read_http_response().status, 404);
}

TEST(Rfc6455_4_2_Handshake, UnknownRouteIsRefused) {
  TestServer server;
  RawClient client(server.port());
  client.send(RawClient::upgrade_request("/nowhere"));
  EXPECT_EQ(client.read_http_response().status, 404);
}

// Waiting here is the test itself: the server must sit idle while time passes.
TEST(Rfc6455_4_2_Handshake, HandshakeAfterALongIdleIsNotCutShort) {
  TestServer server(test_settings(), {.handshake_timeout = std::chrono::milliseconds(200)});
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  RawClient client(server.port());
  EXPECT_NO_THROW(client.handshake());
}

TEST(Rfc6455_4_2_Handshake, IncompleteRequestIsDroppedAfterTheHandshakeTimeout) {
  TestServer server(test_settings(), {.handshake_timeout = std::chrono::milliseconds(200)});
  RawClient client(server.port());
  client.send("GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  EXPECT_NE(client.wait_tcp_end(), TcpEnd::Timeout);  // well before the client's own timeout
}

TEST(Rfc6455_4_2_Handshake, FramesInTheSameWriteAsTheRequestAreNotLost) {
  TestServer server;
  RawClient client(server.port());
  client.handshake("/echo", client_frame(kText, "first") + client_frame(kBinary, "second"));
  EXPECT_TRUE(Receives(client, kText, "first"));
  EXPECT_TRUE(Receives(client, kBinary, "second"));
}

// ---------------------------------------------------------------------------------------------
// §5.2 Base framing: payload lengths in every length encoding, echoed exactly.

struct LengthCase {
  std::size_t size;
  std::uint8_t opcode;
};

void PrintTo(const LengthCase& c, std::ostream* os) {
  *os << (c.opcode == kText ? "text " : "binary ") << c.size << " bytes";
}

class Rfc6455_5_2_PayloadLength : public testing::TestWithParam<LengthCase> {};

TEST_P(Rfc6455_5_2_PayloadLength, EchoedExactly) {
  auto settings = test_settings();
  settings.max_message_size = 32u << 20;
  settings.max_backpressure = 64u << 20;
  TestServer server(settings);
  Session s(server);
  const std::string payload = pattern(GetParam().size, GetParam().opcode == kText);
  s.client.send_frame(GetParam().opcode, payload);
  EXPECT_TRUE(Receives(s.client, GetParam().opcode, payload));
  const auto delivered = server.rec.wait_messages(1);
  EXPECT_EQ(delivered.front().data.size(), payload.size());
  EXPECT_EQ(static_cast<std::uint8_t>(delivered.front().op), GetParam().opcode);
}

std::vector<LengthCase> length_cases() {
  std::vector<LengthCase> out;
  for (std::size_t size : {0u, 125u, 126u, 127u, 65535u, 65536u, 16u << 20}) {
    out.push_back({size, kText});
    out.push_back({size, kBinary});
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Sizes, Rfc6455_5_2_PayloadLength, testing::ValuesIn(length_cases()),
                         [](const auto& info) {
                           return std::string(info.param.opcode == kText ? "Text" : "Binary") +
                                  std::to_string(info.param.size);
                         });

TEST(Rfc6455_5_2_BaseFraming, NonMinimalLengthEncodingsAreRead) {
  TestServer server;
  Session s(server);
  s.client.send_frame({.opcode = kText, .payload = "sixteen", .length_form = LengthForm::Len16});
  s.client.send_frame(
      {.opcode = kBinary, .payload = "sixty-four", .length_form = LengthForm::Len64});
  EXPECT_TRUE(Receives(s.client, kText, "sixteen"));
  EXPECT_TRUE(Receives(s.client, kBinary, "sixty-four"));
}

TEST(Rfc6455_5_2_BaseFraming, LengthWithMostSignificantBitSetFails) {
  TestServer server;
  Session s(server);
  s.client.send_frame(
      {.opcode = kBinary, .payload = "x", .announced_length = std::uint64_t{1} << 63});
  std::optional<Frame> frame;
  EXPECT_TRUE(ServerCloses(s.client, std::nullopt, &frame));
  ASSERT_TRUE(frame);
  EXPECT_TRUE(frame->close_code() == 1002 || frame->close_code() == 1009) << frame->close_code();
}

class Rfc6455_5_2_ReservedBit : public testing::TestWithParam<int> {};

TEST_P(Rfc6455_5_2_ReservedBit, WithoutExtensionFails1002) {
  FrameSpec spec{.opcode = kText, .payload = "Hello"};
  spec.rsv1 = GetParam() == 1;
  spec.rsv2 = GetParam() == 2;
  spec.rsv3 = GetParam() == 3;
  ExpectBytesFail(build_frame(spec), 1002);
}

INSTANTIATE_TEST_SUITE_P(Rsv, Rfc6455_5_2_ReservedBit, testing::Values(1, 2, 3),
                         [](const auto& info) { return "Rsv" + std::to_string(info.param); });

TEST(Rfc6455_5_2_BaseFraming, ReservedBitOnPingFails1002) {
  ExpectBytesFail(build_frame({.rsv1 = true, .opcode = kPing, .payload = "p"}), 1002);
}

class Rfc6455_5_2_ReservedOpcode : public testing::TestWithParam<int> {};

TEST_P(Rfc6455_5_2_ReservedOpcode, Fails1002) {
  ExpectBytesFail(
      build_frame({.opcode = static_cast<std::uint8_t>(GetParam()), .payload = "Hello"}), 1002);
}

TEST_P(Rfc6455_5_2_ReservedOpcode, Fails1002AfterAValidMessage) {
  TestServer server;
  Session s(server);
  s.client.send(client_frame(kText, "valid") +
                build_frame({.opcode = static_cast<std::uint8_t>(GetParam())}));
  EXPECT_TRUE(Receives(s.client, kText, "valid"));
  ExpectFailedWith(server, s.client, 1002);
}

INSTANTIATE_TEST_SUITE_P(Opcodes, Rfc6455_5_2_ReservedOpcode,
                         testing::Values(0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF),
                         [](const auto& info) { return "Op" + std::to_string(info.param); });

// ---------------------------------------------------------------------------------------------
// §5.3 Client-to-server masking.

TEST(Rfc6455_5_3_Masking, UnmaskedTextFails1002) {
  ExpectBytesFail(build_frame({.opcode = kText, .masked = false, .payload = "Hello"}), 1002);
}

TEST(Rfc6455_5_3_Masking, UnmaskedPingFails1002) {
  ExpectBytesFail(build_frame({.opcode = kPing, .masked = false, .payload = "p"}), 1002);
}

TEST(Rfc6455_5_3_Masking, ZeroMaskKeyIsStillMasked) {
  TestServer server;
  Session s(server);
  s.client.send_frame({.opcode = kText, .mask_key = {0, 0, 0, 0}, .payload = "zero key"});
  EXPECT_TRUE(Receives(s.client, kText, "zero key"));
}

// ---------------------------------------------------------------------------------------------
// §5.4 Fragmentation.

// Sends `message` as fragments cut at `cuts` (offsets), the first with `opcode`.
std::string fragments(std::uint8_t opcode, std::string_view message,
                      const std::vector<std::size_t>& cuts) {
  std::string out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t end = i < cuts.size() ? cuts[i] : message.size();
    out +=
        client_frame(i == 0 ? opcode : kCont, message.substr(start, end - start), i == cuts.size());
    start = end;
  }
  return out;
}

TEST(Rfc6455_5_4_Fragmentation, TextInTwoFragments) {
  TestServer server;
  Session s(server);
  s.client.send(fragments(kText, "Hello, world", {5}));
  EXPECT_TRUE(Receives(s.client, kText, "Hello, world"));
  EXPECT_EQ(server.rec.wait_messages(1).front().data, "Hello, world");
}

TEST(Rfc6455_5_4_Fragmentation, TextInThreeFragments) {
  TestServer server;
  Session s(server);
  s.client.send(fragments(kText, "Hello, world", {3, 7}));
  EXPECT_TRUE(Receives(s.client, kText, "Hello, world"));
}

TEST(Rfc6455_5_4_Fragmentation, TextInOneFragmentPerByte) {
  TestServer server;
  Session s(server);
  const std::string message = pattern(200, true);
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < message.size(); ++i) cuts.push_back(i);
  s.client.send(fragments(kText, message, cuts));
  EXPECT_TRUE(Receives(s.client, kText, message));
}

TEST(Rfc6455_5_4_Fragmentation, BinaryInFragmentsWithEmptyOnes) {
  TestServer server;
  Session s(server);
  const std::string message = pattern(1000, false);
  s.client.send(fragments(kBinary, message, {0, 0, 300, 300, 999, 1000}));
  EXPECT_TRUE(Receives(s.client, kBinary, message));
}

TEST(Rfc6455_5_4_Fragmentation, AllFragmentsEmpty) {
  TestServer server;
  Session s(server);
  s.client.send(fragments(kText, "", {0, 0}));
  EXPECT_TRUE(Receives(s.client, kText, ""));
}

TEST(Rfc6455_5_4_Fragmentation, LargeFragmentsAcrossLengthEncodings) {
  TestServer server;
  Session s(server);
  const std::string message = pattern(70000, false);
  s.client.send(fragments(kBinary, message, {125, 251, 66000}));
  EXPECT_TRUE(Receives(s.client, kBinary, message));
}

TEST(Rfc6455_5_4_Fragmentation, PingsBetweenFragmentsArePongedBeforeTheMessage) {
  TestServer server;
  Session s(server);
  s.client.send(client_frame(kText, "Hel", false) + client_frame(kPing, "p1") +
                client_frame(kCont, "lo ", false) + client_frame(kPing, "p2") +
                client_frame(kCont, "world", true));
  EXPECT_TRUE(Receives(s.client, kPong, "p1"));
  EXPECT_TRUE(Receives(s.client, kPong, "p2"));
  EXPECT_TRUE(Receives(s.client, kText, "Hello world"));
}

TEST(Rfc6455_5_4_Fragmentation, PingBetweenFragmentsInSeparateWrites) {
  TestServer server;
  Session s(server);
  s.client.send_frame(kBinary, "ab", false);
  s.client.send_frame(kPing, "mid");
  EXPECT_TRUE(Receives(s.client, kPong, "mid"));
  s.client.send_frame(kCont, "cd", true);
  EXPECT_TRUE(Receives(s.client, kBinary, "abcd"));
}

TEST(Rfc6455_5_4_Fragmentation, PongBetweenFragmentsIsIgnored) {
  TestServer server;
  Session s(server);
  s.client.send(client_frame(kText, "ab", false) + client_frame(kPong, "unsolicited") +
                client_frame(kCont, "cd", true));
  EXPECT_TRUE(Receives(s.client, kText, "abcd"));
}

TEST(Rfc6455_5_4_Fragmentation, ContinuationWithoutStartFails1002) {
  ExpectBytesFail(client_frame(kCont, "orphan", true), 1002);
}

TEST(Rfc6455_5_4_Fragmentation, UnfinishedContinuationWithoutStartFails1002) {
  ExpectBytesFail(client_frame(kCont, "orphan", false), 1002);
}

TEST(Rfc6455_5_4_Fragmentation, ContinuationAfterFinishedMessageFails1002) {
  TestServer server;
  Session s(server);
  s.client.send(client_frame(kText, "done") + client_frame(kCont, "more"));
  EXPECT_TRUE(Receives(s.client, kText, "done"));
  ExpectFailedWith(server, s.client, 1002);
}

class Rfc6455_5_4_NewDataFrameInsideFragmentedMessage
    : public testing::TestWithParam<std::pair<int, int>> {};

TEST_P(Rfc6455_5_4_NewDataFrameInsideFragmentedMessage, Fails1002) {
  const auto [first, second] = GetParam();
  TestServer server;
  Session s(server);
  s.client.send(client_frame(static_cast<std::uint8_t>(first), "start", false) +
                client_frame(static_cast<std::uint8_t>(second), "intruder", true));
  ExpectFailedWith(server, s.client, 1002);
  EXPECT_TRUE(server.rec.messages().empty()) << "nothing may be delivered";
}

INSTANTIATE_TEST_SUITE_P(Pairs, Rfc6455_5_4_NewDataFrameInsideFragmentedMessage,
                         testing::Values(std::pair{1, 1}, std::pair{1, 2}, std::pair{2, 1},
                                         std::pair{2, 2}),
                         [](const auto& info) {
                           const auto name = [](int op) { return op == 1 ? "Text" : "Binary"; };
                           return std::string(name(info.param.first)) + "Then" +
                                  name(info.param.second);
                         });

class Rfc6455_5_4_FragmentedControlFrame : public testing::TestWithParam<int> {};

TEST_P(Rfc6455_5_4_FragmentedControlFrame, Fails1002) {
  ExpectBytesFail(build_frame({.fin = false,
                               .opcode = static_cast<std::uint8_t>(GetParam()),
                               .payload = close_body(1000)}),
                  1002);
}

INSTANTIATE_TEST_SUITE_P(Control, Rfc6455_5_4_FragmentedControlFrame,
                         testing::Values(kPing, kPong, kClose), [](const auto& info) {
                           return info.param == kPing   ? std::string("Ping")
                                  : info.param == kPong ? std::string("Pong")
                                                        : std::string("Close");
                         });

// ---------------------------------------------------------------------------------------------
// §5.5 Control frames: ping and pong.

TEST(Rfc6455_5_5_ControlFrames, EmptyPingGetsEmptyPong) {
  TestServer server;
  Session s(server);
  s.client.send_frame(kPing, "");
  EXPECT_TRUE(Receives(s.client, kPong, ""));
}

TEST(Rfc6455_5_5_ControlFrames, Ping125GetsSamePayloadInPong) {
  TestServer server;
  Session s(server);
  const std::string payload = pattern(125, false);
  s.client.send_frame(kPing, payload);
  EXPECT_TRUE(Receives(s.client, kPong, payload));
}

TEST(Rfc6455_5_5_ControlFrames, PingOver125Fails) {
  ExpectBytesFail(client_frame(kPing, pattern(126, false)), 1002);
}

TEST(Rfc6455_5_5_ControlFrames, PongOver125Fails) {
  ExpectBytesFail(client_frame(kPong, pattern(126, false)), 1002);
}

TEST(Rfc6455_5_5_ControlFrames, PingWithLength16EncodingOf125IsFine) {
  TestServer server;
  Session s(server);
  const std::string payload = pattern(125, true);
  s.client.send_frame({.opcode = kPing, .payload = payload, .length_form = LengthForm::Len16});
  EXPECT_TRUE(Receives(s.client, kPong, payload));
}

TEST(Rfc6455_5_5_ControlFrames, UnsolicitedPongIsIgnored) {
  TestServer server;
  Session s(server);
  s.client.send(client_frame(kPong, "unsolicited") + client_frame(kText, "after"));
  EXPECT_TRUE(Receives(s.client, kText, "after"));
  EXPECT_EQ(server.rec.wait_messages(1).size(), 1u);
}

TEST(Rfc6455_5_5_ControlFrames, TenPingsGetTenPongsInOrder) {
  TestServer server;
  Session s(server);
  std::string bytes;
  for (int i = 0; i < 10; ++i) bytes += client_frame(kPing, "ping " + std::to_string(i));
  s.client.send(bytes);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(Receives(s.client, kPong, "ping " + std::to_string(i)));
}

// ---------------------------------------------------------------------------------------------
// §8.1 UTF-8 in text messages (and §5.6).

TEST(Rfc6455_8_1_Utf8, ValidMultibyteTextIsEchoed) {
  TestServer server;
  Session s(server);
  const std::string text = "κόσμε € 𝄞 \xF4\x8F\xBF\xBF \xEF\xBB\xBF \xED\x9F\xBF \xEE\x80\x80";
  s.client.send_frame(kText, text);
  EXPECT_TRUE(Receives(s.client, kText, text));
}

TEST(Rfc6455_8_1_Utf8, InvalidUtf8InBinaryIsFine) {
  TestServer server;
  Session s(server);
  const std::string bytes = "\xFF\xFE\xC0\xAF\xED\xA0\x80";
  s.client.send_frame(kBinary, bytes);
  EXPECT_TRUE(Receives(s.client, kBinary, bytes));
}

struct Utf8Case {
  const char* name;
  std::string bytes;
};

const std::vector<Utf8Case>& invalid_utf8() {
  static const std::vector<Utf8Case> cases = {
      {"LoneContinuation",
       "ab\x80"
       "cd"},
      {"OverlongSlash2Byte", "\xC0\xAF"},
      {"OverlongC1", "\xC1\xBF"},
      {"Overlong3Byte", "\xE0\x80\xAF"},
      {"Overlong4Byte", "\xF0\x80\x80\xAF"},
      {"Surrogate", "a\xED\xA0\x80"},
      {"LowSurrogate", "\xED\xBF\xBF"},
      {"AboveMax", "\xF4\x90\x80\x80"},
      {"F5Lead", "\xF5\x80\x80\x80"},
      {"ByteFE", "\xFE"},
      {"ByteFF", "x\xFF"},
      {"MissingContinuation",
       "\xE2\x82"
       "A"},
      {"TruncatedAtEnd", "Hello \xE2\x82"},
      {"Truncated4ByteAtEnd", "\xF0\x9D\x84"},
  };
  return cases;
}

void PrintTo(const Utf8Case& c, std::ostream* os) { *os << c.name << " " << describe(c.bytes); }

class Rfc6455_8_1_InvalidUtf8 : public testing::TestWithParam<Utf8Case> {};

TEST_P(Rfc6455_8_1_InvalidUtf8, TextFrameFails1007) {
  ExpectBytesFail(client_frame(kText, GetParam().bytes), 1007);
}

TEST_P(Rfc6455_8_1_InvalidUtf8, FailsWhenSplitAtEveryByteBoundary) {
  const std::string message = "ok " + GetParam().bytes;
  for (std::size_t cut = 1; cut < message.size(); ++cut) {
    SCOPED_TRACE("split at byte " + std::to_string(cut));
    ExpectBytesFail(fragments(kText, message, {cut}), 1007);
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, Rfc6455_8_1_InvalidUtf8, testing::ValuesIn(invalid_utf8()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Rfc6455_8_1_Utf8, ValidCharacterSplitAtEveryByteBoundaryIsAccepted) {
  TestServer server;
  Session s(server);
  const std::string message =
      "a\xF0\x9D\x84\x9E"
      "b\xE2\x82\xAC"
      "c\xCE\xBA";
  for (std::size_t cut = 1; cut < message.size(); ++cut) {
    SCOPED_TRACE("split at byte " + std::to_string(cut));
    s.client.send(fragments(kText, message, {cut}));
    EXPECT_TRUE(Receives(s.client, kText, message));
  }
}

TEST(Rfc6455_8_1_Utf8, ValidCharactersInOneFragmentPerByteAreAccepted) {
  TestServer server;
  Session s(server);
  const std::string message = "\xF0\x9D\x84\x9E\xE2\x82\xAC\xCE\xBA";
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < message.size(); ++i) cuts.push_back(i);
  s.client.send(fragments(kText, message, cuts));
  EXPECT_TRUE(Receives(s.client, kText, message));
}

// Fail fast: the server must close as soon as it sees the invalid bytes, while the client still
// owes it most of the message.
TEST(Rfc6455_8_1_Utf8, FailsFastInsideAFrameAnnouncedLarger) {
  TestServer server;
  Session s(server);
  const std::string first =
      "\xC0\xAF"
      "0123456789abcd";  // 16 bytes, invalid from the start
  const std::string frame =
      build_frame({.opcode = kText, .payload = first, .announced_length = 64 * 1024});
  s.client.send(frame);
  ExpectFailedWith(server, s.client, 1007);
}

TEST(Rfc6455_8_1_Utf8, FailsFastInAnUnfinishedFragmentedMessage) {
  TestServer server;
  Session s(server);
  s.client.send(client_frame(kText, "valid \xCE", false) + client_frame(kCont, "\xFF", false));
  ExpectFailedWith(server, s.client, 1007);
}

TEST(Rfc6455_8_1_Utf8, FailsFastWhenSequenceSplitAcrossFragments) {
  TestServer server;
  Session s(server);
  // F4 90 is already beyond U+10FFFF: invalid once the second fragment's first byte arrives.
  s.client.send(client_frame(kText, "abc\xF4", false) + client_frame(kCont, "\x90\x80", false));
  ExpectFailedWith(server, s.client, 1007);
}

// ---------------------------------------------------------------------------------------------
// §5.5.1 and §7 Closing handshake; §7.4 status codes.

TEST(Rfc6455_7_ClosingHandshake, EmptyCloseGetsEmptyClose) {
  TestServer server;
  Session s(server);
  s.client.send_frame(kClose, "");
  std::optional<Frame> reply;
  EXPECT_TRUE(ServerAnswersClose(s.client, std::nullopt, &reply));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->payload, "") << "1005 must not be sent (§7.4.1); reply with an empty body";
  EXPECT_EQ(server.rec.wait_closes().front().code, 1005);
}

class Rfc6455_7_4_ValidCloseCode : public testing::TestWithParam<int> {};

TEST_P(Rfc6455_7_4_ValidCloseCode, IsEchoed) {
  TestServer server;
  Session s(server);
  s.client.send_frame(kClose, close_body(static_cast<std::uint16_t>(GetParam()), "reason"));
  EXPECT_TRUE(ServerAnswersClose(s.client, GetParam()));
  const auto closes = server.rec.wait_closes();
  EXPECT_EQ(closes.front().code, GetParam());
  EXPECT_EQ(closes.front().reason, "reason");
}

// 1012-1014 are registered with IANA after RFC 6455 and accepted by Autobahn (case 7.9.x no longer
// lists them as invalid).
INSTANTIATE_TEST_SUITE_P(Codes, Rfc6455_7_4_ValidCloseCode,
                         testing::Values(1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012,
                                         1013, 1014, 3000, 3999, 4000, 4999),
                         [](const auto& info) { return "Code" + std::to_string(info.param); });

class Rfc6455_7_4_InvalidCloseCode : public testing::TestWithParam<int> {};

TEST_P(Rfc6455_7_4_InvalidCloseCode, Fails1002) {
  ExpectBytesFail(client_frame(kClose, close_body(static_cast<std::uint16_t>(GetParam()))), 1002);
}

// Autobahn 7.9.x plus 1015 (never sent on the wire, §7.4.1) and codes above 4999.
INSTANTIATE_TEST_SUITE_P(Codes, Rfc6455_7_4_InvalidCloseCode,
                         testing::Values(0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999,
                                         5000, 65535),
                         [](const auto& info) { return "Code" + std::to_string(info.param); });

TEST(Rfc6455_7_ClosingHandshake, OneBytePayloadFails1002) {
  ExpectBytesFail(client_frame(kClose, "\x03"), 1002);
}

TEST(Rfc6455_7_ClosingHandshake, InvalidUtf8ReasonFails1007) {
  ExpectBytesFail(client_frame(kClose, close_body(1000, "bad \xC0\xAF reason")), 1007);
}

TEST(Rfc6455_7_ClosingHandshake, Reason123BytesIsFine) {
  TestServer server;
  Session s(server);
  const std::string reason = pattern(123, true);
  s.client.send_frame(kClose, close_body(1000, reason));
  EXPECT_TRUE(ServerAnswersClose(s.client, 1000));
  EXPECT_EQ(server.rec.wait_closes().front().reason, reason);
}

TEST(Rfc6455_7_ClosingHandshake, Reason124BytesIsAnOversizedControlFrame) {
  ExpectBytesFail(client_frame(kClose, close_body(1000, pattern(124, true))), 1002);
}

TEST(Rfc6455_7_ClosingHandshake, NothingIsDeliveredAfterTheClientsClose) {
  TestServer server;
  Session s(server);
  s.client.send(client_frame(kText, "before") + client_frame(kClose, close_body(1000)) +
                client_frame(kText, "after") + client_frame(kPing, "after"));
  EXPECT_TRUE(Receives(s.client, kText, "before"));
  std::optional<Frame> reply;
  EXPECT_TRUE(ServerAnswersClose(s.client, 1000, &reply));
  EXPECT_EQ(server.rec.wait_closes().front().code, 1000);
  const auto delivered = server.rec.messages();
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered.front().data, "before");
}

TEST(Rfc6455_7_ClosingHandshake, CloseBetweenFragmentsIsHonoured) {
  TestServer server;
  Session s(server);
  s.client.send(client_frame(kText, "part", false) + client_frame(kClose, close_body(1000)));
  EXPECT_TRUE(ServerAnswersClose(s.client, 1000));
  EXPECT_TRUE(server.rec.messages().empty());
}

TEST(Rfc6455_7_ClosingHandshake, ClientDroppingTcpReports1006) {
  TestServer server;
  {
    Session s(server);
    s.client.send_frame(kText, "hi");
    EXPECT_TRUE(Receives(s.client, kText, "hi"));
  }
  EXPECT_EQ(server.rec.wait_closes().front().code, 1006);
}

// ---------------------------------------------------------------------------------------------
// §10.4 Limits: max_message_size.

wisp::WebSocketSettings small_messages() {
  auto settings = test_settings();
  settings.max_message_size = 1000;
  return settings;
}

TEST(Rfc6455_10_4_MessageSize, ExactlyTheLimitIsEchoed) {
  TestServer server(small_messages());
  Session s(server);
  const std::string message = pattern(1000, true);
  s.client.send_frame(kText, message);
  EXPECT_TRUE(Receives(s.client, kText, message));
}

TEST(Rfc6455_10_4_MessageSize, OverTheLimitFails1009FromTheHeaderAlone) {
  TestServer server(small_messages());
  Session s(server);
  s.client.send_frame({.opcode = kBinary, .announced_length = 1001});  // no payload sent
  ExpectFailedWith(server, s.client, 1009);
}

TEST(Rfc6455_10_4_MessageSize, HugeAnnouncedLengthFails1009) {
  TestServer server(small_messages());
  Session s(server);
  s.client.send_frame({.opcode = kText, .announced_length = std::uint64_t{1} << 40});
  ExpectFailedWith(server, s.client, 1009);
}

TEST(Rfc6455_10_4_MessageSize, FragmentsAtTheLimitAreEchoed) {
  TestServer server(small_messages());
  Session s(server);
  const std::string message = pattern(1000, false);
  s.client.send(fragments(kBinary, message, {400, 800}));
  EXPECT_TRUE(Receives(s.client, kBinary, message));
}

TEST(Rfc6455_10_4_MessageSize, FragmentsOverTheLimitFail1009) {
  TestServer server(small_messages());
  Session s(server);
  s.client.send(client_frame(kText, pattern(600, true), false));
  s.client.send_frame({.fin = false, .opcode = kCont, .announced_length = 600});
  ExpectFailedWith(server, s.client, 1009);
  EXPECT_TRUE(server.rec.messages().empty());
}

// ---------------------------------------------------------------------------------------------
// Streaming: any split of the byte stream, many frames per read.

TEST(Rfc6455_5_Streaming, WholeSessionOneBytePerWrite) {
  TestServer server;
  RawClient client(server.port());
  const std::string binary = pattern(300, false);
  client.send_bytewise(RawClient::upgrade_request() + client_frame(kText, "κόσμε") +
                       client_frame(kBinary, binary) + client_frame(kPing, "p") +
                       fragments(kText,
                                 "a\xE2\x82\xAC"
                                 "b",
                                 {2}) +
                       client_frame(kClose, close_body(1000)));
  const auto response = client.read_http_response();
  ASSERT_EQ(response.status, 101) << response.head;
  EXPECT_EQ(response.header("Sec-WebSocket-Accept"), wisp::test::expected_accept(RawClient::kKey));
  EXPECT_TRUE(Receives(client, kText, "κόσμε"));
  EXPECT_TRUE(Receives(client, kBinary, binary));
  EXPECT_TRUE(Receives(client, kPong, "p"));
  EXPECT_TRUE(Receives(client, kText,
                       "a\xE2\x82\xAC"
                       "b"));
  EXPECT_TRUE(ServerAnswersClose(client, 1000));
}

TEST(Rfc6455_5_Streaming, FiveHundredFramesInOneWriteAreEchoedInOrder) {
  TestServer server;
  Session s(server);
  constexpr int kFrames = 500;
  std::string bytes;
  for (int i = 0; i < kFrames; ++i) {
    bytes += client_frame(i % 2 ? kBinary : kText, "message " + std::to_string(i));
  }
  s.client.send(bytes);
  for (int i = 0; i < kFrames; ++i) {
    ASSERT_TRUE(Receives(s.client, i % 2 ? kBinary : kText, "message " + std::to_string(i)));
  }
  EXPECT_EQ(server.rec.wait_messages(kFrames).size(), static_cast<std::size_t>(kFrames));
}

// ---------------------------------------------------------------------------------------------
// The server keeps serving: one failed connection does not disturb another.

TEST(ServerIsolation, OtherClientKeepsEchoingWhileOneIsFailed) {
  TestServer server;
  Session good(server);
  Session bad(server);
  good.client.send_frame(kText, "one");
  EXPECT_TRUE(Receives(good.client, kText, "one"));
  bad.client.send_frame({.rsv2 = true, .opcode = kText, .payload = "bad"});
  EXPECT_TRUE(ServerCloses(bad.client, 1002));
  good.client.send_frame(kBinary, "two");
  EXPECT_TRUE(Receives(good.client, kBinary, "two"));
  Session late(server);
  late.client.send_frame(kText, "three");
  EXPECT_TRUE(Receives(late.client, kText, "three"));
}

// ---------------------------------------------------------------------------------------------
// The App API as seen over the wire.

TEST(AppApi, ServerCloseSendsCodeAndReason) {
  TestServer server;
  Session s(server);
  s.client.send_frame(kText, "close-me");
  std::optional<Frame> frame;
  EXPECT_TRUE(ServerCloses(s.client, 4000, &frame));
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->close_reason(), "bye");
  EXPECT_EQ(server.rec.wait_closes().front().code, 4000);
}

TEST(AppApi, SendAfterCloseIsDropped) {
  TestServer server;
  Session s(server);
  s.client.send_frame(kText, "close-me");
  EXPECT_TRUE(ServerCloses(s.client, 4000));
  EXPECT_EQ(server.rec.wait_sends_after_close().front(), wisp::SendStatus::Dropped);
}

TEST(AppApi, PerSocketUserDataIsTypedAndSeparate) {
  TestServer server;
  Session first(server, "/counter");
  Session second(server, "/counter");
  for (int i = 1; i <= 3; ++i) {
    first.client.send_frame(kText, "tick");
    EXPECT_TRUE(Receives(first.client, kText, std::to_string(i) + " threw"));
  }
  second.client.send_frame(kBinary, "tick");
  EXPECT_TRUE(Receives(second.client, kText, "1 threw"));
}

}  // namespace
