// The frame reader (protocol/reader.hpp), per RFC 6455 section, over byte buffers.
#include "protocol/reader.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/frame.hpp"

namespace wisp::protocol {
namespace {

struct Event {
  std::string kind;  // message, ping, pong, close, error
  int code = 0;      // close/error code, or the message's opcode
  std::string payload;
  bool compressed = false;
  bool operator==(const Event&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Event& e) {
  return out << e.kind << "(" << e.code << ", " << e.payload.size() << " bytes)";
}

struct Recorder {
  std::vector<Event> events;
  bool keep_going = true;
  const std::uint8_t* last_message_data = nullptr;

  bool on_message(OpCode op, std::string_view payload, bool compressed) {
    last_message_data = reinterpret_cast<const std::uint8_t*>(payload.data());
    events.push_back({"message", static_cast<int>(op), std::string(payload), compressed});
    return keep_going;
  }
  bool on_ping(std::string_view p) { return record("ping", 0, p), keep_going; }
  bool on_pong(std::string_view p) { return record("pong", 0, p), keep_going; }
  void on_close(int code, std::string_view reason) { record("close", code, reason); }
  void on_error(int code, std::string_view reason) { record("error", code, reason); }
  void record(const char* kind, int code, std::string_view payload) {
    events.push_back({kind, code, std::string(payload)});
  }
  int error_code() const {
    return !events.empty() && events.back().kind == "error" ? events.back().code : 0;
  }
};

struct FrameSpec {
  unsigned opcode = 1;
  std::string payload;
  bool fin = true;
  unsigned rsv = 0;  // bits 0x40 RSV1, 0x20 RSV2, 0x10 RSV3
  bool masked = true;
};

// A frame as a client sends it: masked with a fixed key, lengths in their minimal form.
std::string frame(const FrameSpec& s) {
  std::string out;
  out += static_cast<char>((s.fin ? 0x80 : 0) | s.rsv | s.opcode);
  const std::uint64_t n = s.payload.size();
  const char mask_bit = s.masked ? char(0x80) : 0;
  if (n < 126) {
    out += static_cast<char>(mask_bit | n);
  } else if (n <= 0xFFFF) {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n);
  } else {
    out += static_cast<char>(mask_bit | 127);
    for (int i = 7; i >= 0; --i) out += static_cast<char>(n >> (8 * i));
  }
  const char key[4] = {0x37, char(0xfa), 0x21, 0x3d};
  if (s.masked) out.append(key, 4);
  for (std::size_t i = 0; i < n; ++i)
    out += s.masked ? char(s.payload[i] ^ key[i % 4]) : s.payload[i];
  return out;
}

std::string text(std::string payload, bool fin = true) {
  return frame({1, std::move(payload), fin});
}
std::string binary(std::string payload) { return frame({2, std::move(payload)}); }
std::string continuation(std::string payload, bool fin) {
  return frame({0, std::move(payload), fin});
}
std::string control(unsigned opcode, std::string payload) {
  return frame({opcode, std::move(payload)});
}
std::string close_frame(int code, std::string reason = {}) {
  std::string payload{static_cast<char>(code >> 8), static_cast<char>(code)};
  return control(8, payload + reason);
}

// Feeds `bytes` in pieces of at most `piece` bytes (0: all at once).
std::vector<Event> read(const std::string& bytes, std::size_t piece = 0, ReaderConfig config = {}) {
  Reader reader;
  Recorder sink;
  std::vector<std::uint8_t> buffer(bytes.begin(), bytes.end());
  if (piece == 0) piece = buffer.size() ? buffer.size() : 1;
  for (std::size_t at = 0; at < buffer.size() && !reader.stopped(); at += piece) {
    reader.consume(buffer.data() + at, std::min(piece, buffer.size() - at), config, sink);
  }
  return sink.events;
}

int error_of(const std::string& bytes, ReaderConfig config = {}) {
  const auto events = read(bytes, 0, config);
  return !events.empty() && events.back().kind == "error" ? events.back().code : 0;
}

Event message(OpCode op, std::string payload) {
  return {"message", static_cast<int>(op), std::move(payload)};
}

// §5.2: payload length in 7, 16 and 64 bits.
class PayloadLength : public testing::TestWithParam<std::size_t> {};

TEST_P(PayloadLength, TextAndBinaryDeliveredWhole) {
  const std::string payload(GetParam(), 'a');
  EXPECT_EQ(read(text(payload) + binary(payload)),
            (std::vector{message(OpCode::Text, payload), message(OpCode::Binary, payload)}));
}

INSTANTIATE_TEST_SUITE_P(Rfc6455_5_2, PayloadLength,
                         testing::Values(0, 1, 125, 126, 127, 65535, 65536, 1 << 20));

TEST(Rfc6455_5_2_Framing, EverySplitOfAStreamGivesTheSameEvents) {
  const std::string stream = text("hello") + control(9, "p") + binary(std::string(300, 'b')) +
                             text("fra", false) + control(10, "") + continuation("gment", true) +
                             close_frame(1000, "bye");
  const auto whole = read(stream);
  ASSERT_EQ(whole.size(), 6u);
  EXPECT_EQ(whole[3], (Event{"pong", 0, ""}));
  EXPECT_EQ(whole[4], message(OpCode::Text, "fragment"));
  for (std::size_t piece = 1; piece <= 16; ++piece) EXPECT_EQ(read(stream, piece), whole) << piece;
}

TEST(Rfc6455_5_2_Framing, MessageInOnePieceIsDeliveredInPlace) {
  std::string bytes = text("in place please");
  std::vector<std::uint8_t> buffer(bytes.begin(), bytes.end());
  Reader reader;
  Recorder sink;
  reader.consume(buffer.data(), buffer.size(), {}, sink);
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_GE(sink.last_message_data, buffer.data());
  EXPECT_LT(sink.last_message_data, buffer.data() + buffer.size());
  EXPECT_EQ(reader.held_bytes(), 0u);
}

TEST(Rfc6455_5_2_Framing, SplitMessageMemoryIsReleasedAfterDelivery) {
  const std::string bytes = binary(std::string(5000, 'x'));
  std::vector<std::uint8_t> buffer(bytes.begin(), bytes.end());
  Reader reader;
  Recorder sink;
  reader.consume(buffer.data(), 2000, {}, sink);
  EXPECT_GT(reader.held_bytes(), 0u);
  reader.consume(buffer.data() + 2000, buffer.size() - 2000, {}, sink);
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0].payload, std::string(5000, 'x'));
  EXPECT_EQ(reader.held_bytes(), 0u);
}

