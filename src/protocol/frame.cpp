#include "protocol/frame.hpp"

#include <cstring>

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

}  // namespace wisp::protocol
