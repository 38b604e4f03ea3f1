// WebSocket opcodes and close codes (RFC 6455 §5.2, §7.4).
#pragma once

#include <cstdint>

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp {

enum class OpCode : std::uint8_t {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xA,
};

// Close codes a server sends or sees (RFC 6455 §7.4.1).
namespace close_code {
inline constexpr int normal = 1000;
inline constexpr int going_away = 1001;
inline constexpr int protocol_error = 1002;
inline constexpr int unsupported_data = 1003;
inline constexpr int no_status = 1005;  // never sent: reported when a close frame had no code
inline constexpr int abnormal = 1006;  // never sent: reported when TCP closed without a close frame
inline constexpr int invalid_payload = 1007;
inline constexpr int policy_violation = 1008;
inline constexpr int message_too_big = 1009;
inline constexpr int internal_error = 1011;
inline constexpr int service_restart = 1012;
inline constexpr int try_again_later = 1013;
}  // namespace close_code

}  // namespace wisp

#pragma GCC visibility pop
