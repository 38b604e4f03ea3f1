// Socket.IO v5 packets: the header (type, attachments, namespace, ack id), the data each type
// may carry, binary attachments with their placeholders, and gathering them across messages.
#include <gtest/gtest.h>

#include "socketio/socketio_packet.hpp"

namespace wisp::socketio {
namespace {

using json = nlohmann::json;

json bytes(std::initializer_list<std::uint8_t> b) {
  return json::binary(std::vector<std::uint8_t>(b));
}

TEST(SocketIoPacket, DecodesConnectWithAndWithoutAuthAndNamespace) {
  auto p = decode_sio("0", 4);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, SioType::Connect);
  EXPECT_EQ(p->nsp, "/");
  EXPECT_TRUE(p->data.is_discarded());
  p = decode_sio(R"(0/admin,{"token":"t"})", 4);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->nsp, "/admin");
  EXPECT_EQ(p->data, (json{{"token", "t"}}));
  p = decode_sio("0/admin,", 4);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->nsp, "/admin");
}

TEST(SocketIoPacket, DecodesEventsWithAckIdsAndAcks) {
  auto p = decode_sio(R"(2/chat,12["msg",1,{"a":[2]}])", 4);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, SioType::Event);
  EXPECT_EQ(p->nsp, "/chat");
  EXPECT_EQ(p->id, 12u);
  EXPECT_EQ(p->data, json::parse(R"(["msg",1,{"a":[2]}])"));
  p = decode_sio(R"(37["ok"])", 4);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, SioType::Ack);
  EXPECT_EQ(p->id, 7u);
  EXPECT_FALSE(decode_sio(R"(2["msg"])", 4)->id);
}

TEST(SocketIoPacket, RefusesDataOfTheWrongShape) {
  for (std::string_view bad :
       {"", "7", "2", "2[]", "2[1]", R"(2{"a":1})", "2[\"a\"", "3[1]", R"(0["x"])", "1{}", "4",
        R"(51["a"])", "5-[\"a\"]", R"(599-["a"])", "2/x,999999999999999999[\"a\"]"}) {
    EXPECT_FALSE(decode_sio(bad, 4)) << bad;
  }
}

TEST(SocketIoPacket, RefusesDataNestedDeeperThanTheLimit) {
  const auto nested = [](std::size_t depth) {
    return "2[\"e\"," + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "]";
  };
  EXPECT_TRUE(decode_sio(nested(kMaxDepth), 4));
  EXPECT_FALSE(decode_sio(nested(kMaxDepth + 1), 4));
  EXPECT_FALSE(
      decode_sio("2[\"e\"," + std::string(500000, '[') + std::string(500000, ']') + "]", 4));
  EXPECT_TRUE(decode_sio(R"(2["e","[[[[\"]]]"])", 1)) << "brackets inside strings do not nest";
}

TEST(SocketIoPacket, EncodesConnectErrorsAndDisconnects) {
  EXPECT_EQ(encode_sio(SioType::ConnectError, "/", std::nullopt, {{"message", "no"}}).text,
            R"(4{"message":"no"})");
  EXPECT_EQ(encode_sio(SioType::Connect, "/admin", std::nullopt, {{"sid", "s"}}).text,
            R"(0/admin,{"sid":"s"})");
  EXPECT_EQ(encode_sio(SioType::Disconnect, "/", std::nullopt, json(json::value_t::discarded)).text,
            "1");
}

TEST(SocketIoPacket, BinaryBecomesPlaceholdersAndAttachments) {
  const json data = {"file", bytes({1, 2}), {{"inner", bytes({3})}}};
  const auto encoded = encode_sio(SioType::Event, "/", 5, data);
  EXPECT_EQ(
      encoded.text,
      R"(52-5["file",{"_placeholder":true,"num":0},{"inner":{"_placeholder":true,"num":1}}])");
  ASSERT_EQ(encoded.attachments.size(), 2u);
  EXPECT_EQ(encoded.attachments[0], std::string("\x01\x02"));
  EXPECT_EQ(encode_sio(SioType::Ack, "/", 1, json::array({bytes({9})})).text,
            R"(61-1[{"_placeholder":true,"num":0}])");
}

TEST(SioDecoder, GathersAttachmentsAndPutsThemBack) {
  SioDecoder decoder(4);
  EXPECT_EQ(
      decoder.text(R"(52-["up",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}])"),
      SioDecoder::Status::Waiting);
  EXPECT_EQ(decoder.binary("A"), SioDecoder::Status::Waiting);
  EXPECT_EQ(decoder.binary("B"), SioDecoder::Status::Packet);
  const auto packet = decoder.take();
  EXPECT_EQ(packet.type, SioType::Event);
  EXPECT_EQ(packet.data, (json{"up", bytes({'B'}), bytes({'A'})}));
}

TEST(SioDecoder, RefusesOutOfOrderAndMissingAttachments) {
  SioDecoder decoder(4);
  EXPECT_EQ(decoder.binary("stray"), SioDecoder::Status::Error);
  EXPECT_EQ(decoder.text(R"(51-["a",{"_placeholder":true,"num":0}])"), SioDecoder::Status::Waiting);
  EXPECT_EQ(decoder.text(R"(2["b"])"), SioDecoder::Status::Error);  // an attachment was due
  SioDecoder wrong(4);
  EXPECT_EQ(wrong.text(R"(51-["a",{"_placeholder":true,"num":3}])"), SioDecoder::Status::Waiting);
  EXPECT_EQ(wrong.binary("x"), SioDecoder::Status::Error);  // no attachment 3
  SioDecoder limited(1);
  EXPECT_EQ(limited.text(R"(52-["a"])"), SioDecoder::Status::Error);  // over max_attachments
}

}  // namespace
}  // namespace wisp::socketio
