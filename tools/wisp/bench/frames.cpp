#include "frames.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "protocol/deflate_stream.hpp"
#include "protocol/frame.hpp"

namespace wisp::tool::bench {

void append_masked_frame(std::string& out, OpCode op, std::string_view payload, bool compressed) {
  constexpr std::uint32_t key = 0x3d21fa37;
  const std::size_t at = out.size();
  out.resize(at + protocol::frame_header_size(payload.size(), true) + payload.size());
  protocol::write_frame(reinterpret_cast<std::uint8_t*>(out.data() + at),
                        {.opcode = op,
                         .rsv1 = compressed,
                         .payload_size = payload.size(),
                         .masked = true,
                         .mask_key = key},
                        payload);
}

std::string compressed_frame(OpCode op, std::string_view payload, int window_bits) {
  std::string deflated, frame;
  protocol::Deflater(window_bits, 8).deflate(payload, deflated, true);
  append_masked_frame(frame, op, deflated, true);
  return frame;
}

std::string test_payload(std::size_t size, std::size_t variant) {
  std::string payload(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    payload[i] = static_cast<char>('a' + (i + variant * 7) % 26);
  return payload;
}

std::string json_payload(std::size_t size, std::size_t variant) {
  static constexpr const char* symbols[] = {"ACME", "GLOBEX", "INITECH", "UMBRELLA", "HOOLI"};
  static constexpr const char* sides[] = {"buy", "sell"};
  std::uint64_t seed = 0x9e3779b97f4a7c15 * (variant + 1);
  auto next = [&seed](std::uint64_t below) {
    seed = seed * 6364136223846793005 + 1442695040888963407;
    return (seed >> 33) % below;
  };
  std::string json = "[", record;
  for (;;) {
    const std::uint64_t price = 1000 + next(90000);
    record = json.size() > 1 ? "," : "";
    record.append("{\"id\":").append(std::to_string(100000 + next(900000)));
    record.append(",\"symbol\":\"").append(symbols[next(5)]);
    record.append("\",\"side\":\"").append(sides[next(2)]);
    record.append("\",\"price\":").append(std::to_string(price / 100)).append(".");
    record.append(std::to_string(10 + price % 90));
    record.append(",\"qty\":").append(std::to_string(1 + next(5000)));
    record.append(",\"ts\":").append(std::to_string(1700000000000 + next(100000000)));
    record.append(",\"user\":\"user_").append(std::to_string(next(1000)));
    record.append("\",\"settled\":").append(next(2) ? "true" : "false").append("}");
    if (json.size() + record.size() + 1 > size) break;
    json.append(record);
  }
  json.append("]");
  json.resize(std::max(size, json.size()), ' ');
  return json;
}

}  // namespace wisp::tool::bench
