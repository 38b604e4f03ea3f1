// WebSocket frame layout (RFC 6455 §5.2): header encoding and the close frame's payload (§5.5.1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "wisp/opcode.hpp"

namespace wisp::protocol {

inline constexpr std::size_t max_frame_header_size = 14;  // 2 + 8 (length) + 4 (mask)
inline constexpr std::size_t max_control_payload = 125;

inline bool is_control(OpCode op) { return (static_cast<unsigned>(op) & 0x8) != 0; }
inline bool is_known_opcode(unsigned op) { return op <= 2 || (op >= 8 && op <= 10); }

struct FrameHeader {
  OpCode opcode = OpCode::Text;
  bool fin = true;
  bool rsv1 = false;  // "compressed" under permessage-deflate
  std::uint64_t payload_size = 0;
  bool masked = false;
  std::uint32_t mask_key = 0;  // the 4 key bytes as they appear on the wire (loaded with memcpy)
};

// Size of the header write_frame_header() produces for these fields.
inline std::size_t frame_header_size(std::uint64_t payload_size, bool masked) {
  std::size_t size = payload_size < 126 ? 2 : payload_size <= 0xFFFF ? 4 : 10;
  return masked ? size + 4 : size;
}

// Writes the header to `out` (room for max_frame_header_size bytes) and returns its size.
std::size_t write_frame_header(std::uint8_t* out, const FrameHeader& header);

// Writes a whole frame to `out` (room for frame_header_size() + payload bytes) and returns its
// size; when header.masked (a client's frame), the payload is masked with header.mask_key.
std::size_t write_frame(std::uint8_t* out, const FrameHeader& header, std::string_view payload);

// Close codes that may appear in a close frame (§7.4): 1000-1003, 1007-1014, 3000-4999.
bool is_valid_close_code(int code);

// Appends a close frame's payload: the code in network order and the reason. Code 1005 ("no
// status") writes an empty payload.
std::size_t write_close_payload(std::uint8_t* out, int code, std::string_view reason);

// The rules on what an endpoint may send, for both roles; each returns why not (the text of the
// std::invalid_argument its caller throws) or an empty string.
// A message: Text, Binary, Ping or Pong (Close and Continuation are no messages), with a control
// payload of at most 125 bytes.
// is_sendable is the inline check of the send path; unsendable_reason says why for the throw.
inline bool is_sendable(OpCode op, std::size_t size) {
  return op != OpCode::Continuation && op != OpCode::Close &&
         (!is_control(op) || size <= max_control_payload);
}
std::string unsendable_reason(OpCode op, std::size_t size);
// A close frame: a code that may be sent (§7.4) and a reason of at most 123 bytes of UTF-8.
std::string unclosable_reason(int code, std::string_view reason);

}  // namespace wisp::protocol
