// The nodes' wire format (docs/redis-wire-format.md): each message round-trips, the bytes are the
// documented ones, and anything else is refused.
#include <gtest/gtest.h>

#include <stdexcept>

#include "broker/broker_wire.hpp"

namespace wisp::broker::wire {
namespace {

using namespace std::string_literals;

TEST(BrokerWire, TopicRoundTrip) {
  auto bytes = encode_topic("node-1", OpCode::Binary, true, "client-9", "\0\xff payload"s);
  auto message = decode(bytes);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->type, Type::topic);
  EXPECT_EQ(message->origin, "node-1");
  EXPECT_EQ(message->op, OpCode::Binary);
  EXPECT_TRUE(message->compress);
  EXPECT_EQ(message->except_client, "client-9");
  EXPECT_EQ(message->payload, "\0\xff payload"s);
}

TEST(BrokerWire, TopicBytesAreTheDocumentedOnes) {
  EXPECT_EQ(encode_topic("n", OpCode::Text, false, "", "hi"), "W\x01T\x01\x00\x00\x01n\x00\x00hi"s);
}

// A stream's message (a room with history): flag bit 1, which every node delivers, its origin too.
TEST(BrokerWire, AnOrderedTopicMessageSaysSo) {
  const auto bytes = encode_topic("n", OpCode::Text, true, "", "hi", true);
  EXPECT_EQ(bytes, "W\x01T\x01\x03\x00\x01n\x00\x00hi"s);
  const auto message = decode(bytes);
  ASSERT_TRUE(message);
  EXPECT_TRUE(message->ordered);
  EXPECT_TRUE(message->compress);
  EXPECT_FALSE(decode(encode_topic("n", OpCode::Text, false, "", "hi"))->ordered);
}

// A topic stream's message (a topic with history): flag bit 2, its payload the position and
// message.
TEST(BrokerWire, APositionedTopicMessageSaysSo) {
  const auto bytes = encode_topic("n", OpCode::Binary, false, "", "p", true, true);
  EXPECT_EQ(bytes, "W\x01T\x02\x06\x00\x01n\x00\x00p"s);
  const auto message = decode(bytes);
  ASSERT_TRUE(message);
  EXPECT_TRUE(message->positioned);
  EXPECT_TRUE(message->ordered);
  EXPECT_FALSE(decode(encode_topic("n", OpCode::Text, false, "", "hi", true))->positioned);
}

TEST(BrokerWire, CommandQuestionAnswerRoundTrip) {
  // The decoded views point into the bytes: they must outlive the message.
  auto command_bytes = encode_command("a", "send", "to bob");
  auto command = decode(command_bytes);
  ASSERT_TRUE(command);
  EXPECT_EQ(command->type, Type::command);
  EXPECT_EQ(command->origin, "a");
  EXPECT_EQ(command->kind, "send");
  EXPECT_EQ(command->payload, "to bob");

  auto question_bytes = encode_question("a", 0x0102030405060708ull, "count", "room");
  auto question = decode(question_bytes);
  ASSERT_TRUE(question);
  EXPECT_EQ(question->type, Type::question);
  EXPECT_EQ(question->request, 0x0102030405060708ull);
  EXPECT_EQ(question->kind, "count");
  EXPECT_EQ(question->payload, "room");
  EXPECT_EQ(encode_question("a", 1, "k", ""),
            "W\x01Q\x00\x01"
            "a\0\0\0\0\0\0\0\x01\x00\x01k"s);

  auto answer_bytes = encode_answer("b", 7, "");
  auto answer = decode(answer_bytes);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->type, Type::answer);
  EXPECT_EQ(answer->origin, "b");
  EXPECT_EQ(answer->request, 7u);
  EXPECT_EQ(answer->payload, "");
}

TEST(BrokerWire, EveryTruncationOfAMessageIsRefused) {
  for (const auto& bytes :
       {encode_topic("node", OpCode::Text, false, "c", ""), encode_command("node", "kind", ""),
        encode_question("node", 1, "k", ""), encode_answer("node", 1, "")}) {
    for (std::size_t size = 0; size < bytes.size(); ++size)
      EXPECT_FALSE(decode(bytes.substr(0, size))) << size;
    EXPECT_TRUE(decode(bytes));
  }
}

TEST(BrokerWire, WrongMagicVersionTypeOpFlagsOrEmptyOriginAreRefused) {
  auto good = encode_topic("n", OpCode::Text, false, "", "x");
  auto with = [&](std::size_t at, char byte) {
    auto bytes = good;
    bytes[at] = byte;
    return bytes;
  };
  EXPECT_FALSE(decode(with(0, 'w')));
  EXPECT_FALSE(decode(with(1, '\x02')));
  EXPECT_FALSE(decode(with(2, 'X')));
  EXPECT_FALSE(decode(with(3, '\x08')));  // a close frame is no publish
  EXPECT_FALSE(decode(with(4, '\x08')));  // unknown flag
  EXPECT_FALSE(decode(encode_command("", "k", "")));
}

TEST(BrokerWire, ALongIdIsRefusedByTheEncoder) {
  std::string long_id(max_short_string + 1, 'x');
  EXPECT_THROW(encode_command("n", long_id, ""), std::length_error);
  EXPECT_NO_THROW(encode_command("n", std::string(max_short_string, 'x'), ""));
}

}  // namespace
}  // namespace wisp::broker::wire
