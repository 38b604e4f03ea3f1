// Seed 002's live dashboard on an event hub: every second the server's metrics (connections,
// messages and bytes per second, CPU, memory...) go to the members of room `dashboard_room` as
// {"type": "metrics", "data": {...}}. Pages join it with the hub's built-in "join". In a cluster
// every node sends its own, named by "node" (its broker node id, as in /healthz), with
// "cluster_clients" (the hub's clients on every node).
#pragma once

#include <string_view>

#include "wisp/app.hpp"
#include "wisp/hub.hpp"

namespace wisp::tool {

inline constexpr std::string_view dashboard_room = "$metrics";

// Schedules the publishing task on `app` (before App::run).
void add_dashboard(App& app, Hub& hub);

}  // namespace wisp::tool
