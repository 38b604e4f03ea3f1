// App::ws_route's engine side: the upgrade hook defers the decision and starts the coroutine;
// the socket's events go to its Session.
#include "coro/session_route.hpp"

#include <memory>
#include <string>
#include <vector>

#include "coro/root_task.hpp"
#include "coro/session_access.hpp"
#include "log/log.hpp"
#include "server/connection.hpp"

namespace wisp::detail {
namespace {

struct Route {
  SessionHandler handler;
  SessionOptions options;
  std::string pattern;
  std::vector<std::string> param_names;  // "{name}" segments, and "*" for a wildcard
};

std::vector<std::string> param_names(std::string_view pattern) {
  std::vector<std::string> names;
  for (std::size_t open = pattern.find('{'); open != std::string_view::npos;
       open = pattern.find('{', open + 1)) {
    const std::size_t close = pattern.find('}', open);
    if (close == std::string_view::npos) break;
    names.emplace_back(pattern.substr(open + 1, close - open - 1));
  }
  if (pattern.ends_with("*")) names.emplace_back("*");
  return names;
}

// The session's coroutine, from the upgrade to its end: what it left undecided is decided here.
RootTask run_session(std::shared_ptr<Session> session, std::shared_ptr<const Route> route) {
  bool failed = false;
  try {
    co_await route->handler(*session);
  } catch (const Disconnected&) {
    // the client left: nothing to report
  } catch (const std::exception& error) {
    logs::exception("session on " + route->pattern, error.what());
    failed = true;
  } catch (...) {
    logs::exception("session on " + route->pattern, "not a std::exception");
    failed = true;
  }
  SessionAccess::finish(*session, failed);
}

// The route made the socket's user data a SessionSlot: no type check (ws.data<T>()'s, two calls
// on every message).
Session* session_of(WebSocket& ws) {
  return static_cast<SessionSlot*>(server::Connection::of(ws).user_data())->session.get();
}

}  // namespace

WebSocketBehavior session_behavior(App& app, std::string_view pattern, SessionHandler handler,
                                   const SessionOptions& options) {
  auto route = std::make_shared<Route>(
      Route{std::move(handler), options, std::string(pattern), param_names(pattern)});
  return {
      .settings = options.settings,
      .upgrade =
          [&app, route](Upgrade& up) {
            SessionSlot& slot = up.data<SessionSlot>();
            slot.session = SessionAccess::make(app, route->options, up, route->param_names);
            run_session(slot.session, route).start();
          },
      .open = [](WebSocket& ws) { SessionAccess::opened(*session_of(ws), ws); },
      .message = [](WebSocket& ws, std::string_view message,
                    OpCode op) { SessionAccess::received(*session_of(ws), message, op); },
      .close =
          [](WebSocket& ws, int code, std::string_view reason) {
            SessionAccess::closed(*session_of(ws), code, reason);
          },
      .drain = [](WebSocket& ws) { SessionAccess::drained(*session_of(ws)); },
  };
}

}  // namespace wisp::detail
