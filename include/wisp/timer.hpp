// A handle to a background task scheduled with App::every or App::after.
#pragma once

#include <memory>

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp {

namespace server {
struct ScheduledTask;
}

class App;

class TimerHandle {
 public:
  TimerHandle() = default;

  // Stops the task: it does not run again once this returns (a run under way on the timer
  // thread finishes). Safe from any thread, more than once.
  void cancel();
  // False once cancelled, or once an `after` task ran.
  bool active() const;

 private:
  friend class App;  // App::every and App::after make them
  explicit TimerHandle(std::shared_ptr<server::ScheduledTask> task) : task_(std::move(task)) {}
  std::shared_ptr<server::ScheduledTask> task_;
};

}  // namespace wisp

#pragma GCC visibility pop