TEST(Rfc6455_5_2_Framing, SixtyFourBitLengthWithMostSignificantBitFails) {
  std::string bytes = {char(0x82), char(0x80 | 127), char(0x80), 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4};
  EXPECT_EQ(error_of(bytes, {.max_message_size = ~std::uint64_t{0}}), close_code::protocol_error);
}

TEST(Rfc6455_5_2_Framing, ReservedBitsWithoutExtensionFail) {
  for (unsigned rsv : {0x40u, 0x20u, 0x10u, 0x70u}) {
    EXPECT_EQ(error_of(frame({1, "x", true, rsv})), close_code::protocol_error) << rsv;
  }
}

TEST(Rfc6455_5_2_Framing, ReservedOpcodesFail) {
  for (unsigned op : {3u, 4u, 5u, 6u, 7u, 11u, 12u, 13u, 14u, 15u}) {
    EXPECT_EQ(error_of(frame({op, "x"})), close_code::protocol_error) << op;
  }
}

TEST(Rfc7692_6_Rsv1, MarksACompressedMessageOnlyWhenNegotiated) {
  const ReaderConfig deflate{.compression = true};
  const auto events = read(frame({1, "zz", false, 0x40}) + continuation("z", true), 0, deflate);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].compressed);
  EXPECT_EQ(events[0].payload, "zzz");
  EXPECT_EQ(error_of(text("a", false) + frame({0, "b", true, 0x40}), deflate),
            close_code::protocol_error);
  EXPECT_EQ(error_of(frame({9, "", true, 0x40}), deflate), close_code::protocol_error);
}

