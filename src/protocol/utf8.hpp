// Incremental UTF-8 validation (RFC 3629), failing at the first byte that cannot be valid.
#pragma once

#include <cstddef>
#include <cstdint>
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

}  // namespace wisp::protocol
