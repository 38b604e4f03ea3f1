#include "server/worker_pool.hpp"

#include <exception>

#include "log/log.hpp"

namespace wisp::server {

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void WorkerPool::submit(detail::Job job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
    while (threads_.size() < size_) threads_.emplace_back([this] { work(); });
  }
  wake_.notify_one();
}

void WorkerPool::work() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;
    detail::Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    try {
      job();
    } catch (const std::exception& error) {
      logs::exception("offloaded work", error.what());
    }
    lock.lock();
  }
}

}  // namespace wisp::server
