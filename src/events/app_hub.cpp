// App::hub: an event hub is a WebSocket route of the app whose callbacks are the hub's. The one
// place the hub meets the engine: App hands it the broker, the node's command table and the way
// answers return (events/hub_cluster.hpp); from there on it uses those and the public API.
#include "events/hub_impl.hpp"
#include "server/app_impl.hpp"
#include "server/connection.hpp"

namespace wisp {

Hub& App::hub(std::string path) { return hub(std::move(path), HubSettings{}); }

Hub& App::hub(std::string path, const HubSettings& settings) {
  server::AppState& state = impl_->state;
  const events::HubCluster cluster{
      *state.broker, state.node.commands(), state.node, state.options.redis.gather_timeout,
      [&state](std::string_view id, std::function<void(WebSocket&)> action) {
        return state.post_to_client(
            id, [action = std::move(action)](server::Connection& c) { action(c); });
      }};
  auto impl = std::make_unique<events::HubImpl>(*this, cluster, impl_->started, path, settings);
  events::HubImpl& callbacks = *impl;
  std::shared_ptr<Hub> hub(new Hub(std::move(impl)));  // the constructor is App's alone
  ws(std::move(path), callbacks.behavior());           // throws before the hub is kept
  callbacks.add_commands();
  impl_->hubs.push_back(hub);
  return *hub;
}

}  // namespace wisp
