// Background tasks (App::every, App::after): timers on the app's first loop thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "net/timer_wheel.hpp"

namespace wisp::server {

struct ScheduledTask : net::TimerNode {
  ScheduledTask(std::chrono::milliseconds interval, bool repeat, std::function<void()> fn)
      : net::TimerNode(&fire), interval(interval), repeat(repeat), fn(std::move(fn)) {}

  // Runs the task on its loop thread; an exception is reported and the schedule kept.
  static void fire(net::TimerNode& node);

  std::chrono::milliseconds interval;
  bool repeat;
  std::function<void()> fn;
  std::atomic<bool> cancelled{false};
  std::atomic<bool> done{false};  // an `after` task ran
};

// The tasks of one loop: keeps them alive while scheduled, and drops the cancelled ones.
class TaskList {
 public:
  void start(std::shared_ptr<ScheduledTask> task);
  // Cancellation comes from any thread as a flag; the loop unschedules on its next look.
  void sweep();
  ~TaskList();

 private:
  std::vector<std::shared_ptr<ScheduledTask>> tasks_;
};

}  // namespace wisp::server
