// A timer of the loop's wheel that runs a function; cancelled when destroyed. For the few
// long-lived timers (the broker's heartbeat, reconnection, a gather's deadline, a hub client's
// request deadlines), where a std::function per timer costs nothing that matters.
#pragma once

#include <chrono>
#include <functional>
#include <utility>

#include "net/timer_wheel.hpp"

namespace wisp::net {

class LoopTimer : private TimerNode {
 public:
  explicit LoopTimer(std::function<void()> fire) : TimerNode(&trampoline), fire_(std::move(fire)) {}
  ~LoopTimer() { cancel(); }
  LoopTimer(const LoopTimer&) = delete;
  LoopTimer& operator=(const LoopTimer&) = delete;

  void schedule(TimerWheel& wheel, std::chrono::milliseconds delay) {
    cancel();
    wheel_ = &wheel;
    wheel.schedule(*this, delay);
  }
  void cancel() {
    if (scheduled()) wheel_->cancel(*this);
  }
  using TimerNode::scheduled;

 private:
  static void trampoline(TimerNode& node) { static_cast<LoopTimer&>(node).fire_(); }

  std::function<void()> fire_;
  TimerWheel* wheel_ = nullptr;
};

}  // namespace wisp::net
