#include "broker/broker_wire.hpp"

#include <stdexcept>

namespace wisp::broker::wire {
namespace {

std::string header(Type type, std::size_t reserve) {
  std::string out;
  out.reserve(reserve + 3);
  out += magic;
  out += static_cast<char>(version);
  out += static_cast<char>(type);
  return out;
}

void put_short(std::string& out, std::string_view text) {
  if (text.size() > max_short_string) throw std::length_error("broker message: id too long");
  out += static_cast<char>(text.size() >> 8);
  out += static_cast<char>(text.size() & 0xff);
  out += text;
}

void put_u64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xff);
}

// Reads fields off the front of untrusted bytes; any short read makes it fail for good.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}
  bool ok() const { return ok_; }
  std::uint8_t byte() {
    if (!need(1)) return 0;
    auto value = static_cast<std::uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return value;
  }
  std::string_view short_string() {
    std::size_t size = std::size_t{byte()} << 8;
    size |= byte();
    if (!need(size)) return {};
    auto value = rest_.substr(0, size);
    rest_.remove_prefix(size);
    return value;
  }
  std::uint64_t u64() {
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value = (value << 8) | byte();
    return value;
  }
  std::string_view rest() { return rest_; }

 private:
  bool need(std::size_t size) {
    if (ok_ && rest_.size() >= size) return true;
    ok_ = false;
    return false;
  }
  std::string_view rest_;
  bool ok_ = true;
};

bool decode_topic(Reader& in, Message& message) {
  std::uint8_t op = in.byte();
  std::uint8_t flags = in.byte();
  if (op != static_cast<std::uint8_t>(OpCode::Text) &&
      op != static_cast<std::uint8_t>(OpCode::Binary))
    return false;
  if ((flags & ~7u) != 0) return false;
  message.op = static_cast<OpCode>(op);
  message.compress = (flags & 1u) != 0;
  message.ordered = (flags & 2u) != 0;
  message.positioned = (flags & 4u) != 0;
  message.origin = in.short_string();
  message.except_client = in.short_string();
  return true;
}

bool decode_fields(Reader& in, Message& message) {
  switch (message.type) {
    case Type::topic:
      return decode_topic(in, message);
    case Type::command:
      message.origin = in.short_string();
      message.kind = in.short_string();
      return true;
    case Type::question:
      message.origin = in.short_string();
      message.request = in.u64();
      message.kind = in.short_string();
      return true;
    case Type::answer:
      message.origin = in.short_string();
      message.request = in.u64();
      return true;
  }
  return false;
}

bool known_type(char type) {
  return type == static_cast<char>(Type::topic) || type == static_cast<char>(Type::command) ||
         type == static_cast<char>(Type::question) || type == static_cast<char>(Type::answer);
}

}  // namespace

std::string encode_topic(std::string_view origin, OpCode op, bool compress,
                         std::string_view except_client, std::string_view payload, bool ordered,
                         bool positioned) {
  std::string out = header(Type::topic, 6 + origin.size() + except_client.size() + payload.size());
  out += static_cast<char>(op);
  out += static_cast<char>((compress ? 1 : 0) | (ordered ? 2 : 0) | (positioned ? 4 : 0));
  put_short(out, origin);
  put_short(out, except_client);
  out += payload;
  return out;
}

std::string encode_command(std::string_view origin, std::string_view kind,
                           std::string_view payload) {
  std::string out = header(Type::command, 4 + origin.size() + kind.size() + payload.size());
  put_short(out, origin);
  put_short(out, kind);
  out += payload;
  return out;
}

std::string encode_question(std::string_view origin, std::uint64_t request, std::string_view kind,
                            std::string_view payload) {
  std::string out = header(Type::question, 12 + origin.size() + kind.size() + payload.size());
  put_short(out, origin);
  put_u64(out, request);
  put_short(out, kind);
  out += payload;
  return out;
}

std::string encode_answer(std::string_view origin, std::uint64_t request,
                          std::string_view payload) {
  std::string out = header(Type::answer, 10 + origin.size() + payload.size());
  put_short(out, origin);
  put_u64(out, request);
  out += payload;
  return out;
}

std::optional<Message> decode(std::string_view bytes) {
  if (bytes.size() < 3 || bytes[0] != magic || static_cast<std::uint8_t>(bytes[1]) != version ||
      !known_type(bytes[2]))
    return std::nullopt;
  Message message;
  message.type = static_cast<Type>(bytes[2]);
  Reader in(bytes.substr(3));
  if (!decode_fields(in, message) || !in.ok() || message.origin.empty()) return std::nullopt;
  message.payload = in.rest();
  return message;
}

}  // namespace wisp::broker::wire
