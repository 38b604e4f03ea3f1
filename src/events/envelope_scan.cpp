#include "events/envelope_scan.hpp"

#include "events/json_chars.hpp"

#include <locale.h>
#include <clocale>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace wisp::events {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Whether each open container is an object; 256 levels inline, deeper ones on the heap.
class NestingStack {
 public:
  bool empty() const { return depth_ == 0; }
  void push(bool object) {
    if (depth_ >= inline_levels && (depth_ - inline_levels) / 64 >= heap_.size())
      heap_.push_back(0);
    std::uint64_t& word = word_at(depth_);
    const std::uint64_t bit = std::uint64_t{1} << (depth_ % 64);
    word = object ? (word | bit) : (word & ~bit);
    ++depth_;
  }
  void pop() { --depth_; }
  bool top_is_object() { return (word_at(depth_ - 1) >> ((depth_ - 1) % 64)) & 1; }

 private:
  static constexpr std::size_t inline_levels = 256;
  std::uint64_t& word_at(std::size_t level) {
    return level < inline_levels ? inline_[level / 64] : heap_[(level - inline_levels) / 64];
  }
  std::uint64_t inline_[inline_levels / 64] = {};
  std::vector<std::uint64_t> heap_;
  std::size_t depth_ = 0;
};

// nlohmann rejects numbers whose double value is not finite (1e999, or an integer of 400
// digits); strtod in the C locale decides as its parser does.
bool is_finite_number(std::string_view number) {
  static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", locale_t{});
  const std::string copy(number);  // strtod wants a terminator; long or float numbers only
  return std::isfinite(strtod_l(copy.c_str(), nullptr, c_locale));
}

class Cursor {
 public:
  explicit Cursor(std::string_view text) : p_(text.data()), end_(p_ + text.size()) {}

  const char* pos() const { return p_; }
  bool more() const { return p_ != end_; }
  char peek() const { return p_ != end_ ? *p_ : '\0'; }
  bool consume(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  void skip_space() {
    while (p_ != end_ && is_space(*p_)) ++p_;
  }
  void skip_byte_order_mark() {
    if (end_ - p_ >= 3 && std::string_view(p_, 3) == "\xEF\xBB\xBF") p_ += 3;
  }
  bool only_space_left() {
    skip_space();
    return p_ == end_;
  }

  // At '"': moves past the closing quote; `escaped` tells whether a backslash came up.
  bool string(bool& escaped) {
    ++p_;
    for (;;) {
      p_ += plain_run(p_, std::size_t(end_ - p_), false);
      if (p_ == end_) return false;
      const auto c = static_cast<unsigned char>(*p_++);
      if (c == '"') return true;
      if (c < 0x20) return false;
      escaped = true;  // c is a backslash
      if (!escape()) return false;
    }
  }

  // Any JSON value, with nested containers walked iteratively (no recursion to overflow).
  bool value() {
    NestingStack open;
    for (;;) {
      skip_space();
      const char c = peek();
      if (c == '{' || c == '[') {
        ++p_;
        skip_space();
        if (!consume(c == '{' ? '}' : ']')) {
          open.push(c == '{');
          if (c == '{' && !member_key()) return false;
          continue;
        }
      } else if (!scalar()) {
        return false;
      }
      // A value ended: close what it ends, or go on to the next element.
      for (;;) {
        if (open.empty()) return true;
        skip_space();
        if (consume(',')) {
          if (open.top_is_object() && !member_key()) return false;
          break;
        }
        if (!consume(open.top_is_object() ? '}' : ']')) return false;
        open.pop();
      }
    }
  }

 private:
  bool member_key() {
    skip_space();
    bool escaped = false;
    if (peek() != '"' || !string(escaped)) return false;
    skip_space();
    return consume(':');
  }

  bool scalar() {
    bool escaped = false;
    switch (peek()) {
      case '"':
        return string(escaped);
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number();
    }
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word)
      return false;
    p_ += word.size();
    return true;
  }

  bool digits() {
    if (!is_digit(peek())) return false;
    while (is_digit(peek())) ++p_;
    return true;
  }

