// Incremental UTF-8 validation (RFC 3629), failing at the first byte that cannot be valid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace wisp::protocol {

class Utf8Validator {
 public:
  // Validates the next piece of a text stream. Returns false as soon as a byte makes the stream
  // invalid (overlong forms, surrogates, code points above U+10FFFF, stray continuation bytes),
  // even when the piece ends mid-sequence; stays false after that until reset().
  bool feed(const std::uint8_t* data, std::size_t size);
  bool feed(std::string_view text) {
    return feed(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  }
  // True when everything fed so far is valid and no multi-byte sequence is left open.
  bool complete() const { return state_ == 0; }
  bool failed() const;
  void reset() { state_ = 0; }

 private:
  std::uint8_t state_ = 0;
};

// Whole-buffer check.
bool is_valid_utf8(std::string_view text);

// True if every byte is ASCII (so valid UTF-8): an inline word-at-a-time pass that spares short
// text the validator's call and set-up.
inline bool is_ascii(std::string_view text) {
  std::uint64_t seen = 0;
  const char* p = text.data();
  std::size_t n = text.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    seen |= word;
  }
  for (; n > 0; ++p, --n) seen |= static_cast<std::uint8_t>(*p);
  return (seen & 0x8080808080808080u) == 0;
}

}  // namespace wisp::protocol
