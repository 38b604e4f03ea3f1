// A loop's inbox: work posted from any thread, run on the loop thread in posting order.
//
// A lock-free multi-producer, single-consumer stack (one compare-and-swap per post, no mutex):
// the loop takes the whole stack in one exchange and runs it oldest first. push() says whether
// the inbox was empty, so that only the first post of a batch wakes the loop (one eventfd write
// per batch, however many posts it holds).
#pragma once

#include <atomic>
#include <functional>

namespace wisp::net {

class Inbox {
 public:
  Inbox() = default;
  ~Inbox();  // what was never taken is destroyed, not run
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // Any thread. True if the inbox was empty: the caller wakes the consumer.
  bool push(std::function<void()> task);
  // Consumer thread: runs every task posted so far, oldest first (posts they make wait for the
  // next batch). Returns how many ran.
  std::size_t run_all();

 private:
  struct Node {
    std::function<void()> task;
    Node* next;
  };
  static Node* reversed(Node* newest_first);
  static void destroy(Node* list);

  std::atomic<Node*> head_{nullptr};
};

}  // namespace wisp::net
