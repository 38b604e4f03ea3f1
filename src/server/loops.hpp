// The loops of one App: their lifecycle, and work posted to them from any thread.
//
// Every loop of the app is announced before any of them runs, and none is destroyed before all
// of them have ended; so a loop thread may post to any loop of its app with no lock (its own
// loop is running, hence all are alive), and only other threads take the lock, which the last
// loop to end also takes to close the app's loops to posts. Posted work that a loop never gets
// to is dropped with it (its inbox is destroyed, not run).
#pragma once

#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "net/event_loop.hpp"
#include "wisp/settings.hpp"

namespace wisp::server {

class LoopServer;

class Loops {
 public:
  explicit Loops(unsigned count) : slots_(count) {}
  Loops(const Loops&) = delete;
  Loops& operator=(const Loops&) = delete;

  // In App::run(), on each loop's thread (index 0: the primary loop, run()'s own thread), before
  // its loop runs: waits until every loop is announced, then starts what waited for it
  // (on_primary's work, a shutdown asked before run()) and returns true. Returns false, without
  // waiting for the others, once some loop could not be made (fail()): then no loop runs.
  bool attach(LoopServer& loop, unsigned index);
  // Instead of attach() on a thread whose loop could not be made (its constructor threw): no loop
  // will run, the attached ones are released, and failure() keeps the first error.
  void fail(std::exception_ptr error);
  std::exception_ptr failure() const;
  // After its loop ended, before it is destroyed, when attach() returned true: waits until every
  // loop has ended. Posts are dropped from then on.
  void detach();

  // Stops every loop (a loop not yet running stops when it starts); the first call's terms stand.
  void request_stop(const ShutdownOptions& options);

  // The calling thread's loop, if it is one of these and they run; else nullptr.
  LoopServer* here() const;
  // Runs `task` on `loop` in a later batch of its posted work; dropped if the loops ended.
  void post(LoopServer& loop, std::function<void()> task);
  // At once when `loop` is the calling thread's, else post().
  void run_on(LoopServer& loop, std::function<void()> task);
  // Runs `task` on the primary loop: at once from its thread, posted from others, when it starts
  // if it has not yet; dropped after the loops ended.
  void on_primary(std::function<void()> task);

  // visit(loop, mine) for every running loop (`mine`: the calling thread's), with no lock on a
  // loop thread; visit may post, not block.
  template <class Visit>
  void each(Visit&& visit) const {
    if (const Slot* mine = slot_here()) {
      if (!open_.load(std::memory_order_acquire)) return;  // the loops are being torn down
      for (const Slot& slot : slots_) visit(*slot.server, &slot == mine);
      return;
    }
    std::lock_guard lock(mutex_);
    if (!open_.load(std::memory_order_relaxed)) return;
    for (const Slot& slot : slots_) visit(*slot.server, false);
  }

 private:
  enum class Phase { Starting, Running, Ended };
  struct Slot {
    LoopServer* server = nullptr;
    // Compared, never followed: any thread looks for its own without a lock.
    std::atomic<const net::EventLoop*> loop = nullptr;
  };
  const Slot* slot_here() const;

  std::vector<Slot> slots_;  // written before the loops run, read-only while they do
  std::atomic<bool> open_ = false;
  mutable std::mutex mutex_;  // guards the members below
  std::condition_variable changed_;
  Phase phase_ = Phase::Starting;
  unsigned attached_ = 0, ended_ = 0;
  std::vector<std::function<void()>> waiting_for_primary_;
  std::optional<ShutdownOptions> stop_requested_;
  std::exception_ptr failure_;  // set once; the loops then stay Starting and closed to posts
};

}  // namespace wisp::server
