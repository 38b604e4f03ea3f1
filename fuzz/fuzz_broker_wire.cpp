// libFuzzer target for the broker's message decoder (broker/broker_wire.hpp): what arrives from
// Redis is untrusted.
//
// Invariants, for any input: no crash; what decodes re-encodes to exactly the input bytes (the
// format has one encoding per message), and decodes again to the same fields.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "broker/broker_wire.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace wisp::broker::wire;

std::string encode(const Message& message) {
  switch (message.type) {
    case Type::topic:
      return encode_topic(message.origin, message.op, message.compress, message.except_client,
                          message.payload, message.ordered, message.positioned);
    case Type::command:
      return encode_command(message.origin, message.kind, message.payload);
    case Type::question:
      return encode_question(message.origin, message.request, message.kind, message.payload);
    case Type::answer:
      return encode_answer(message.origin, message.request, message.payload);
  }
  return {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto message = decode(bytes);
  if (!message) return 0;
  CHECK(!message->origin.empty());
  std::string again = encode(*message);
  CHECK(again == bytes);
  auto twice = decode(again);
  CHECK(twice && twice->type == message->type && twice->origin == message->origin &&
        twice->op == message->op && twice->compress == message->compress &&
        twice->except_client == message->except_client && twice->ordered == message->ordered &&
        twice->positioned == message->positioned && twice->kind == message->kind &&
        twice->request == message->request && twice->payload == message->payload);
  return 0;
}
