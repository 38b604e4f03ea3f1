// The WebSocketBehavior behind App::ws_route: each upgrade starts a session coroutine.
#pragma once

#include <string_view>

#include "wisp/app.hpp"
#include "wisp/session.hpp"

namespace wisp::detail {

WebSocketBehavior session_behavior(App& app, std::string_view pattern, SessionHandler handler,
                                   const SessionOptions& options);

}  // namespace wisp::detail
