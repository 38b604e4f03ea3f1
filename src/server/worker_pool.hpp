// The threads that run App::offload's work, off the event loops.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "server/job.hpp"

namespace wisp::server {

class WorkerPool {
 public:
  explicit WorkerPool(unsigned threads) : size_(threads == 0 ? 1 : threads) {}
  // Runs the jobs already queued, then joins the threads.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `job`; the threads start on the first call (so that they inherit the signal mask of
  // a loop thread). Safe from any thread.
  void submit(detail::Job job);

 private:
  void work();

  const unsigned size_;
  std::mutex mutex_;  // guards the members below
  std::condition_variable wake_;
  std::deque<detail::Job> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace wisp::server
