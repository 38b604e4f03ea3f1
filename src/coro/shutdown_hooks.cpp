// App::on_shutdown: the hooks run on the primary loop when a graceful shutdown begins, one after
// another and bounded together by ShutdownOptions::hooks_timeout; then the loops stop.
#include <stdexcept>

#include "coro/root_task.hpp"
#include "log/log.hpp"
#include "server/app_impl.hpp"

namespace wisp {
namespace {

// The parameter lives in the coroutine's frame (a lambda's captures would not).
Task<> run_plain(std::function<void()> hook) {
  hook();
  co_return;
}

Task<> run_each(const std::vector<std::function<Task<>()>>& hooks) {
  for (const auto& hook : hooks) {
    try {
      co_await hook();
    } catch (const std::exception& error) {
      logs::exception("on_shutdown hook", error.what());
    } catch (...) {
      logs::exception("on_shutdown hook", "not a std::exception");
    }
  }
}

detail::RootTask hooks_then_stop(const std::vector<std::function<Task<>()>>& hooks,
                                 server::Loops& loops, ShutdownOptions options) {
  try {
    co_await with_timeout(options.hooks_timeout, run_each(hooks));
  } catch (const Timeout&) {
    logs::write(LogLevel::warn, "shutdown.hooks_timeout",
                "the on_shutdown hooks did not end in time; the shutdown goes on",
                {{"timeout_ms", std::to_string(options.hooks_timeout.count())}});
  }
  loops.request_stop(options);
}

}  // namespace

App& App::add_shutdown_hook(std::function<Task<>()> hook) {
  if (!hook) throw std::invalid_argument("wisp::App::on_shutdown: the hook is empty");
  if (impl_->started)
    throw std::logic_error("wisp::App::on_shutdown: hooks are added before run()");
  impl_->shutdown_hooks.push_back(std::move(hook));
  return *this;
}

App& App::add_shutdown_hook(std::function<void()> hook) {
  if (!hook) throw std::invalid_argument("wisp::App::on_shutdown: the hook is empty");
  return add_shutdown_hook(
      std::function<Task<>()>([hook = std::move(hook)] { return run_plain(hook); }));
}

void App::run_shutdown_hooks(const ShutdownOptions& options) {
  hooks_then_stop(impl_->shutdown_hooks, impl_->state.loops, options).start();
}

}  // namespace wisp