// §5.1, §5.3: masking.
TEST(Rfc6455_5_1_Masking, UnmaskedClientFrameFails) {
  EXPECT_EQ(error_of(frame({1, "hi", true, 0, false})), close_code::protocol_error);
}

TEST(Rfc6455_5_1_Masking, ClientRoleRejectsMaskedServerFrames) {
  const ReaderConfig client{.role = Role::Client};
  EXPECT_EQ(error_of(frame({1, "hi"}), client), close_code::protocol_error);
  EXPECT_EQ(read(frame({1, "hi", true, 0, false}), 0, client),
            std::vector{message(OpCode::Text, "hi")});
}

// §5.4: fragmentation.
TEST(Rfc6455_5_4_Fragmentation, FragmentsAreJoinedWithControlFramesBetween) {
  const auto events = read(text("a", false) + control(9, "1") + continuation("", false) +
                           control(10, "2") + continuation("b", true));
  EXPECT_EQ(events,
            (std::vector<Event>{{"ping", 0, "1"}, {"pong", 0, "2"}, message(OpCode::Text, "ab")}));
}

TEST(Rfc6455_5_4_Fragmentation, ContinuationWithoutStartFails) {
  EXPECT_EQ(error_of(continuation("x", true)), close_code::protocol_error);
  EXPECT_EQ(error_of(text("a") + continuation("x", false)), close_code::protocol_error);
}

TEST(Rfc6455_5_4_Fragmentation, NewMessageInsideFragmentedMessageFails) {
  EXPECT_EQ(error_of(text("a", false) + text("b")), close_code::protocol_error);
  EXPECT_EQ(error_of(text("a", false) + binary("b")), close_code::protocol_error);
}

// §5.5: control frames.
TEST(Rfc6455_5_5_ControlFrames, PingAndPongPayloadsUpTo125) {
  const std::string p125(125, 'p');
  EXPECT_EQ(read(control(9, p125) + control(10, "")),
            (std::vector<Event>{{"ping", 0, p125}, {"pong", 0, ""}}));
  EXPECT_EQ(error_of(control(9, std::string(126, 'p'))), close_code::protocol_error);
}

TEST(Rfc6455_5_5_ControlFrames, FragmentedControlFrameFails) {
  EXPECT_EQ(error_of(frame({9, "x", false})), close_code::protocol_error);
}

TEST(Rfc6455_5_5_ControlFrames, ControlFrameSplitAcrossReadsInsideAMessage) {
  const std::string stream =
      text("ab", false) + control(9, std::string(100, 'q')) + continuation("c", true);
  for (std::size_t piece = 1; piece < 40; piece += 3) {
    EXPECT_EQ(read(stream, piece), (std::vector<Event>{{"ping", 0, std::string(100, 'q')},
                                                       message(OpCode::Text, "abc")}));
  }
}

// §5.5.1, §7.4: close frames.
TEST(Rfc6455_5_5_1_Close, EmptyCloseReportsNoStatus) {
  EXPECT_EQ(read(control(8, "")), (std::vector<Event>{{"close", close_code::no_status, ""}}));
}

TEST(Rfc6455_5_5_1_Close, ValidCodesAndReasonAreReported) {
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
                   3999, 4000, 4999}) {
    EXPECT_EQ(read(close_frame(code, "why")), (std::vector<Event>{{"close", code, "why"}})) << code;
  }
}

