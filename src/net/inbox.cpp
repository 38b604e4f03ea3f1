#include "net/inbox.hpp"

namespace wisp::net {

Inbox::~Inbox() { destroy(head_.exchange(nullptr, std::memory_order_acquire)); }

// Once the exchange succeeds the node is the consumer's (it may run and free it at once): what
// was there before is read from `head`, never from the node.
bool Inbox::push(std::function<void()> task) {
  Node* node = new Node{std::move(task), nullptr};
  Node* head = head_.load(std::memory_order_relaxed);
  do {
    node->next = head;
  } while (!head_.compare_exchange_weak(head, node, std::memory_order_release,
                                        std::memory_order_relaxed));
  return head == nullptr;
}

std::size_t Inbox::run_all() {
  Node* batch = reversed(head_.exchange(nullptr, std::memory_order_acquire));
  std::size_t ran = 0;
  while (batch) {
    Node* node = batch;
    batch = node->next;
    try {
      node->task();
    } catch (...) {
      destroy(batch);  // the loop reports the error; the rest of the batch goes with it
      delete node;
      throw;
    }
    delete node;
    ++ran;
  }
  return ran;
}

Inbox::Node* Inbox::reversed(Node* newest_first) {
  Node* oldest_first = nullptr;
  while (newest_first) {
    Node* next = newest_first->next;
    newest_first->next = oldest_first;
    oldest_first = newest_first;
    newest_first = next;
  }
  return oldest_first;
}

void Inbox::destroy(Node* list) {
  while (list) {
    Node* next = list->next;
    delete list;
    list = next;
  }
}

}  // namespace wisp::net
