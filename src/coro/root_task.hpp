// A coroutine nobody awaits (a session's, an App::spawn'ed task): it starts when told, frees
// its frame when it ends, and is destroyed with its loop thread if it is still suspended then
// (a sleep the loop will never finish), so that nothing leaks when the app stops.
#pragma once

#include <coroutine>
#include <exception>

namespace wisp::detail {

class RootTask {
 public:
  struct promise_type {
    promise_type();  // on the thread that will run it: joins that thread's list
    ~promise_type();
    RootTask get_return_object() {
      return RootTask(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    // Root bodies catch everything themselves.
    void unhandled_exception() noexcept { std::terminate(); }

    promise_type* prev = nullptr;
    promise_type* next = nullptr;
  };

  // Runs it until its first suspension (or its end).
  void start() { handle_.resume(); }

 private:
  explicit RootTask(std::coroutine_handle<promise_type> handle) : handle_(handle) {}
  std::coroutine_handle<promise_type> handle_;
};

}  // namespace wisp::detail
