// A timer of the loop's wheel that runs a function; cancelled when destroyed. For the broker's
// few long-lived timers (heartbeat, reconnection, a gather's deadline), where a std::function
// per timer costs nothing that matters.
#pragma once

#include <chrono>
#include <functional>
#include <utility>

#include "net/timer_wheel.hpp"

namespace wisp::broker {

class LoopTimer : private net::TimerNode {
 public:
  explicit LoopTimer(std::function<void()> fire) : TimerNode(&trampoline), fire_(std::move(fire)) {}
  ~LoopTimer() { cancel(); }
  LoopTimer(const LoopTimer&) = delete;
  LoopTimer& operator=(const LoopTimer&) = delete;

  void schedule(net::TimerWheel& wheel, std::chrono::milliseconds delay) {
    cancel();
    wheel_ = &wheel;
    wheel.schedule(*this, delay);
  }
  void cancel() {
    if (scheduled()) wheel_->cancel(*this);
  }
  using TimerNode::scheduled;

 private:
  static void trampoline(net::TimerNode& node) { static_cast<LoopTimer&>(node).fire_(); }

  std::function<void()> fire_;
  net::TimerWheel* wheel_ = nullptr;
};

}  // namespace wisp::broker
