#include "protocol/base64.hpp"

#include <array>
#include <cstdint>

namespace wisp::protocol {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Each character's 6-bit value, or -1 for characters outside the alphabet (including '=').
constexpr std::array<std::int8_t, 256> kValue = [] {
  std::array<std::int8_t, 256> table{};
  table.fill(-1);
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}();

}  // namespace

void base64_encode(const void* data, std::size_t size, char* out) {
  const auto* in = static_cast<const unsigned char*>(data);
  for (; size >= 3; size -= 3, in += 3, out += 4) {
    const std::uint32_t bits = in[0] << 16 | in[1] << 8 | in[2];
    out[0] = kAlphabet[bits >> 18];
    out[1] = kAlphabet[bits >> 12 & 63];
    out[2] = kAlphabet[bits >> 6 & 63];
    out[3] = kAlphabet[bits & 63];
  }
  if (size == 0) return;
  const std::uint32_t bits = in[0] << 16 | (size == 2 ? in[1] << 8 : 0);
  out[0] = kAlphabet[bits >> 18];
  out[1] = kAlphabet[bits >> 12 & 63];
  out[2] = size == 2 ? kAlphabet[bits >> 6 & 63] : '=';
  out[3] = '=';
}

std::optional<std::size_t> base64_decoded_size(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  const std::size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  const std::string_view data = text.substr(0, text.size() - padding);
  for (char c : data) {
    if (kValue[static_cast<unsigned char>(c)] < 0) return std::nullopt;
  }
  // Before padding, the last character carries 4 (one byte) or 2 (two bytes) unused bits.
  const int unused_mask = padding == 2 ? 0x0f : padding == 1 ? 0x03 : 0;
  if (padding != 0 && (kValue[static_cast<unsigned char>(data.back())] & unused_mask) != 0) {
    return std::nullopt;
  }
  return text.size() / 4 * 3 - padding;
}

void base64_decode(std::string_view text, void* out) {
  auto* to = static_cast<unsigned char*>(out);
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    if (c == '=') break;
    bits = bits << 6 | static_cast<std::uint32_t>(kValue[static_cast<unsigned char>(c)]);
    count += 6;
    if (count >= 8) {
      count -= 8;
      *to++ = static_cast<unsigned char>(bits >> count);
    }
  }
}

}  // namespace wisp::protocol
