// What the coroutine route (session_route.cpp) does to a Session: the engine's events, in.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/event_loop.hpp"
#include "wisp/session.hpp"

namespace wisp {
namespace detail {
[[noreturn]] void throw_off_loop_thread();  // std::logic_error
}  // namespace detail

// Session's checks, asked by every await: inline, the throws out of line.
inline void Session::check_thread() const {
  if (net::EventLoop::current() != loop_) [[unlikely]]
    detail::throw_off_loop_thread();
}

// The socket is set exactly while the session is open.
inline WebSocket& Session::open_socket(const char* call) const {
  check_thread();
  if (!socket_) [[unlikely]]
    throw_not_open(call);
  return *socket_;
}

inline void Session::keep_read_buffer() {
  kept_read_ = static_cast<net::EventLoop*>(loop_)->read_buffers().keep();
}

inline void Session::let_go_of_read() {
  in_read_ = false;
  if (kept_read_) [[unlikely]]
    release_read_buffer();
}

namespace detail {

struct SessionAccess {
  // On the upgrade hook: the request's snapshot (`param_names`: the route's parameters).
  static std::shared_ptr<Session> make(App& app, const SessionOptions& options, Upgrade& up,
                                       const std::vector<std::string>& param_names);
  static void opened(Session& s, WebSocket& ws);
  static void received(Session& s, std::string_view message, OpCode op);
  static void drained(Session& s) {
    s.sent_uncounted_ = 0;
    s.drain_waiters_.wake_all();
  }
  // The socket became closed (`code`, `reason`), or went without opening (1006).
  static void closed(Session& s, int code, std::string_view reason);
  // The coroutine returned (`failed`: by an exception other than Disconnected).
  static void finish(Session& s, bool failed);
};

// The route's per-socket user data: the session, told when the socket (or a failed upgrade)
// lets go of it.
struct SessionSlot {
  std::shared_ptr<Session> session;
  ~SessionSlot() {
    if (session) SessionAccess::closed(*session, close_code::abnormal, {});
  }
};

}  // namespace detail
}  // namespace wisp
