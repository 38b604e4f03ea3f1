// libFuzzer target for what another node may send this one: the engine's commands and questions
// (server/engine_commands.hpp) with any payload, and a ClientInfo answer to decode.
//
// Invariants: no input crashes or reads past its end; a bad payload is counted (the command
// table's malformed counter only grows); a ClientInfo that decodes encodes to bytes that decode
// to the same ClientInfo.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/app_state.hpp"
#include "server/engine_commands.hpp"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

bool same(const wisp::ClientInfo& a, const wisp::ClientInfo& b) {
  return a.id == b.id && a.route == b.route && a.remote_address == b.remote_address &&
         a.connected_at == b.connected_at && a.last_activity == b.last_activity &&
         a.messages_in == b.messages_in && a.messages_out == b.messages_out &&
         a.bytes_in == b.bytes_in && a.bytes_out == b.bytes_out && a.metadata == b.metadata;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace kind = wisp::server::kind;
  static wisp::server::AppState state(wisp::AppOptions{});  // no loop runs: nothing is sent
  static constexpr std::string_view commands[] = {kind::send, kind::close, kind::probe,
                                                  kind::broadcast, kind::broadcast_to};
  static constexpr std::string_view questions[] = {kind::clients, kind::subscribers, kind::ids,
                                                   kind::client};
  if (size == 0) return 0;
  const std::string_view payload(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::uint64_t before = state.node.commands().malformed();
  state.node.command(commands[data[0] % 5], payload);
  state.node.answer(questions[data[0] % 4], payload);
  check(state.node.commands().malformed() >= before);

  if (const auto info = wisp::server::decode_client(payload)) {
    const auto again = wisp::server::decode_client(wisp::server::encode_client(*info));
    check(again && same(*info, *again));
  }
  return 0;
}
