// What a hub reaches beyond this node through: the app's broker, the table of commands and
// questions this node answers, and the way an asynchronous answer gets back to its caller.
// The hub uses these and the public API only, never the engine's internals.
#pragma once

#include <chrono>
#include <functional>
#include <string_view>

#include "broker/broker.hpp"
#include "broker/commands.hpp"
#include "broker/return_path.hpp"
#include "wisp/websocket.hpp"

namespace wisp::events {

struct HubCluster {
  broker::Broker& broker;
  broker::CommandTable& commands;
  const broker::ReturnPath& return_path;
  std::chrono::milliseconds gather_timeout;
  // As App::with_client, but always posted to the client's loop, even from that loop: ordered
  // with the publishes posted there before (rooms with history).
  std::function<bool(std::string_view id, std::function<void(WebSocket&)> action)> post_to_client;
};

}  // namespace wisp::events
