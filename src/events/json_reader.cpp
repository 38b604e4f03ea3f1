#include "events/json_reader.hpp"

#include "events/json_chars.hpp"

#include <locale.h>
#include <cctype>
#include <charconv>
#include <clocale>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace wisp::events {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

unsigned hex_value(char c) {
  return c <= '9' ? unsigned(c - '0') : unsigned((c | 0x20) - 'a' + 10);
}

void append_utf8(std::string& out, unsigned code) {
  if (code < 0x80) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code >> 6)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

class Reader {
 public:
  explicit Reader(std::string_view text) : p_(text.data()), end_(p_ + text.size()) {
    if (text.starts_with("\xEF\xBB\xBF")) p_ += 3;  // a byte order mark, as nlohmann skips it
  }

  json read() {
    json root;
    std::vector<json*> open;  // containers being filled, innermost last
    for (;;) {
      skip_space();
      json* placed = place(open, root, scalar_or_container());
      if (placed->is_structured() && !close_if_empty()) {
        open.push_back(placed);
        if (placed->is_object()) read_key();
        continue;
      }
      for (;;) {  // the value is complete: close what it completes, or go on to the next
        if (open.empty()) return root;
        skip_space();
        if (*p_++ == ',') {
          if (open.back()->is_object()) read_key();
          break;
        }
        open.pop_back();
      }
    }
  }

 private:
  void skip_space() {
    while (p_ != end_ && is_space(*p_)) ++p_;
  }

  // After '{' or '[': true (and past the closer) if the container is empty.
  bool close_if_empty() {
    skip_space();
    if (*p_ != '}' && *p_ != ']') return false;
    ++p_;
    return true;
  }

  json* place(std::vector<json*>& open, json& root, json value) {
    if (open.empty()) {
      root = std::move(value);
      return &root;
    }
    json& parent = *open.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    json& slot = parent[key_];  // a repeated key: the last one counts, as in nlohmann
    slot = std::move(value);
    return &slot;
  }

  void read_key() {
    skip_space();
    key_.clear();
    read_string(key_);
    skip_space();
    ++p_;  // ':'
  }

  json scalar_or_container() {
    switch (*p_) {
      case '{':
        ++p_;
        return json::object();
      case '[':
        ++p_;
        return json::array();
      case '"': {
        std::string text;
        read_string(text);
        return text;
      }
      case 't':
        p_ += 4;
        return true;
      case 'f':
        p_ += 5;
        return false;
      case 'n':
        p_ += 4;
        return nullptr;
      default:
        return read_number();
    }
  }

  // At '"'. Runs without escapes are copied whole.
  void read_string(std::string& out) {
    ++p_;
    for (;;) {
      const std::size_t run = plain_run(p_, std::size_t(end_ - p_), false);
      out.append(p_, run);
      p_ += run;
      if (*p_++ == '"') return;
      --p_;
      read_escape(out);  // the other stop in a valid string: a backslash
    }
  }

  void read_escape(std::string& out) {
    ++p_;  // the backslash
    const char c = *p_++;
    switch (c) {
      case 'b':
        return out.push_back('\b');
      case 'f':
        return out.push_back('\f');
      case 'n':
        return out.push_back('\n');
      case 'r':
        return out.push_back('\r');
      case 't':
        return out.push_back('\t');
      case 'u':
        break;
      default:  // '"', '\\', '/'
        return out.push_back(c);
    }
    unsigned code = hex4();
    if (code >= 0xD800 && code <= 0xDBFF) {  // a surrogate pair (the scanner checked it)
      p_ += 2;
      code = 0x10000 + ((code - 0xD800) << 10) + (hex4() - 0xDC00);
    }
    append_utf8(out, code);
  }

  unsigned hex4() {
    unsigned code = 0;
    for (int i = 0; i < 4; ++i) code = code * 16 + hex_value(*p_++);
    return code;
  }

  // nlohmann's types: a negative integer is signed, another one unsigned, and an integer out of
  // their range, or a number with a fraction or exponent, a double.
  json read_number() {
    const char* start = p_;
    bool integer = true;
    while (p_ != end_ && (std::isdigit(static_cast<unsigned char>(*p_)) || *p_ == '-' ||
                          *p_ == '+' || *p_ == '.' || *p_ == 'e' || *p_ == 'E')) {
      if (*p_ == '.' || *p_ == 'e' || *p_ == 'E') integer = false;
      ++p_;
    }
    if (integer && *start == '-') {
      std::int64_t value = 0;
      if (std::from_chars(start, p_, value).ec == std::errc{}) return value;
    } else if (integer) {
      std::uint64_t value = 0;
      if (std::from_chars(start, p_, value).ec == std::errc{}) return value;
    }
    return read_double(start);
  }

  // strtod in the C locale, as nlohmann reads them (from_chars refuses what underflows).
  double read_double(const char* start) const {
    static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", locale_t{});
    const std::string copy(start, p_);
    return strtod_l(copy.c_str(), nullptr, c_locale);
  }

  const char* p_;
  const char* end_;
  std::string key_;  // the key of the member being read
};

}  // namespace

json read_valid_json(std::string_view text) { return Reader(text).read(); }

}  // namespace wisp::events
