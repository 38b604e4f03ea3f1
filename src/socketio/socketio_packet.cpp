#include "socketio/socketio_packet.hpp"

#include <charconv>

namespace wisp::socketio {
namespace {

using json = nlohmann::json;

// Reads a decimal number at the front of `text` (at most `max_digits`); nullopt if none.
std::optional<std::uint64_t> read_number(std::string_view& text, std::size_t max_digits) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > max_digits) return std::nullopt;
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + digits, value);
  text.remove_prefix(digits);
  return value;
}

// Nesting within kMaxDepth: nlohmann's writer and the placeholder walks recurse, so a client's
// deeply nested data must not reach them.
bool within_depth(std::string_view text) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

bool has_binary_type(SioType type) {
  return type == SioType::BinaryEvent || type == SioType::BinaryAck;
}

bool valid_data(const SioPacket& p) {
  const bool none = p.data.is_discarded();
  switch (p.type) {
    case SioType::Connect:
      return none || p.data.is_object();
    case SioType::Disconnect:
      return none;
    case SioType::Event:
    case SioType::BinaryEvent:
      return !none && p.data.is_array() && !p.data.empty() && p.data[0].is_string();
    case SioType::Ack:
    case SioType::BinaryAck:
      return !none && p.data.is_array() && p.id.has_value();
    case SioType::ConnectError:
      return !none && (p.data.is_object() || p.data.is_string());
  }
  return false;
}

bool is_placeholder(const json& value) {
  return value.is_object() && value.size() == 2 && value.contains("_placeholder") &&
         value["_placeholder"] == true && value.contains("num") &&
         value["num"].is_number_unsigned();
}

// Replaces binary values with placeholders, moving their bytes to `out`.
json deconstruct(const json& value, std::vector<std::string>& out) {
  if (value.is_binary()) {
    const auto& bytes = value.get_binary();
    out.emplace_back(bytes.begin(), bytes.end());
    return json{{"_placeholder", true}, {"num", out.size() - 1}};
  }
  if (!value.is_structured()) return value;
  json copy = value.is_array() ? json::array() : json::object();
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (value.is_array()) {
      copy.push_back(deconstruct(*it, out));
    } else {
      copy[it.key()] = deconstruct(*it, out);
    }
  }
  return copy;
}

bool contains_binary(const json& value) {
  if (value.is_binary()) return true;
  if (!value.is_structured()) return false;
  for (const auto& item : value) {
    if (contains_binary(item)) return true;
  }
  return false;
}

}  // namespace

std::optional<SioPacket> decode_sio(std::string_view text, std::size_t max_attachments) {
  if (text.empty() || text[0] < '0' || text[0] > '6') return std::nullopt;
  SioPacket packet;
  packet.type = static_cast<SioType>(text[0]);
  text.remove_prefix(1);
  if (has_binary_type(packet.type)) {
    const auto count = read_number(text, 6);
    if (!count || *count > max_attachments || text.empty() || text[0] != '-') return std::nullopt;
    packet.attachments = *count;
    text.remove_prefix(1);
  }
  if (!text.empty() && text[0] == '/') {
    const std::size_t comma = text.find(',');
    packet.nsp = std::string(text.substr(0, comma));
    text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
  }
  if (!text.empty() && text[0] >= '0' && text[0] <= '9') {
    packet.id = read_number(text, 15);  // JavaScript's safe integers
    if (!packet.id) return std::nullopt;
  }
  if (!within_depth(text)) return std::nullopt;
  packet.data = text.empty() ? json(json::value_t::discarded) : json::parse(text, nullptr, false);
  if (!text.empty() && packet.data.is_discarded()) return std::nullopt;
  if (!valid_data(packet)) return std::nullopt;
  return packet;
}

EncodedSio encode_sio(SioType type, std::string_view nsp, std::optional<std::uint64_t> id,
                      const json& data) {
  EncodedSio out;
  const bool binary = (type == SioType::Event || type == SioType::Ack) && contains_binary(data);
  const json body = binary ? deconstruct(data, out.attachments) : json();
  if (binary) type = type == SioType::Event ? SioType::BinaryEvent : SioType::BinaryAck;
  out.text.push_back(static_cast<char>(type));
  if (binary) out.text.append(std::to_string(out.attachments.size())).push_back('-');
  if (nsp != "/") out.text.append(nsp).push_back(',');
  if (id) out.text.append(std::to_string(*id));
  const json& payload = binary ? body : data;
  if (!payload.is_null() && !payload.is_discarded()) out.text.append(payload.dump());
  return out;
}

bool reconstruct(json& data, std::vector<std::string>& attachments) {
  if (is_placeholder(data)) {
    const auto num = data["num"].get<std::uint64_t>();
    if (num >= attachments.size()) return false;
    const std::string& bytes = attachments[num];
    data = json::binary(std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
    return true;
  }
  if (!data.is_structured()) return true;
  for (auto& item : data) {
    if (!reconstruct(item, attachments)) return false;
  }
  return true;
}

SioDecoder::Status SioDecoder::text(std::string_view text) {
  if (gathering_) return Status::Error;
  auto packet = decode_sio(text, max_attachments_);
  if (!packet) return Status::Error;
  packet_ = std::move(*packet);
  attachments_.clear();
  gathering_ = packet_.attachments > 0;
  return gathering_ ? Status::Waiting : complete();
}

SioDecoder::Status SioDecoder::binary(std::string_view bytes) {
  if (!gathering_) return Status::Error;
  attachments_.emplace_back(bytes);
  if (attachments_.size() < packet_.attachments) return Status::Waiting;
  gathering_ = false;
  return complete();
}

SioDecoder::Status SioDecoder::complete() {
  if (!reconstruct(packet_.data, attachments_)) return Status::Error;
  if (packet_.type == SioType::BinaryEvent) packet_.type = SioType::Event;
  if (packet_.type == SioType::BinaryAck) packet_.type = SioType::Ack;
  attachments_.clear();
  return Status::Packet;
}

}  // namespace wisp::socketio
