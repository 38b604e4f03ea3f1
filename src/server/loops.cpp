#include "server/loops.hpp"

#include "server/loop_server.hpp"

namespace wisp::server {

bool Loops::attach(LoopServer& loop, unsigned index) {
  std::vector<std::function<void()>> waiting;
  std::optional<ShutdownOptions> stop;
  {
    std::unique_lock lock(mutex_);
    slots_.at(index).server = &loop;
    slots_[index].loop.store(&loop.loop(), std::memory_order_relaxed);
    if (++attached_ == slots_.size() && !failure_) {
      phase_ = Phase::Running;
      open_.store(true, std::memory_order_release);
      changed_.notify_all();
    }
    changed_.wait(lock, [this] { return phase_ != Phase::Starting || failure_; });
    if (phase_ != Phase::Running) return false;
    if (index == 0) waiting.swap(waiting_for_primary_);
    stop = stop_requested_;  // one asked for from now on is posted to every loop
  }
  for (auto& task : waiting) task();
  if (stop) loop.begin_stop(*stop);  // a second begin_stop (from such a post) does nothing
  return true;
}

// Every loop is announced before any runs, so a failure always comes while the others still wait
// in attach() (or have not reached it): none of them ever runs.
void Loops::fail(std::exception_ptr error) {
  std::lock_guard lock(mutex_);
  if (!failure_) failure_ = std::move(error);
  changed_.notify_all();
}

std::exception_ptr Loops::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

void Loops::detach() {
  std::unique_lock lock(mutex_);
  if (++ended_ == slots_.size()) {
    phase_ = Phase::Ended;
    open_.store(false, std::memory_order_release);
    changed_.notify_all();
  }
  changed_.wait(lock, [this] { return phase_ == Phase::Ended; });
}

void Loops::request_stop(const ShutdownOptions& options) {
  std::lock_guard lock(mutex_);
  if (stop_requested_) return;
  stop_requested_ = options;
  if (phase_ != Phase::Running) return;  // attach() applies it
  for (const Slot& slot : slots_) {
    LoopServer* server = slot.server;
    server->loop().post([server, options] { server->begin_stop(options); });
  }
}

const Loops::Slot* Loops::slot_here() const {
  const net::EventLoop* current = net::EventLoop::current();
  if (!current) return nullptr;
  for (const Slot& slot : slots_) {
    if (slot.loop.load(std::memory_order_relaxed) == current) return &slot;
  }
  return nullptr;
}

LoopServer* Loops::here() const {
  const Slot* slot = slot_here();
  return slot && open_.load(std::memory_order_acquire) ? slot->server : nullptr;
}

void Loops::post(LoopServer& loop, std::function<void()> task) {
  if (slot_here()) {
    if (open_.load(std::memory_order_acquire)) loop.loop().post(std::move(task));
    return;
  }
  std::lock_guard lock(mutex_);
  if (open_.load(std::memory_order_relaxed)) loop.loop().post(std::move(task));
}

void Loops::run_on(LoopServer& loop, std::function<void()> task) {
  if (here() == &loop) return task();
  post(loop, std::move(task));
}

void Loops::on_primary(std::function<void()> task) {
  if (LoopServer* mine = here(); mine && mine == slots_.front().server) return task();
  std::lock_guard lock(mutex_);
  if (phase_ == Phase::Starting) return waiting_for_primary_.push_back(std::move(task));
  if (open_.load(std::memory_order_relaxed)) slots_.front().server->loop().post(std::move(task));
}

}  // namespace wisp::server
