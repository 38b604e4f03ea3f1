// App's private part, shared with src/events/ (App::hub is defined there).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "server/app_state.hpp"
#include "server/loop_server.hpp"
#include "wisp/app.hpp"

namespace wisp {

struct App::Impl {
  explicit Impl(const AppOptions& options) : state(options) {}

  server::AppState state;
  std::atomic<bool> started = false;  // read by hubs, which refuse registrations from then
  bool stop_on_signals = false;
  bool reload_on_sighup = false;
  // The event hubs on this app's routes. shared_ptr: its deleter is made where Hub is
  // complete (src/events/), so the server need not know Hub to destroy one.
  std::vector<std::shared_ptr<Hub>> hubs;
  // App::on_shutdown's hooks (added before run(), read-only after), and whether a shutdown
  // started running them (later shutdown calls wait for the first: its terms stand).
  std::vector<std::function<Task<>()>> shutdown_hooks;
  std::atomic<bool> shutdown_begun = false;

  void bind(std::string_view host, std::uint16_t port, std::shared_ptr<net::TlsContext> tls);
  std::vector<std::vector<server::ListenSocket>> take_listen_sockets();
  // Loop `index` (0: the primary one, on run()'s thread).
  void run_loop(const std::vector<server::ListenSocket>& sockets, unsigned index);
};

}  // namespace wisp
