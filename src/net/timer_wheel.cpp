#include "net/timer_wheel.hpp"

namespace wisp::net {
namespace {

void unlink(TimerNode& node) {
  node.prev->next = node.next;
  node.next->prev = node.prev;
  node.prev = node.next = nullptr;
}

void push_back(TimerNode& head, TimerNode& node) {
  node.prev = head.prev;
  node.next = &head;
  head.prev->next = &node;
  head.prev = &node;
}

}  // namespace

TimerWheel::TimerWheel(std::chrono::milliseconds tick, std::size_t slots, Clock::time_point start)
    : tick_length_(tick),
      start_(start),
      slots_(slots),
      heads_(std::make_unique<TimerNode[]>(slots)) {
  for (std::size_t i = 0; i < slots_; ++i) heads_[i].prev = heads_[i].next = &heads_[i];
}

void TimerWheel::schedule(TimerNode& node, std::chrono::milliseconds delay) {
  cancel(node);
  const auto length = tick_length_.count();
  const auto ticks = delay.count() <= 0 ? 1 : (delay.count() + length - 1) / length;
  node.due_tick = tick_ + static_cast<std::uint64_t>(ticks);
  link(node);
}

void TimerWheel::cancel(TimerNode& node) {
  if (!node.scheduled()) return;
  unlink(node);
  --count_;
}

void TimerWheel::link(TimerNode& node) {
  push_back(heads_[node.due_tick % slots_], node);
  ++count_;
}

void TimerWheel::advance(Clock::time_point now) {
  const auto target = static_cast<std::uint64_t>((now - start_) / tick_length_);
  if (count_ == 0 && target > tick_) tick_ = target;  // nothing to fire on the way
  while (tick_ < target) {
    ++tick_;
    fire_due(heads_[tick_ % slots_]);
  }
}

// Moves the slot's due timers to a list of their own first, so that callbacks may cancel or
// schedule any timer (a cancelled one still waiting here simply leaves this list).
void TimerWheel::fire_due(TimerNode& head) {
  TimerNode due;
  due.prev = due.next = &due;
  for (TimerNode* node = head.next; node != &head;) {
    TimerNode* next = node->next;
    if (node->due_tick <= tick_) {
      unlink(*node);
      push_back(due, *node);
    }
    node = next;
  }
  while (due.next != &due) {
    TimerNode& node = *due.next;
    unlink(node);
    --count_;
    node.fire(node);
  }
}

int TimerWheel::wait_ms(Clock::time_point now) const {
  if (count_ == 0) return -1;
  const auto next_tick = start_ + tick_length_ * static_cast<std::int64_t>(tick_ + 1);
  if (next_tick <= now) return 0;
  const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_tick - now);
  return static_cast<int>(wait.count());
}

}  // namespace wisp::net
