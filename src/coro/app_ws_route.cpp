// The App's coroutine entry points: ws_route, spawn, on_startup.
#include <memory>
#include <stdexcept>

#include "coro/root_task.hpp"
#include "coro/session_access.hpp"
#include "coro/session_route.hpp"
#include "log/log.hpp"
#include "net/event_loop.hpp"

namespace wisp {
namespace {

detail::RootTask run_spawned(Task<> task) {
  try {
    co_await std::move(task);
  } catch (const std::exception& error) {
    logs::exception("spawned task", error.what());
  } catch (...) {
    logs::exception("spawned task", "not a std::exception");
  }
}

}  // namespace

App& App::ws_route(std::string pattern, SessionHandler handler) {
  return ws_route(std::move(pattern), std::move(handler), SessionOptions{});
}

App& App::ws_route(std::string pattern, SessionHandler handler, const SessionOptions& options) {
  if (!handler) throw std::invalid_argument("wisp::App::ws_route: the handler is empty");
  WebSocketBehavior behavior =
      detail::session_behavior(*this, pattern, std::move(handler), options);
  return ws<detail::SessionSlot>(std::move(pattern), std::move(behavior));
}

App& App::spawn(Task<> task) {
  if (!task) throw std::invalid_argument("wisp::App::spawn: an empty task");
  // std::function copies: the task rides in a shared_ptr (freed with it if it never runs).
  auto start = [task = std::make_shared<Task<>>(std::move(task))] {
    run_spawned(std::move(*task)).start();
  };
  if (net::EventLoop* loop = net::EventLoop::current()) {
    loop->post(std::move(start));
  } else {
    after(std::chrono::milliseconds(0), std::move(start));
  }
  return *this;
}

App& App::on_startup(std::function<Task<>()> hook) {
  if (!hook) throw std::invalid_argument("wisp::App::on_startup: the hook is empty");
  after(std::chrono::milliseconds(0), [this, hook = std::move(hook)] { spawn(hook()); });
  return *this;
}

}  // namespace wisp