  bool number() {
    const char* start = p_;
    consume('-');
    if (!consume('0') && !digits()) return false;
    bool integer = true;
    if (consume('.')) {
      if (!digits()) return false;
      integer = false;
    }
    if (consume('e') || consume('E')) {
      if (!consume('+')) consume('-');
      if (!digits()) return false;
      integer = false;
    }
    // An integer this short is finite whatever type nlohmann gives it.
    return (integer && p_ - start < 300) || is_finite_number({start, std::size_t(p_ - start)});
  }

  bool hex4(unsigned& code) {
    if (end_ - p_ < 4) return false;
    code = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = *p_++;
      const unsigned digit = is_digit(c)              ? unsigned(c - '0')
                             : (c >= 'a' && c <= 'f') ? unsigned(c - 'a' + 10)
                             : (c >= 'A' && c <= 'F') ? unsigned(c - 'A' + 10)
                                                      : 16u;
      if (digit == 16) return false;
      code = code * 16 + digit;
    }
    return true;
  }

  // After a backslash. A \u escape of a high surrogate must be followed by one of a low one.
  bool escape() {
    if (p_ == end_) return false;
    switch (*p_++) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
        return true;
      case 'u':
        break;
      default:
        return false;
    }
    unsigned code = 0;
    if (!hex4(code) || (code >= 0xDC00 && code <= 0xDFFF)) return false;
    if (code < 0xD800 || code > 0xDBFF) return true;
    unsigned low = 0;
    return consume('\\') && consume('u') && hex4(low) && low >= 0xDC00 && low <= 0xDFFF;
  }

  const char* p_;
  const char* end_;
};

// The key's text as nlohmann would decode it, for the three keys the hub reads: a key with
// escapes is compared after decoding its simple ones ("typ\u0065" is "type").
bool key_is(std::string_view raw, bool escaped, std::string_view name) {
  if (!escaped) return raw == name;
  std::string decoded;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\') {
      decoded += raw[i];
    } else if (raw[i + 1] == 'u' && raw.compare(i + 2, 2, "00") == 0) {
      decoded +=
          static_cast<char>(std::strtol(std::string(raw.substr(i + 4, 2)).c_str(), nullptr, 16));
      i += 5;
    } else {
      return false;  // another escape: not one of the names (all plain ASCII letters)
    }
  }
  return decoded == name;
}

}  // namespace

EnvelopeScan scan_envelope(std::string_view text) {
  EnvelopeScan scan;
  Cursor in(text);
  in.skip_byte_order_mark();
  in.skip_space();
  if (in.peek() != '{') {
    if (in.value() && in.only_space_left()) scan.status = EnvelopeScan::Status::NotObject;
    return scan;
  }
  in.consume('{');
  in.skip_space();
  std::string_view type, id, data;
  if (!in.consume('}')) {
    for (;;) {
      in.skip_space();
      bool key_escaped = false;
      const char* key_start = in.pos() + 1;
      if (in.peek() != '"' || !in.string(key_escaped)) return scan;
      const std::string_view key(key_start, std::size_t(in.pos() - 1 - key_start));
      in.skip_space();
      if (!in.consume(':')) return scan;
      in.skip_space();
      const char* value_start = in.pos();
      if (!in.value()) return scan;
      const std::string_view value(value_start, std::size_t(in.pos() - value_start));
      if (key_is(key, key_escaped, "type")) type = value;
      if (key_is(key, key_escaped, "id")) id = value;
      if (key_is(key, key_escaped, "data")) data = value;
      in.skip_space();
      if (in.consume(',')) continue;
      if (in.consume('}')) break;
      return scan;
    }
  }
  if (!in.only_space_left()) return scan;
  scan.id = id;
  scan.data = data;
  if (type.empty() || type.front() != '"') {
    scan.status = EnvelopeScan::Status::MissingType;
    return scan;
  }
  scan.type = type.substr(1, type.size() - 2);
  scan.type_escaped = scan.type.find('\\') != std::string_view::npos;
  scan.status = EnvelopeScan::Status::Ok;
  return scan;
}

}  // namespace wisp::events
