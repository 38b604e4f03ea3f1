#include "server/scheduled_task.hpp"

#include <exception>

#include "log/log.hpp"
#include "net/event_loop.hpp"
#include "wisp/timer.hpp"

namespace wisp {

void TimerHandle::cancel() {
  if (task_) task_->cancelled = true;
}

bool TimerHandle::active() const { return task_ && !task_->cancelled && !task_->done; }

namespace server {

void ScheduledTask::fire(net::TimerNode& node) {
  auto& task = static_cast<ScheduledTask&>(node);
  if (task.cancelled) return;
  if (task.repeat) {
    net::EventLoop::current()->timers().schedule(task, task.interval);
  } else {
    task.done = true;  // before it runs: a task that looks at its own handle sees it spent
  }
  try {
    task.fn();
  } catch (const std::exception& error) {
    logs::exception("background task (it keeps its schedule)", error.what());
  } catch (...) {
    logs::exception("background task (it keeps its schedule)", "not a std::exception");
  }
}

void TaskList::start(std::shared_ptr<ScheduledTask> task) {
  sweep();
  net::EventLoop::current()->timers().schedule(*task, task->interval);
  tasks_.push_back(std::move(task));
}

void TaskList::sweep() {
  auto& timers = net::EventLoop::current()->timers();
  std::erase_if(tasks_, [&](const std::shared_ptr<ScheduledTask>& task) {
    if (!task->cancelled && !task->done) return false;
    timers.cancel(*task);
    return true;
  });
}

TaskList::~TaskList() {
  for (auto& task : tasks_) net::EventLoop::current()->timers().cancel(*task);
}

}  // namespace server
}  // namespace wisp
