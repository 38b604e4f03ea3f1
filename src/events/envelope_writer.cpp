#include "events/envelope_writer.hpp"

#include <memory>
#include <vector>

#include "protocol/utf8.hpp"

namespace wisp::events {
namespace {

// nlohmann's dump() returns a new string each time; its serializer can write into ours through
// an adapter that is pointed at the buffer of the moment. One serializer per thread.
class StringSink final : public nlohmann::detail::output_adapter_protocol<char> {
 public:
  void write_character(char c) override { out->push_back(c); }
  void write_characters(const char* s, std::size_t length) override { out->append(s, length); }
  std::string* out = nullptr;
};

struct ThreadSerializer {
  std::shared_ptr<StringSink> sink = std::make_shared<StringSink>();
  nlohmann::detail::serializer<json> serializer{sink, ' ', json::error_handler_t::replace};
};

// Free buffers of this thread; a buffer that grew past this is not kept.
constexpr std::size_t max_kept_capacity = 64 * 1024;
thread_local std::vector<std::string> free_buffers;

void append_id(std::string& out, std::string_view raw_id) {
  if (!raw_id.empty()) out.append(",\"id\":").append(raw_id);
}

}  // namespace

MessageBuffer::MessageBuffer() {
  if (!free_buffers.empty()) {
    text_ = std::move(free_buffers.back());
    free_buffers.pop_back();
  }
}

MessageBuffer::~MessageBuffer() {
  if (text_.capacity() > max_kept_capacity) return;
  text_.clear();
  free_buffers.push_back(std::move(text_));
}

void append_json(std::string& out, const json& value) {
  thread_local ThreadSerializer local;
  local.sink->out = &out;
  local.serializer.dump(value, false, false, 0);
}

void append_string(std::string& out, std::string_view text) {
  if (!protocol::is_valid_utf8(text)) return append_json(out, json(std::string(text)));
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out.append("\\u00").push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

void append_envelope(std::string& out, std::string_view type, const json& data,
                     std::string_view raw_id) {
  out.append("{\"type\":");
  append_string(out, type);
  out.append(",\"data\":");
  append_json(out, data);
  append_id(out, raw_id);
  out.push_back('}');
}

void append_error(std::string& out, std::string_view code, std::string_view message,
                  std::string_view raw_id) {
  out.append("{\"type\":\"error\",\"data\":{\"code\":");
  append_string(out, code);
  out.append(",\"message\":");
  append_string(out, message);
  out.push_back('}');
  append_id(out, raw_id);
  out.push_back('}');
}

std::string envelope(std::string_view type, const json& data, std::string_view raw_id) {
  std::string out;
  append_envelope(out, type, data, raw_id);
  return out;
}

std::string error_envelope(std::string_view code, std::string_view message,
                           std::string_view raw_id) {
  std::string out;
  append_error(out, code, message, raw_id);
  return out;
}

}  // namespace wisp::events
