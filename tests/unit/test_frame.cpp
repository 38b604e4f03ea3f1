// Frame header writing and close payloads (RFC 6455 §5.2, §5.5.1, §7.4).
#include "protocol/frame.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace wisp::protocol {
namespace {

std::vector<std::uint8_t> header(FrameHeader h) {
  std::vector<std::uint8_t> out(max_frame_header_size);
  out.resize(write_frame_header(out.data(), h));
  return out;
}

TEST(Rfc6455_5_2_Header, SevenBitLength) {
  EXPECT_EQ(header({.opcode = OpCode::Text, .payload_size = 5}),
            (std::vector<std::uint8_t>{0x81, 5}));
  EXPECT_EQ(header({.opcode = OpCode::Binary, .payload_size = 125}),
            (std::vector<std::uint8_t>{0x82, 125}));
}

TEST(Rfc6455_5_2_Header, SixteenBitLength) {
  EXPECT_EQ(header({.opcode = OpCode::Binary, .payload_size = 126}),
            (std::vector<std::uint8_t>{0x82, 126, 0, 126}));
  EXPECT_EQ(header({.opcode = OpCode::Binary, .payload_size = 65535}),
            (std::vector<std::uint8_t>{0x82, 126, 0xff, 0xff}));
}

TEST(Rfc6455_5_2_Header, SixtyFourBitLength) {
  EXPECT_EQ(header({.opcode = OpCode::Binary, .payload_size = 65536}),
            (std::vector<std::uint8_t>{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}));
}

TEST(Rfc6455_5_2_Header, FinRsv1AndMask) {
  const std::uint8_t key[4] = {1, 2, 3, 4};
  std::uint32_t k;
  std::memcpy(&k, key, 4);
  EXPECT_EQ(header({.opcode = OpCode::Text,
                    .fin = false,
                    .rsv1 = true,
                    .payload_size = 3,
                    .masked = true,
                    .mask_key = k}),
            (std::vector<std::uint8_t>{0x41, 0x83, 1, 2, 3, 4}));
}

TEST(Rfc6455_5_2_Header, SizeMatchesWhatIsWritten) {
  for (std::uint64_t n : {0ull, 125ull, 126ull, 65535ull, 65536ull, 1ull << 40}) {
    for (bool masked : {false, true}) {
      EXPECT_EQ(frame_header_size(n, masked), header({.payload_size = n, .masked = masked}).size());
    }
  }
}

TEST(Rfc6455_7_4_CloseCodes, WhichMayBeSent) {
  for (int code :
       {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999}) {
    EXPECT_TRUE(is_valid_close_code(code)) << code;
  }
  for (int code : {-1, 0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000}) {
    EXPECT_FALSE(is_valid_close_code(code)) << code;
  }
}

TEST(Rfc6455_5_5_1_ClosePayload, CodeInNetworkOrderThenReason) {
  std::uint8_t out[125];
  ASSERT_EQ(write_close_payload(out, 1001, "bye"), 5u);
  EXPECT_EQ(std::vector<std::uint8_t>(out, out + 5),
            (std::vector<std::uint8_t>{0x03, 0xE9, 'b', 'y', 'e'}));
  EXPECT_EQ(write_close_payload(out, close_code::no_status, "ignored"), 0u);
}

}  // namespace
}  // namespace wisp::protocol
