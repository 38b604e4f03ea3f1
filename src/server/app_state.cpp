#include "server/app_state.hpp"

#include "server/connection.hpp"
#include "server/engine_commands.hpp"
#include "server/loop_server.hpp"

namespace wisp::server {
namespace {

std::unique_ptr<broker::Broker> make_broker(const AppOptions& options, broker::Node& node) {
  if (options.redis.url.empty()) return broker::make_local_broker(node);
  return broker::make_redis_broker(options.redis, node);
}

std::unique_ptr<broker::ServiceActions> make_actions(const AppOptions& options) {
  if (options.redis.url.empty()) return nullptr;
  return std::make_unique<broker::ServiceActions>(options.redis, options.service);
}

}  // namespace

AppState::AppState(const AppOptions& app_options)
    : options(app_options),
      loops(options.threads),
      registry([this](std::string_view id, bool added) {
        if (added)
          broker->client_added(id);
        else
          broker->client_removed(id);
      }),
      topic_counts([this](std::string_view topic, bool active) {
        if (active)
          broker->topic_active(topic);
        else
          broker->topic_idle(topic);
      }),
      admission(options.connections_per_ip_per_minute),
      node(loops, registry),
      broker(make_broker(options, node)),
      topic_streams(options.topic_history, *broker, loops),
      actions(make_actions(options)),
      workers(std::make_unique<WorkerPool>(options.workers)) {
  add_engine_commands(*this);
  node.format_with(topic_streams);
}

// No lock on the way: the broker hands the publish to this node's loops (the calling thread's
// at once), and a cluster broker to the other nodes too.
void AppState::publish(std::string_view topic, std::string_view message, OpCode op, bool compress,
                       const Connection* except) {
  const broker::Publish publish{
      .topic = topic, .message = message, .op = op, .compress = compress, .except_here = except};
  if (!topic_streams.publish(publish)) broker->publish(publish);
}

bool AppState::with_client(std::string_view id, std::function<void(Connection&)> action) {
  return reach_client(id, std::move(action), false);
}

bool AppState::post_to_client(std::string_view id, std::function<void(Connection&)> action) {
  return reach_client(id, std::move(action), true);
}

bool AppState::reach_client(std::string_view id, std::function<void(Connection&)> action,
                            bool always_post) {
  LoopServer* loop = registry.find(id).first;
  if (!loop) return false;
  auto task = [this, loop, id = std::string(id), action = std::move(action)] {
    // Looked up again on the loop thread: the client may have left since.
    const auto [now_on, connection] = registry.find(id);
    if (now_on == loop) action(*connection);
  };
  if (always_post)
    loops.post(*loop, std::move(task));
  else
    loops.run_on(*loop, std::move(task));
  return true;
}

std::size_t AppState::broadcast_here(std::string_view message, OpCode op) {
  const std::size_t count = registry.size();
  auto payload = std::make_shared<const std::string>(message);
  loops.each([&](LoopServer& loop, bool mine) {
    auto send = [&loop, payload, op] { loop.send_to_registered(*payload, op); };
    if (mine)
      send();
    else
      loop.loop().post(std::move(send));
  });
  return count;
}

std::size_t AppState::broadcast_to_here(const std::vector<std::string>& ids,
                                        std::string_view message, OpCode op,
                                        std::vector<std::string>* not_here) {
  auto payload = std::make_shared<const std::string>(message);
  std::size_t count = 0;
  for (auto& group : registry.by_loop(ids, not_here)) {
    count += group.second.size();
    LoopServer* loop = group.first;  // (clang 14 cannot capture structured bindings)
    loops.run_on(*loop, [this, loop, payload, op, group_ids = std::move(group.second)] {
      for (const std::string& id : group_ids) {
        const auto [now_on, connection] = registry.find(id);
        if (now_on == loop) connection->send(*payload, op, true);
      }
    });
  }
  return count;
}

void AppState::schedule(std::shared_ptr<ScheduledTask> task) {
  loops.on_primary(
      [task = std::move(task)]() mutable { LoopServer::current().tasks().start(std::move(task)); });
}

Metrics AppState::metrics() const {
  Metrics total;
  total.threads = options.threads;  // configured: a loop still starting has counted nothing yet
  loops.each([&](const LoopServer& loop, bool) { loop.metrics().add_to(total); });
  const broker::BrokerStatus status = broker->status();
  total.broker = {.kind = status.kind,
                  .node_id = status.node_id,
                  .up = status.up,
                  .reconnects = status.reconnects,
                  .published = status.published,
                  .received = status.received,
                  .lost = status.lost,
                  .malformed = status.malformed + node.commands().malformed(),
                  .pending = status.pending};
  total.topic_history = topic_streams.stats();
  if (actions) {
    const broker::ServiceActions::Status calls = actions->status();
    total.actions = {.up = calls.up,
                     .reconnects = calls.reconnects,
                     .calls = calls.calls,
                     .answered = calls.answered,
                     .failed = calls.failed,
                     .timeouts = calls.timeouts,
                     .unavailable = calls.unavailable,
                     .handled = calls.served,
                     .expired = calls.expired,
                     .answers_lost = calls.answers_lost,
                     .malformed = calls.malformed};
  }
  return total;
}

}  // namespace wisp::server
