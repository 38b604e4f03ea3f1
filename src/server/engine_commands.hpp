// The engine's commands and questions, run on the node that holds a client or on every node
// (broker.hpp's `kind`s), and their payloads (broker/payload.hpp fields, in this order):
//   wisp.send         text id, number opcode (1 text, 2 binary), text message
//   wisp.close        text id, number code, text reason
//   wisp.probe        text id                   (does nothing: to_client's `delivered` answers)
//   wisp.broadcast    number opcode, text message
//   wisp.broadcast_to number opcode, text message, texts ids   (each node sends to its own)
// Questions, each node answering for itself:
//   wisp.clients      (empty)       -> number: clients registered here
//   wisp.subscribers  text topic    -> number: subscribers of the topic here
//   wisp.ids          (empty)       -> texts: the ids registered here
//   wisp.client       text id       -> empty if not here, else a ClientInfo: texts id, route,
//                     remote_address, numbers connected_at and last_activity (ns since the
//                     epoch), messages_in, messages_out, bytes_in, bytes_out, number of metadata
//                     entries, then text key, text value for each
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "wisp/client_info.hpp"

namespace wisp::server {

class AppState;

namespace kind {
inline constexpr std::string_view send = "wisp.send";
inline constexpr std::string_view close = "wisp.close";
inline constexpr std::string_view probe = "wisp.probe";
inline constexpr std::string_view broadcast = "wisp.broadcast";
inline constexpr std::string_view broadcast_to = "wisp.broadcast_to";
inline constexpr std::string_view clients = "wisp.clients";
inline constexpr std::string_view subscribers = "wisp.subscribers";
inline constexpr std::string_view ids = "wisp.ids";
inline constexpr std::string_view client = "wisp.client";
}  // namespace kind

// Fills state.node's table; called once, when the app is made.
void add_engine_commands(AppState& state);

std::string encode_client(const ClientInfo& info);
// nullopt for an answer that does not decode (or an empty one: not on that node).
std::optional<ClientInfo> decode_client(std::string_view answer);

}  // namespace wisp::server
