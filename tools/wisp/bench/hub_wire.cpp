#include "hub_wire.hpp"

#include <charconv>

namespace wisp::tool::bench {
namespace {

bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; }

void skip_space(std::string_view& json) {
  while (!json.empty() && is_space(json.front())) json.remove_prefix(1);
}

// Reads the decimal number at the start of `text` into `value` and removes it; false if none.
bool take_number(std::string_view& text, std::uint64_t& value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{}) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return true;
}

struct Fields {
  std::string_view type, data, id, ack;  // raw JSON values (type with its quotes)
};

// The top-level "type", "data" and "id" of an object, as raw JSON text.
bool read_fields(std::string_view json, Fields& out) {
  skip_space(json);
  if (json.empty() || json.front() != '{') return false;
  json.remove_prefix(1);
  for (;;) {
    skip_space(json);
    if (!json.empty() && json.front() == '}') return true;
    const std::size_t key_size = json_value_length(json);
    if (key_size < 2 || json.front() != '"') return false;
    const std::string_view key = json.substr(1, key_size - 2);
    json.remove_prefix(key_size);
    skip_space(json);
    if (json.empty() || json.front() != ':') return false;
    json.remove_prefix(1);
    skip_space(json);
    const std::size_t size = json_value_length(json);
    if (size == 0) return false;
    const std::string_view value = json.substr(0, size);
    if (key == "type") out.type = value;
    if (key == "data") out.data = value;
    if (key == "id") out.id = value;
    if (key == "ack") out.ack = value;
    json.remove_prefix(size);
    skip_space(json);
    if (!json.empty() && json.front() == ',') json.remove_prefix(1);
  }
}

// 43ID[DATA], after its "43".
Incoming read_ack(std::string_view packet, Answer& answer) {
  if (!take_number(packet, answer.id) || packet.size() < 2 || packet.front() != '[' ||
      packet.back() != ']') {
    return Incoming::Invalid;
  }
  packet = packet.substr(1, packet.size() - 2);
  skip_space(packet);
  const std::size_t size = json_value_length(packet);
  if (size == 0) return Incoming::Invalid;
  answer.data = packet.substr(0, size);
  return Incoming::Answer;
}

}  // namespace

std::size_t json_value_length(std::string_view json) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char ch = json[i];
    if (in_string) {
      if (ch == '\\') {
        ++i;
      } else if (ch == '"') {
        in_string = false;
        if (depth == 0) return i + 1;
      }
      continue;
    }
    switch (ch) {
      case '"':
        in_string = true;
        break;
      case '{':
      case '[':
        ++depth;
        break;
      case '}':
      case ']':
        if (depth == 0) return i;  // the enclosing value ends: so does a number or literal
        if (--depth == 0) return i + 1;
        break;
      case ',':
        if (depth == 0) return i;
        break;
      default:
        if (depth == 0 && is_space(ch)) return i;
        break;
    }
  }
  return in_string || depth ? 0 : json.size();
}

namespace envelope {

void append_request(std::string& out, std::string_view type, std::string_view data,
                    std::uint64_t id) {
  out.append("{\"type\":\"").append(type).append("\",\"data\":").append(data);
  out.append(",\"id\":").append(std::to_string(id)).push_back('}');
}

void append_ack(std::string& out, std::string_view ack, std::string_view data) {
  out.append("{\"type\":\"ack\",\"id\":").append(ack).append(",\"data\":").append(data);
  out.push_back('}');
}

Incoming read(std::string_view message, Answer& answer) {
  Fields fields;
  if (!read_fields(message, fields)) return Incoming::Invalid;
  if (!fields.ack.empty()) {
    answer.ack = fields.ack;
    answer.data = fields.data.empty() ? std::string_view("null") : fields.data;
    return Incoming::Ask;
  }
  if (fields.id.empty() && !fields.type.empty() && fields.type != "\"error\"") {
    return Incoming::Push;
  }
  std::string_view id = fields.id;
  if (fields.type != "\"response\"" || !take_number(id, answer.id) || !id.empty()) {
    return Incoming::Invalid;
  }
  answer.data = fields.data;
  return Incoming::Answer;
}

}  // namespace envelope

namespace socketio {

namespace {

void append_packet(std::string& out, std::string_view id, std::string_view event,
                   std::string_view data) {
  out.append("42").append(id).append("[\"").append(event).append("\",");
  out.append(data).push_back(']');
}

}  // namespace

void append_request(std::string& out, std::string_view event, std::string_view data,
                    std::uint64_t id) {
  append_packet(out, std::to_string(id), event, data);
}

void append_event(std::string& out, std::string_view event, std::string_view data) {
  append_packet(out, {}, event, data);
}

std::string_view event_data(std::string_view message, std::string_view event) {
  if (!message.starts_with("42[\"")) return {};
  message.remove_prefix(4);
  if (!message.starts_with(event) || !message.substr(event.size()).starts_with("\",") ||
      !message.ends_with(']')) {
    return {};
  }
  message = message.substr(event.size() + 2);
  return message.substr(0, message.size() - 1);
}

// Engine.IO packet types: 0 open, 1 close, 2 ping, 3 pong, 4 message, 6 noop. A message's first
// byte is then Socket.IO's packet type: 0 connect, 2 event, 3 ack, 4 connect error.
Incoming read(std::string_view message, Answer& answer) {
  if (message.starts_with("43")) return read_ack(message.substr(2), answer);
  if (message.starts_with("42") || message == "6") return Incoming::Push;
  if (message.starts_with("40")) return Incoming::Connected;
  if (message.starts_with("0{")) return Incoming::Open;
  if (message == "2") return Incoming::Ping;
  return Incoming::Invalid;
}

}  // namespace socketio

}  // namespace wisp::tool::bench
