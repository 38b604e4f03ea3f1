// A hashed timing wheel: O(1) schedule and cancel, timers kept in intrusive lists.
//
// Time moves in ticks of a fixed length; a timer fires on the first advance() at or after its
// tick. Timers further out than one turn of the wheel wait in their slot for the turn that is
// theirs, so any delay works. Each socket embeds one TimerNode: no allocation per timer.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace wisp::net {

struct TimerNode {
  using Callback = void (*)(TimerNode&);
  TimerNode() = default;
  explicit TimerNode(Callback fire) : fire(fire) {}
  TimerNode(const TimerNode&) = delete;
  TimerNode& operator=(const TimerNode&) = delete;
  bool scheduled() const { return prev != nullptr; }

  Callback fire = nullptr;
  TimerNode* prev = nullptr;
  TimerNode* next = nullptr;
  std::uint64_t due_tick = 0;
};

class TimerWheel {
 public:
  using Clock = std::chrono::steady_clock;

  explicit TimerWheel(std::chrono::milliseconds tick = std::chrono::milliseconds(10),
                      std::size_t slots = 1024, Clock::time_point start = Clock::now());
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // (Re)schedules `node` to fire `delay` after the current tick (rounded up to whole ticks, and at
  // least one tick away). The node must outlive its schedule or be cancelled first.
  void schedule(TimerNode& node, std::chrono::milliseconds delay);
  void cancel(TimerNode& node);

  // Fires, in tick order, every timer due at or before `now`. A callback may schedule or cancel
  // any timer, including its own.
  void advance(Clock::time_point now);

  // How long until the next tick that may fire something; -1 when nothing is scheduled.
  int wait_ms(Clock::time_point now) const;

  std::uint64_t current_tick() const { return tick_; }
  std::chrono::milliseconds tick_length() const { return tick_length_; }
  std::size_t size() const { return count_; }

 private:
  void link(TimerNode& node);
  void fire_due(TimerNode& head);

  std::chrono::milliseconds tick_length_;
  Clock::time_point start_;
  std::uint64_t tick_ = 0;  // every tick up to this one has fired
  std::size_t count_ = 0;
  std::size_t slots_;
  std::unique_ptr<TimerNode[]> heads_;  // a sentinel per slot; an empty slot's head links to itself
};

}  // namespace wisp::net
