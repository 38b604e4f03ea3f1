// Masking (RFC 6455 §5.3): payload[i] ^= key[(offset + i) % 4].
#pragma once

#include <cstddef>
#include <cstdint>

namespace wisp::protocol {

// XORs `size` bytes at `data` in place with the 4-byte masking key `key` (the key's bytes in wire
// order, as loaded from memory), starting at key byte `offset` (0-3). Returns the key offset for
// the byte that follows, so a payload split across reads is unmasked piece by piece.
std::size_t apply_mask(std::uint8_t* data, std::size_t size, std::uint32_t key, std::size_t offset);

}  // namespace wisp::protocol
