#include "protocol/frame.hpp"

#include <cstring>

#include "protocol/mask.hpp"
#include "protocol/utf8.hpp"

namespace wisp::protocol {

std::size_t write_frame_header(std::uint8_t* out, const FrameHeader& header) {
  out[0] = static_cast<std::uint8_t>((header.fin ? 0x80 : 0) | (header.rsv1 ? 0x40 : 0) |
                                     static_cast<std::uint8_t>(header.opcode));
  const std::uint8_t mask_bit = header.masked ? 0x80 : 0;
  const std::uint64_t size = header.payload_size;
  std::size_t at = 2;
  if (size < 126) {
    out[1] = static_cast<std::uint8_t>(mask_bit | size);
  } else if (size <= 0xFFFF) {
    out[1] = mask_bit | 126;
    out[2] = static_cast<std::uint8_t>(size >> 8);
    out[3] = static_cast<std::uint8_t>(size);
    at = 4;
  } else {
    out[1] = mask_bit | 127;
    for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<std::uint8_t>(size >> (56 - 8 * i));
    at = 10;
  }
  if (header.masked) {
    std::memcpy(out + at, &header.mask_key, 4);
    at += 4;
  }
  return at;
}

bool is_valid_close_code(int code) {
  // 1004 is reserved, 1005/1006/1015 only report what happened locally, and 1016-2999 are not
  // assigned; 1012-1014 are registered with IANA (restart, try again later, bad gateway).
  if (code >= 1000 && code <= 1014) return code != 1004 && code != 1005 && code != 1006;
  return code >= 3000 && code <= 4999;
}

std::size_t write_close_payload(std::uint8_t* out, int code, std::string_view reason) {
  if (code == close_code::no_status) return 0;
  out[0] = static_cast<std::uint8_t>(code >> 8);
  out[1] = static_cast<std::uint8_t>(code);
  if (!reason.empty()) std::memcpy(out + 2, reason.data(), reason.size());  // data() may be null
  return 2 + reason.size();
}

std::size_t write_frame(std::uint8_t* out, const FrameHeader& header, std::string_view payload) {
  const std::size_t header_size = write_frame_header(out, header);
  // An empty payload's data() may be null, which memcpy must not get even for 0 bytes.
  if (payload.empty()) return header_size;
  std::memcpy(out + header_size, payload.data(), payload.size());
  if (header.masked) apply_mask(out + header_size, payload.size(), header.mask_key, 0);
  return header_size + payload.size();
}

std::string unsendable_reason(OpCode op, std::size_t size) {
  if (op == OpCode::Continuation || op == OpCode::Close) {
    return "wisp: use close() for Close; Continuation is not a message";
  }
  if (is_control(op) && size > max_control_payload) return "wisp: ping/pong payload over 125 bytes";
  return {};
}

std::string unclosable_reason(int code, std::string_view reason) {
  if (!is_valid_close_code(code)) {
    return "wisp: close code " + std::to_string(code) + " may not be sent";
  }
  if (reason.size() > max_control_payload - 2) return "wisp: close reason over 123 bytes";
  if (!is_valid_utf8(reason)) return "wisp: close reason is not valid UTF-8";
  return {};
}

}  // namespace wisp::protocol
