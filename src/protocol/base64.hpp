// Base64 with the standard alphabet and padding (RFC 4648 §4), for Sec-WebSocket-Key/-Accept.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace wisp::protocol {

constexpr std::size_t base64_encoded_size(std::size_t size) { return (size + 2) / 3 * 4; }

// Writes base64_encoded_size(size) characters to `out` (no terminating NUL).
void base64_encode(const void* data, std::size_t size, char* out);

// How many bytes `text` decodes to, or nullopt if it is not canonical padded base64: length a
// multiple of 4, alphabet characters only, '=' only as the last one or two, unused bits zero
// (RFC 4648 §3.5 lets decoders refuse non-zero ones; no encoder produces them).
std::optional<std::size_t> base64_decoded_size(std::string_view text);

// Writes the bytes of `text`, which base64_decoded_size() accepted, to `out` (that many bytes).
void base64_decode(std::string_view text, void* out);

}  // namespace wisp::protocol
