// What a hub reaches beyond this node through: the app's broker, the table of commands and
// questions this node answers, and the way an asynchronous answer gets back to its caller.
// The hub uses these and the public API only, never the engine's internals.
#pragma once

#include <chrono>

#include "broker/broker.hpp"
#include "broker/commands.hpp"
#include "broker/return_path.hpp"

namespace wisp::events {

struct HubCluster {
  broker::Broker& broker;
  broker::CommandTable& commands;
  const broker::ReturnPath& return_path;
  std::chrono::milliseconds gather_timeout;
};

}  // namespace wisp::events