TEST(Rfc6455_7_4_Close, InvalidCodesFail) {
  for (int code : {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    EXPECT_EQ(error_of(close_frame(code)), close_code::protocol_error) << code;
  }
}

TEST(Rfc6455_5_5_1_Close, OneBytePayloadFails) {
  EXPECT_EQ(error_of(control(8, "\x03")), close_code::protocol_error);
}

TEST(Rfc6455_5_5_1_Close, ReasonMustBeUtf8) {
  EXPECT_EQ(error_of(close_frame(1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80")),
            close_code::invalid_payload);
}

TEST(Rfc6455_5_5_1_Close, NothingIsDeliveredAfterClose) {
  EXPECT_EQ(read(close_frame(1000) + text("late") + control(9, "")),
            (std::vector<Event>{{"close", 1000, ""}}));
}

// §8.1: text must be UTF-8, checked as it arrives.
TEST(Rfc6455_8_1_Utf8, InvalidTextFailsWith1007) {
  for (std::string bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "a\x80"}) {
    EXPECT_EQ(error_of(text(bad)), close_code::invalid_payload);
  }
}

TEST(Rfc6455_8_1_Utf8, FailsFastBeforeTheFrameIsComplete) {
  const std::string whole = text("ok\xc0" + std::string(1000, 'a'));
  Reader reader;
  Recorder sink;
  std::vector<std::uint8_t> buffer(whole.begin(), whole.end());
  reader.consume(buffer.data(), 4 + 6 + 3, {}, sink);  // header, mask key, "ok\xc0"
  EXPECT_EQ(sink.error_code(), close_code::invalid_payload);
}

TEST(Rfc6455_8_1_Utf8, SequenceSplitAcrossFragmentsIsValid) {
  const std::string euro = "\xe2\x82\xac";
  for (std::size_t cut = 0; cut <= euro.size(); ++cut) {
    EXPECT_EQ(read(text(euro.substr(0, cut), false) + continuation(euro.substr(cut), true)),
              std::vector{message(OpCode::Text, euro)});
  }
}

TEST(Rfc6455_8_1_Utf8, TextEndingInsideASequenceFails) {
  EXPECT_EQ(error_of(text("\xe2\x82")), close_code::invalid_payload);
  EXPECT_EQ(error_of(text("a", false) + continuation("\xe2", true)), close_code::invalid_payload);
}

TEST(Rfc6455_8_1_Utf8, BinaryIsNotChecked) {
  EXPECT_EQ(read(binary("\xff\xfe")), std::vector{message(OpCode::Binary, "\xff\xfe")});
}

// §10.4: a limit on message size, enforced as soon as a header announces too much.
TEST(Rfc6455_10_4_Limits, FrameOverTheLimitFailsOnItsHeader) {
  const std::string big = text(std::string(2000, 'a'));
  Reader reader;
  Recorder sink;
  std::vector<std::uint8_t> buffer(big.begin(), big.end());
  reader.consume(buffer.data(), 8, {.max_message_size = 1000}, sink);  // the header and key only
  EXPECT_EQ(sink.error_code(), close_code::message_too_big);
}

TEST(Rfc6455_10_4_Limits, FragmentsOverTheLimitFail) {
  const ReaderConfig limit{.max_message_size = 10};
  EXPECT_EQ(read(text("12345", false) + continuation("12345", true), 0, limit).back().kind,
            "message");
  EXPECT_EQ(error_of(text("12345", false) + continuation("123456", true), limit),
            close_code::message_too_big);
}

TEST(Rfc6455_10_4_Limits, WholeSmallFrameOverTheLimitFails) {
  const ReaderConfig limit{.max_message_size = 5};
  EXPECT_EQ(read(text("12345"), 0, limit), std::vector{message(OpCode::Text, "12345")});
  EXPECT_EQ(error_of(text("123456"), limit), close_code::message_too_big);
}

TEST(Reader, SinkCanStopConsumption) {
  const std::string bytes = text("one") + text("two");
  std::vector<std::uint8_t> buffer(bytes.begin(), bytes.end());
  Reader reader;
  Recorder sink;
  sink.keep_going = false;
  reader.consume(buffer.data(), buffer.size(), {}, sink);
  EXPECT_EQ(sink.events, std::vector{message(OpCode::Text, "one")});
  EXPECT_TRUE(reader.stopped());
}

}  // namespace
}  // namespace wisp::protocol
