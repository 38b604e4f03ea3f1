// detail::LoopTimer on the loop's timer wheel (net::TimerWheel), and wisp::sleep on it.
#include <new>
#include <stdexcept>

#include "net/event_loop.hpp"
#include "wisp/task.hpp"

namespace wisp::detail {

// The wheel's node, with the way back to its LoopTimer; lives in LoopTimer::node_.
struct LoopTimerNode : net::TimerNode {
  explicit LoopTimerNode(LoopTimer& owner) : net::TimerNode(&fired), owner(owner) {}
  static void fired(net::TimerNode& node) {
    LoopTimer& timer = static_cast<LoopTimerNode&>(node).owner;
    timer.fire_(timer.context_);
  }
  static LoopTimerNode& of(LoopTimer& timer) {
    return *std::launder(reinterpret_cast<LoopTimerNode*>(timer.node_));
  }
  static const LoopTimerNode& of(const LoopTimer& timer) {
    return *std::launder(reinterpret_cast<const LoopTimerNode*>(timer.node_));
  }
  LoopTimer& owner;
};
static_assert(sizeof(LoopTimerNode) <= 6 * sizeof(void*));

LoopTimer::LoopTimer() { new (node_) LoopTimerNode(*this); }

LoopTimer::~LoopTimer() {
  cancel();
  LoopTimerNode::of(*this).~LoopTimerNode();
}

void LoopTimer::start(std::chrono::milliseconds delay, Callback fire, void* context) {
  net::EventLoop* loop = net::EventLoop::current();
  if (!loop) throw std::logic_error("wisp: timers (sleep, timeouts) run on a loop thread");
  cancel();
  fire_ = fire;
  context_ = context;
  loop_ = loop;
  loop->timers().schedule(LoopTimerNode::of(*this), delay);
}

void LoopTimer::cancel() {
  LoopTimerNode& node = LoopTimerNode::of(*this);
  // A loop that is gone (its thread tears down what was left suspended) took its wheel along.
  if (node.scheduled() && loop_ == net::EventLoop::current()) {
    static_cast<net::EventLoop*>(loop_)->timers().cancel(node);
  }
}

bool LoopTimer::pending() const { return LoopTimerNode::of(*this).scheduled(); }

void SleepAwaiter::await_suspend(std::coroutine_handle<> handle) {
  handle_ = handle;
  timer_.start(
      delay_, [](void* self) { static_cast<SleepAwaiter*>(self)->handle_.resume(); }, this);
}

}  // namespace wisp::detail
