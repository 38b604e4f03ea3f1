// Masking (RFC 6455 §5.3): payload[i] ^= key[(offset + i) % 4].
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace wisp::protocol {

// XORs `size` bytes at `data` in place with the 4-byte masking key `key` (the key's bytes in wire
// order, as loaded from memory), starting at key byte `offset` (0-3). Returns the key offset for
// the byte that follows, so a payload split across reads is unmasked piece by piece.
std::size_t apply_mask(std::uint8_t* data, std::size_t size, std::uint32_t key, std::size_t offset);

// Masks whole 8-byte words, then the last 0-7 bytes, from key byte 0. Inline for the short
// payloads of small frames, where apply_mask's call and dispatch would cost more than the XOR.
inline void mask_words(std::uint8_t* data, std::size_t size, std::uint32_t key) {
  const std::uint64_t key64 = (std::uint64_t{key} << 32) | key;
  for (; size >= 8; data += 8, size -= 8) {
    std::uint64_t word;
    std::memcpy(&word, data, 8);
    word ^= key64;
    std::memcpy(data, &word, 8);
  }
  std::uint8_t bytes[4];
  std::memcpy(bytes, &key, 4);
  for (std::size_t i = 0; i < size; ++i) data[i] ^= bytes[i & 3];
}

}  // namespace wisp::protocol
