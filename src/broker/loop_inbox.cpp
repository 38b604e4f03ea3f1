#include "broker/loop_inbox.hpp"

#include "net/event_loop.hpp"

namespace wisp::broker {

void LoopInbox::attach(net::EventLoop& loop) {
  std::vector<Task> kept;
  {
    std::lock_guard lock(mutex_);
    loop_ = &loop;
    kept.swap(tasks_);
  }
  for (auto& task : kept) task();
}

void LoopInbox::detach() {
  std::vector<Task> queued;
  {
    std::lock_guard lock(mutex_);
    detached_ = true;
    queued.swap(tasks_);
  }
  for (auto& task : queued) task();
}

void LoopInbox::run(Task task) {
  std::unique_lock lock(mutex_);
  if (detached_ || (loop_ != nullptr && net::EventLoop::current() == loop_)) {
    lock.unlock();
    task();
    return;
  }
  tasks_.push_back(std::move(task));
  if (loop_ == nullptr || posted_) return;
  posted_ = true;
  // The inbox, not the broker, is what the posted task holds: it may run after the broker is
  // gone, and then finds nothing to do (detach() took the tasks).
  loop_->post([self = shared_from_this()] { self->drain(); });
}

void LoopInbox::drain() {
  std::vector<Task> batch;
  {
    std::lock_guard lock(mutex_);
    posted_ = false;
    batch.swap(tasks_);
  }
  for (auto& task : batch) task();
}

}  // namespace wisp::broker
