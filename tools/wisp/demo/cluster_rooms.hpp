// The demo's rooms as the whole cluster sees them: every room with members on some node and its
// member count over every node, from the hub's cluster-wide calls (no loop thread ever waits).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "wisp/hub.hpp"

namespace wisp::tool {

struct RoomCount {
  std::string name;
  std::size_t members = 0;  // on every node
};

// Answers `done` once with every room whose name does not start with '$' (the server's own, like
// the dashboard's), sorted by name. Called on a loop thread, `done` runs on that thread
// (docs/scaling-out.md, "Node-local and cluster-wide calls"); nodes that do not answer in time are
// left out.
void count_rooms(Hub& hub, std::function<void(std::vector<RoomCount>)> done);

}  // namespace wisp::tool
