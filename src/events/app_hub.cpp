// App::hub: an event hub is a WebSocket route of the app whose callbacks are the hub's.
#include "events/hub_impl.hpp"
#include "server/app_impl.hpp"

namespace wisp {

Hub& App::hub(std::string path) { return hub(std::move(path), HubSettings{}); }

Hub& App::hub(std::string path, const HubSettings& settings) {
  auto impl = std::make_unique<Hub::Impl>(impl_->state, impl_->started, path, settings);
  Hub::Impl& callbacks = *impl;
  std::shared_ptr<Hub> hub(new Hub(std::move(impl)));  // the constructor is App's alone
  ws(std::move(path), callbacks.behavior());           // throws before the hub is kept
  impl_->hubs.push_back(hub);
  return *hub;
}

}  // namespace wisp
