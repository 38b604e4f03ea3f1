// What `wisp serve` shows at / : an event hub at /ws with seed 000's chat rooms, seed 002's live
// dashboard, and `echo` (the type `wisp bench hub` requests); the page and wisp.js.
#pragma once

#include "wisp/app.hpp"
#include "wisp/hub.hpp"

namespace wisp::tool {

// Adds /ws, GET /api/rooms, GET / and the page's files; schedules the dashboard's task.
// `room_history`: the last messages every room keeps for recovery (0: none).
Hub& add_demo(App& app, const WebSocketSettings& settings, std::size_t room_history = 0);

}  // namespace wisp::tool
