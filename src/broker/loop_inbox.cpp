#include "broker/loop_inbox.hpp"

#include "net/event_loop.hpp"

namespace wisp::broker {

void LoopInbox::attach(net::EventLoop& loop) {
  {
    std::lock_guard lock(mutex_);
    loop_ = &loop;
  }
  drain();  // what was kept, now, on the loop
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
  // On the loop, at once, unless that would overtake work given earlier (queued by another
  // thread, or still in the batch being run): the order of calls is the order they came in (a
  // topic_active from one loop and the topic_idle that follows it from another must not swap).
  bool on_loop = loop_ != nullptr && net::EventLoop::current() == loop_;
  if (detached_ || (on_loop && tasks_.empty() && !draining_)) {
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
    draining_ = true;
    batch.swap(tasks_);
  }
  for (auto& task : batch) task();
  std::lock_guard lock(mutex_);
  draining_ = false;
}

}  // namespace wisp::broker
