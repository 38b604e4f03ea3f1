// What the loops of one App share: routes and options (fixed once it runs), and the pieces that
// reach across loops and nodes: the loops themselves, the client registry, topic counts,
// admission, this node as the broker sees it, and the broker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "broker/broker.hpp"
#include "broker/service_actions.hpp"
#include "server/admission.hpp"
#include "server/cluster_node.hpp"
#include "server/http_router.hpp"
#include "server/loops.hpp"
#include "server/registry.hpp"
#include "server/router.hpp"
#include "server/scheduled_task.hpp"
#include "server/topic_counts.hpp"
#include "server/topic_streams.hpp"
#include "server/worker_pool.hpp"
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
  // Makes the broker: the local one without options.redis.url, else the Redis one (which
  // throws std::invalid_argument for a url it cannot parse).
  explicit AppState(const AppOptions& app_options);

  const AppOptions options;
  Router router;  // WebSocket routes
  std::vector<UpgradeMiddleware> ws_middleware;
  HttpRouter<HttpHandler> http_routes;

  // What App::listen() bound, in the order of the calls; set before run(). Each has one
  // listening socket per loop thread; a TLS one also has the context all its loops share.
  struct Listener {
    std::uint16_t port = 0;
    std::shared_ptr<net::TlsContext> tls;  // null: plain TCP
    std::vector<int> fds;                  // until run() hands them to the loops
  };
  std::vector<Listener> listeners;

  Loops loops;
  // The client registry; each client added and removed is told to the broker's directory.
  Registry registry;
  TopicCounts topic_counts;
  Admission admission;
  ClusterNode node;
  std::unique_ptr<broker::Broker> broker;
  TopicStreams topic_streams;  // options.topic_history
  // Service actions (App::action, App::call), with options.redis.url only; run on the primary
  // loop like the broker.
  std::unique_ptr<broker::ServiceActions> actions;

  // A publish from a socket (`except`, on the calling thread's loop) or from the app (null); to a
  // topic with history, `except` gets it too (TopicStreams::publish).
  void publish(std::string_view topic, std::string_view message, OpCode op, bool compress,
               const Connection* except);

  // This node's part of the calls by client id, safe from any thread: the work runs on the
  // client's own loop thread (at once when that is the calling thread).
  // False if no client has that id here now; else `action` runs if the client is still
  // connected when its loop gets to it.
  bool with_client(std::string_view id, std::function<void(Connection&)> action);
  // The same, but always posted to the client's loop, even from that loop: the action runs
  // after everything posted there before it (the hub orders a subscription with publishes).
  bool post_to_client(std::string_view id, std::function<void(Connection&)> action);
  // Sends to every client registered here; returns how many.
  std::size_t broadcast_here(std::string_view message, OpCode op);
  // Sends to those of `ids` that are here, returning how many; adds the others to `not_here`.
  std::size_t broadcast_to_here(const std::vector<std::string>& ids, std::string_view message,
                                OpCode op, std::vector<std::string>* not_here = nullptr);

  // Starts a background task on the primary loop (now, posted, or when it starts).
  void schedule(std::shared_ptr<ScheduledTask> task);

  // The loops' counters, summed, and the broker's.
  Metrics metrics() const;

  // For the connections (connection_http.cpp, loop_server.cpp).
  bool admit_connection(std::string_view ip) { return admission.admit(ip); }
  void count_subscriber(std::string_view topic, int change) { topic_counts.change(topic, change); }
  void post(LoopServer& loop, std::function<void()> task) { loops.post(loop, std::move(task)); }

  // App::offload's threads; last, so that they end (running what is queued) first.
  std::unique_ptr<WorkerPool> workers;

 private:
  bool reach_client(std::string_view id, std::function<void(Connection&)> action, bool always_post);
};

}  // namespace wisp::server
