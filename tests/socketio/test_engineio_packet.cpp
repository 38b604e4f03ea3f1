// Engine.IO v4 packets: WebSocket frames, polling payloads ('\x1e'-separated, binary as 'b' +
// base64), the open packet and the HTTP error bodies, as the official server and client write them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "socketio/engineio_packet.hpp"

namespace wisp::socketio {
namespace {

TEST(EngineIoPacket, DecodesEveryTypeOfTextFrame) {
  const std::pair<std::string_view, EioType> cases[] = {
      {"0{}", EioType::Open}, {"1", EioType::Close},        {"2probe", EioType::Ping},
      {"3", EioType::Pong},   {"4hello", EioType::Message}, {"5", EioType::Upgrade},
      {"6", EioType::Noop}};
  for (const auto& [frame, type] : cases) {
    const auto packet = decode_packet(frame);
    ASSERT_TRUE(packet) << frame;
    EXPECT_EQ(packet->type, type);
    EXPECT_EQ(packet->data, frame.substr(1));
    EXPECT_FALSE(packet->binary);
  }
}

TEST(EngineIoPacket, RefusesEmptyAndUnknownFrames) {
  EXPECT_FALSE(decode_packet(""));
  EXPECT_FALSE(decode_packet("7"));
  EXPECT_FALSE(decode_packet("b4AQI="));  // base64 belongs to polling payloads only
  EXPECT_FALSE(decode_packet("x"));
}

TEST(EngineIoPacket, EncodesATextPacket) {
  EXPECT_EQ(encode_packet(EioType::Message, "42[\"a\"]"), "442[\"a\"]");
  EXPECT_EQ(encode_packet(EioType::Ping), "2");
}

TEST(EngineIoPayload, SplitsPacketsAtTheRecordSeparator) {
  const auto packets = decode_payload(
      "4hello\x1e"
      "2\x1e"
      "bAQID");
  ASSERT_TRUE(packets);
  ASSERT_EQ(packets->size(), 3u);
  EXPECT_EQ((*packets)[0].data, "hello");
  EXPECT_EQ((*packets)[1].type, EioType::Ping);
  EXPECT_TRUE((*packets)[2].binary);
  EXPECT_EQ((*packets)[2].type, EioType::Message);
  EXPECT_EQ((*packets)[2].data, std::string("\x01\x02\x03"));
}

TEST(EngineIoPayload, RefusesTheWholeBodyForOneBadPacket) {
  EXPECT_FALSE(decode_payload(""));
  EXPECT_FALSE(decode_payload("4a\x1e"));  // an empty last packet
  EXPECT_FALSE(
      decode_payload("4a\x1e"
                     "9"));  // an unknown type
  EXPECT_FALSE(
      decode_payload("4a\x1e"
                     "b!!!!"));          // not base64
  EXPECT_FALSE(decode_payload("bAQI"));  // not padded
}

TEST(EngineIoPayload, WritesWhatItReads) {
  std::string body;
  append_to_payload(body, {EioType::Message, "40", false});
  append_to_payload(body, {EioType::Message, std::string("\0\xff", 2), true});
  append_to_payload(body, {EioType::Noop, "", false});
  EXPECT_EQ(body,
            "440\x1e"
            "bAP8=\x1e"
            "6");
  const auto packets = decode_payload(body);
  ASSERT_TRUE(packets);
  ASSERT_EQ(packets->size(), 3u);
  EXPECT_EQ((*packets)[1].data, std::string("\0\xff", 2));
}

TEST(EngineIoOpen, NamesSidIntervalsPayloadAndUpgrades) {
  const auto open = nlohmann::json::parse(open_json("abc", true, 25000, 20000, 1000000));
  EXPECT_EQ(open, (nlohmann::json{{"sid", "abc"},
                                  {"upgrades", {"websocket"}},
                                  {"pingInterval", 25000},
                                  {"pingTimeout", 20000},
                                  {"maxPayload", 1000000}}));
  EXPECT_EQ(nlohmann::json::parse(open_json("x", false, 1, 2, 3))["upgrades"],
            nlohmann::json::array());
}

TEST(EngineIoError, MatchesTheOfficialServersBodies) {
  EXPECT_EQ(error_json(EioError::UnknownTransport), R"({"code":0,"message":"Transport unknown"})");
  EXPECT_EQ(error_json(EioError::UnknownSid), R"({"code":1,"message":"Session ID unknown"})");
  EXPECT_EQ(error_json(EioError::UnsupportedProtocolVersion),
            R"({"code":5,"message":"Unsupported protocol version"})");
}

}  // namespace
}  // namespace wisp::socketio
