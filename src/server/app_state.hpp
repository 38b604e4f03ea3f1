// What the loops of one App share: routes, options, the running loops, app-wide topic counts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/http_router.hpp"
#include "server/registry.hpp"
#include "server/router.hpp"
#include "server/scheduled_task.hpp"
#include "wisp/http.hpp"
#include "wisp/metrics.hpp"
#include "wisp/opcode.hpp"
#include "wisp/settings.hpp"

namespace wisp::net {
class TlsContext;
}

namespace wisp::server {

class Connection;
class LoopServer;

using HttpHandler = std::function<void(Request&, Response&)>;

class AppState {
 public:
  AppOptions options;
  Router router;  // WebSocket routes
  HttpRouter<HttpHandler> http_routes;

  // What App::listen() bound, in the order of the calls; set before run(). Each has one
  // listening socket per loop thread; a TLS one also has the context all its loops share.
  struct Listener {
    std::uint16_t port = 0;
    std::shared_ptr<net::TlsContext> tls;  // null: plain TCP
    std::vector<int> fds;                  // until run() hands them to the loops
  };
  std::vector<Listener> listeners;

  // Loop threads come and go with App::run(); the primary one (run()'s own thread) runs the
  // background tasks.
  void attach(LoopServer& loop, bool primary);
  void detach(LoopServer& loop);
  void request_stop(const ShutdownOptions& options);

  // Sends a message to every subscriber of `topic` on every loop but `except` (which is on the
  // calling thread's loop, if not null) and the client `except_client` (any loop; empty: none).
  // Local subscribers get it at once; other loops get the frame, built once and shared, as a
  // posted task. Safe from any thread.
  void publish(std::string_view topic, std::string_view message, OpCode op, bool compress,
               const Connection* except, std::string_view except_client = {});

  // The client registry, and what may be done with a client by id from any thread: the work
  // runs on the client's own loop thread (at once when that is the calling thread).
  Registry registry;
  // False if no client has that id now; else `action` runs if the client is still connected
  // when its loop gets to it.
  bool with_client(std::string_view id, std::function<void(Connection&)> action);
  // Sends to every registered client, or to the listed ones; returns how many it addressed.
  std::size_t broadcast(std::string_view message, OpCode op);
  std::size_t broadcast_to(const std::vector<std::string>& ids, std::string_view message,
                           OpCode op);

  // Starts a background task on the primary loop (at once if it runs on the calling thread,
  // posted if it runs elsewhere, when it starts if it has not yet).
  void schedule(std::shared_ptr<ScheduledTask> task);

  // The loops' counters, summed.
  Metrics metrics() const;

  // Counts a new connection from `ip` against options.connections_per_ip_per_minute; false when
  // it is one too many this minute.
  bool admit_connection(std::string_view ip);

  // App-wide subscriber counts, kept by the loops' topic tables.
  void count_subscriber(std::string_view topic, int change);
  std::size_t subscriber_count(std::string_view topic) const;

 private:
  // The connection of client `id` if it is on `loop` (looked up on that loop's thread).
  Connection* connection_on(const LoopServer* loop, std::string_view id) const;
  // Runs `task` on `loop` now if it is the calling thread's, else posts it there (if it runs).
  void run_on(LoopServer* loop, std::function<void()> task);

  mutable std::mutex mutex_;  // guards the members below; never held while handlers run
  std::vector<LoopServer*> running_;
  LoopServer* primary_ = nullptr;
  std::vector<std::shared_ptr<ScheduledTask>> pending_tasks_;  // scheduled before run()
  std::optional<ShutdownOptions> stop_requested_;
  std::unordered_map<std::string, std::size_t> subscriber_counts_;
  struct IpWindow {
    std::int64_t minute = 0;
    std::uint32_t connections = 0;
  };
  std::unordered_map<std::string, IpWindow> connections_by_ip_;
};

}  // namespace wisp::server
