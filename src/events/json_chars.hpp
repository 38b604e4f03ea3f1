// The one question every JSON string walk asks of each byte (can it stand as it is?), answered
// eight bytes at a time: the scanner, the reader and the writer spend most of their time here.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace wisp::events {

// How many bytes from `text` (at most `size`) are neither '"', '\\' nor a control character,
// and with `ascii_only` also below 0x80: the run a string copies or skips without a look.
inline std::size_t plain_run(const char* text, std::size_t size, bool ascii_only) {
  constexpr std::uint64_t ones = 0x0101010101010101, high = 0x8080808080808080;
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t x;
    std::memcpy(&x, text + i, 8);
    // A byte of `v` that is zero sets its high bit in (v - ones) & ~v; bytes above the first
    // such one may be false alarms, which the lowest set bit never is.
    const std::uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\');
    std::uint64_t special =
        ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) | ((x - ones * 0x20) & ~x);
    if (ascii_only) special |= x;
    special &= high;
    if (special) return i + std::countr_zero(special) / 8;
  }
  for (; i < size; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == '"' || c == '\\' || (ascii_only && c >= 0x80)) return i;
  }
  return size;
}

}  // namespace wisp::events
