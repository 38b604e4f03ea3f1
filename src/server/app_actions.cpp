// App::action and App::call: the App's side of service actions (src/broker/service_actions.*
// does the work on the primary loop).
#include <stdexcept>

#include "broker/return_path.hpp"
#include "server/app_impl.hpp"

namespace wisp {
namespace {

broker::ServiceActions& actions_of(server::AppState& state, std::string_view call) {
  if (!state.actions) {
    throw std::logic_error("wisp::App::" + std::string(call) +
                           ": service actions need Redis (AppOptions::redis.url)");
  }
  return *state.actions;
}

}  // namespace

App& App::action(std::string name, ActionHandler handler) {
  if (impl_->started) throw std::logic_error("wisp::App::action: actions are added before run()");
  actions_of(impl_->state, "action").action(std::move(name), std::move(handler));
  return *this;
}

void App::call(std::string_view service, std::string_view action, json payload,
               std::chrono::milliseconds timeout, ActionCallback done) {
  server::AppState& state = impl_->state;
  actions_of(state, "call")
      .call(service, action, std::move(payload), timeout,
            broker::answer_to_caller(state.node, std::move(done)));
}

}  // namespace wisp
