#include "frames.hpp"

#include <cstdint>
#include <cstring>

#include "protocol/frame.hpp"
#include "protocol/mask.hpp"

namespace wisp::tool::bench {

void append_masked_frame(std::string& out, OpCode op, std::string_view payload) {
  constexpr std::uint32_t key = 0x3d21fa37;
  std::uint8_t header[protocol::max_frame_header_size];
  const std::size_t header_size = protocol::write_frame_header(
      header, {.opcode = op, .payload_size = payload.size(), .masked = true, .mask_key = key});
  const std::size_t at = out.size();
  out.append(reinterpret_cast<const char*>(header), header_size).append(payload);
  protocol::apply_mask(reinterpret_cast<std::uint8_t*>(out.data() + at + header_size),
                       payload.size(), key, 0);
}

std::string test_payload(std::size_t size, std::size_t variant) {
  std::string payload(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    payload[i] = static_cast<char>('a' + (i + variant * 7) % 26);
  return payload;
}

}  // namespace wisp::tool::bench
