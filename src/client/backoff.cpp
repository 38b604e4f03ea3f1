#include "client/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "client/resolver.hpp"
#include "net/event_loop.hpp"

namespace wisp::client {
namespace {

using std::chrono::milliseconds;

// The wait before one attempt: a timer that starts it, or goes with the client.
class Backoff final : private net::TimerNode, public Connections::Member {
 public:
  Backoff(std::shared_ptr<const Plan> plan, Connections& owner, milliseconds delay)
      : net::TimerNode(&Backoff::on_timer), plan_(std::move(plan)), owner_(owner) {
    owner_.add(*this);
    net::EventLoop::current()->timers().schedule(*this, delay);
  }
  void abandon() override {
    net::EventLoop::current()->timers().cancel(*this);
    owner_.remove(*this);
    net::EventLoop::current()->retire(this);
  }

 private:
  static void on_timer(net::TimerNode& node) {
    auto& self = static_cast<Backoff&>(node);
    start_attempt(self.plan_, self.owner_);
    self.abandon();
  }

  std::shared_ptr<const Plan> plan_;
  Connections& owner_;
};

}  // namespace

double random_unit() {
  thread_local std::mt19937_64 random(std::random_device{}());
  return std::uniform_real_distribution<double>(0, 1)(random);
}

milliseconds backoff_delay(const ReconnectSettings& settings, std::uint32_t attempt,
                           double random) {
  const double grown = static_cast<double>(settings.initial_delay.count()) *
                       std::pow(settings.factor, static_cast<double>(attempt));
  const double capped = std::min(grown, static_cast<double>(settings.max_delay.count()));
  const double jitter = std::clamp(settings.jitter, 0.0, 1.0);
  return milliseconds(std::llround(capped * (1 - jitter * random)));
}

bool should_reconnect(const ReconnectSettings& settings, int code, std::uint32_t failures) {
  if (!settings.enabled) return false;
  if (settings.attempts != 0 && failures >= settings.attempts) return false;
  return std::find(settings.final_close_codes.begin(), settings.final_close_codes.end(), code) ==
         settings.final_close_codes.end();
}

bool reconnect(const std::shared_ptr<const Plan>& plan, Connections& owner, int code,
               std::string_view reason) {
  const ReconnectSettings& settings = plan->settings.reconnect;
  if (!should_reconnect(settings, code, plan->failures)) return false;
  const milliseconds delay = backoff_delay(settings, plan->failures, random_unit());
  ++plan->failures;
  new Backoff(plan, owner, delay);  // owns itself until it fires or the client goes
  if (plan->handlers.reconnecting) {
    plan->handlers.reconnecting(static_cast<int>(plan->failures), delay, code, reason);
  }
  return true;
}

void attempt_failed(const std::shared_ptr<const Plan>& plan, Connections& owner,
                    const ConnectError& error) {
  if (reconnect(plan, owner, close_code::abnormal, error.message)) return;
  if (plan->handlers.fail) plan->handlers.fail(error);
}

}  // namespace wisp::client
