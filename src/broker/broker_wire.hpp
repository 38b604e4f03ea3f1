// The bytes wisp nodes send each other through Redis (docs/redis-wire-format.md is the spec).
//
// Every message: 'W', version 1, a type byte, then the type's fields. A short string (node id,
// client id, kind) is a 2-byte big-endian length and its bytes; the payload is the rest of the
// message, so it needs no length. Binary-safe: nothing is escaped.
// clang-format off
//   'T' topic publish    op (1 text, 2 binary), flags (bit 0 compress, bit 1 ordered, bit 2
//                        positioned: see Message), origin, except_client, payload
//   'C' command          origin, kind, payload
//   'Q' gather question  origin (the node to answer to), request id (8 bytes BE), kind, payload
//   'A' gather answer    origin (the answering node), request id, payload
// clang-format on
// The topic of a publish is its channel's name, not repeated in the message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wisp/opcode.hpp"

namespace wisp::broker::wire {

inline constexpr char magic = 'W';
inline constexpr std::uint8_t version = 1;
inline constexpr std::size_t max_short_string = 0xffff;

enum class Type : char { topic = 'T', command = 'C', question = 'Q', answer = 'A' };

// A decoded message; its views point into the bytes given to decode().
struct Message {
  Type type = Type::topic;
  std::string_view origin;
  OpCode op = OpCode::Text;        // topic
  bool compress = false;           // topic
  std::string_view except_client;  // topic
  // topic: published by a Redis script (a room with history): every node, the origin's too,
  // delivers it from Redis, through each loop's inbox, so all deliver in Redis' order.
  bool ordered = false;
  // topic: a topic's kept message (a topic with history): the payload is its position and the
  // message, in broker/payload.hpp's fields: epoch (text), offset (number), message (text).
  bool positioned = false;
  std::string_view kind;      // command, question
  std::uint64_t request = 0;  // question, answer
  std::string_view payload;
};

// Encoders throw std::length_error for a short string longer than max_short_string.
std::string encode_topic(std::string_view origin, OpCode op, bool compress,
                         std::string_view except_client, std::string_view payload,
                         bool ordered = false, bool positioned = false);
std::string encode_command(std::string_view origin, std::string_view kind,
                           std::string_view payload);
std::string encode_question(std::string_view origin, std::uint64_t request, std::string_view kind,
                            std::string_view payload);
std::string encode_answer(std::string_view origin, std::uint64_t request, std::string_view payload);

// nullopt for anything that is not a well-formed message of this version (untrusted input).
std::optional<Message> decode(std::string_view bytes);

}  // namespace wisp::broker::wire
