#include "events/envelope_writer.hpp"

#include "events/json_chars.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <vector>

#include "protocol/utf8.hpp"

namespace wisp::events {
namespace {

// Free buffers of this thread; a buffer that grew past this is not kept.
constexpr std::size_t max_kept_capacity = 64 * 1024;
thread_local std::vector<std::string> free_buffers;

void append_id(std::string& out, std::string_view raw_id) {
  if (!raw_id.empty()) out.append(",\"id\":").append(raw_id);
}

void append_escape(std::string& out, unsigned char c) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('\\');
  switch (c) {
    case '"':
    case '\\':
      return out.push_back(static_cast<char>(c));
    case '\b':
      return out.push_back('b');
    case '\f':
      return out.push_back('f');
    case '\n':
      return out.push_back('n');
    case '\r':
      return out.push_back('r');
    case '\t':
      return out.push_back('t');
    default:
      out.append("u00").push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
  }
}

// Whole runs of plain characters go out in one append.
void append_valid_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (std::size_t at = 0;;) {
    const std::size_t run = plain_run(text.data() + at, text.size() - at, false);
    out.append(text.data() + at, run);
    at += run;
    if (at == text.size()) break;
    append_escape(out, static_cast<unsigned char>(text[at++]));
  }
  out.push_back('"');
}

template <class Number>
void append_number(std::string& out, Number value) {
  char digits[32];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

// Exactly as nlohmann's dump() writes a float (its own shortest-digits routine): it always
// looks like a float, and what JSON cannot hold is null.
void append_float(std::string& out, double value) {
  if (!std::isfinite(value)) return out.append("null"), void();
  char digits[64];
  out.append(digits, nlohmann::detail::to_chars(digits, digits + sizeof digits, value));
}

// A value that holds no other: a scalar, or an empty container.
void append_leaf(std::string& out, const json& value) {
  switch (value.type()) {
    case json::value_t::null:
    case json::value_t::discarded:
      return out.append("null"), void();
    case json::value_t::boolean:
      return out.append(value.get<bool>() ? "true" : "false"), void();
    case json::value_t::number_integer:
      return append_number(out, value.get<std::int64_t>());
    case json::value_t::number_unsigned:
      return append_number(out, value.get<std::uint64_t>());
    case json::value_t::number_float:
      return append_float(out, value.get<double>());
    case json::value_t::string:
      return append_string(out, value.get_ref<const std::string&>());
    case json::value_t::object:
      return out.append("{}"), void();
    case json::value_t::array:
      return out.append("[]"), void();
    case json::value_t::binary:
      return out.append(value.dump()), void();  // nlohmann's own form; JSON has no bytes
  }
}

// The open containers of the value being written, and where each one is. Reused: a value
// costs no allocation, and deep nesting no stack (a parsed message may nest a million deep).
struct Level {
  const json* container;
  json::const_iterator next;
};
thread_local std::vector<Level> open_levels;

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

// Compact, as nlohmann's dump() writes it, without a temporary string or recursion.
void append_json(std::string& out, const json& value) {
  std::vector<Level>& levels = open_levels;
  levels.clear();
  const json* item = &value;
  for (;;) {
    if (item->empty() || !item->is_structured()) {
      append_leaf(out, *item);
    } else {
      out.push_back(item->is_object() ? '{' : '[');
      levels.push_back({item, item->cbegin()});
    }
    for (;;) {  // on to the next item, closing the containers that end first
      if (levels.empty()) return;
      Level& top = levels.back();
      if (top.next == top.container->cend()) {
        out.push_back(top.container->is_object() ? '}' : ']');
        levels.pop_back();
        continue;
      }
      if (top.next != top.container->cbegin()) out.push_back(',');
      if (top.container->is_object()) {
        append_string(out, top.next.key());
        out.push_back(':');
      }
      item = &*top.next;
      ++top.next;
      break;
    }
  }
}

// Text that is not UTF-8 (from user code) has its bad bytes replaced by U+FFFD, as nlohmann's
// replace handler does: a text frame must be UTF-8.
void append_string(std::string& out, std::string_view text) {
  if (plain_run(text.data(), text.size(), true) == text.size()) {  // the common case
    out.push_back('"');
    out.append(text);
    return out.push_back('"');
  }
  if (protocol::is_valid_utf8(text)) return append_valid_string(out, text);
  out.append(json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace));
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
