// The loop thread's list of suspended root coroutines, destroyed when the thread ends.
#include "coro/root_task.hpp"

namespace wisp::detail {
namespace {

struct Roots {
  RootTask::promise_type* head = nullptr;
  ~Roots() {
    while (head) std::coroutine_handle<RootTask::promise_type>::from_promise(*head).destroy();
  }
};

Roots& roots() {
  thread_local Roots list;
  return list;
}

}  // namespace

RootTask::promise_type::promise_type() {
  Roots& list = roots();
  next = list.head;
  if (next) next->prev = this;
  list.head = this;
}

RootTask::promise_type::~promise_type() {
  Roots& list = roots();
  (prev ? prev->next : list.head) = next;
  if (next) next->prev = prev;
}

}  // namespace wisp::detail
