// Work for the broker's loop from any thread: run there in the order it was given, with one
// EventLoop::post (one wake-up) per batch however many tasks the batch holds.
//
// Before attach() tasks are kept; attach() runs them on the loop thread. After that a task given
// on the loop thread runs at once when nothing given before it waits, others are queued for the
// loop: tasks run in the order they were given, whatever the thread. After detach() every task runs
// at once on the thread that gives it: the broker is stopped and its tasks only count what could
// not be sent (they must check that themselves, see RedisBroker::accepting()).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace wisp::net {
class EventLoop;
}

namespace wisp::broker {

class LoopInbox : public std::enable_shared_from_this<LoopInbox> {
 public:
  using Task = std::function<void()>;

  void attach(net::EventLoop& loop);
  void detach();
  void run(Task task);

 private:
  void drain();

  std::mutex mutex_;
  std::vector<Task> tasks_;
  net::EventLoop* loop_ = nullptr;
  bool detached_ = false;
  bool posted_ = false;
  bool draining_ = false;  // the loop is running a batch
};

}  // namespace wisp::broker
