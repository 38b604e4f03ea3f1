// Coroutines on the loop threads: wisp::Task<T>, wisp::sleep, wisp::with_timeout.
//
//   wisp::Task<int> answer() { co_await wisp::sleep(std::chrono::milliseconds(10)); co_return 42; }
//
// A Task is lazy: it starts when it is awaited, runs on the awaiting coroutine's thread, and
// resumes the awaiter when it ends (symmetric transfer: a chain of awaits grows no stack). An
// exception that leaves the task is thrown again from the co_await. A Task that is destroyed
// before it ends is cancelled: its frame is freed and every await it was in is withdrawn.
// Everything here is for the loop threads (handlers, sessions, App::spawn'ed tasks).
#pragma once

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp {

// Raised by with_timeout (and the timed receives of wisp::Session) when the time ran out first.
class Timeout : public std::runtime_error {
 public:
  Timeout() : std::runtime_error("wisp: timed out") {}
};

template <class T = void>
class Task;

namespace detail {

class WaitList;

// A suspended coroutine in a WaitList (a session's drain, a channel's readers). Intrusive: an
// await allocates nothing. A Waiter that is destroyed while linked (its coroutine was cancelled)
// leaves its list.
struct Waiter {
  Waiter() = default;
  Waiter(Waiter&&) noexcept {}  // a fresh, unlinked waiter: awaiters move only before they wait
  Waiter& operator=(Waiter&&) = delete;
  ~Waiter();

  std::coroutine_handle<> handle{};
  Waiter* prev = nullptr;
  Waiter* next = nullptr;
  WaitList* list = nullptr;
};

class WaitList {
 public:
  WaitList() = default;
  WaitList(const WaitList&) = delete;
  WaitList& operator=(const WaitList&) = delete;
  // Waiters still linked are let go (they resume never: their owner is going away too).
  ~WaitList() {
    while (head_) unlink(*head_);
  }

  bool empty() const { return head_ == nullptr; }
  void push(Waiter& waiter) {
    waiter.list = this;
    waiter.prev = tail_;
    waiter.next = nullptr;
    (tail_ ? tail_->next : head_) = &waiter;
    tail_ = &waiter;
  }
  void unlink(Waiter& waiter) {
    (waiter.prev ? waiter.prev->next : head_) = waiter.next;
    (waiter.next ? waiter.next->prev : tail_) = waiter.prev;
    waiter.prev = waiter.next = nullptr;
    waiter.list = nullptr;
  }
  // Resumes the first waiter; false if there is none.
  bool wake_one() {
    if (!head_) return false;
    Waiter& first = *head_;
    unlink(first);
    first.handle.resume();
    return true;
  }
  // Resumes every waiter linked now (not those that start waiting while this runs).
  void wake_all() {
    WaitList now;
    move_all_to(now);
    while (now.wake_one()) {
    }
  }
  // Moves every waiter, in order, to the end of `other`.
  void move_all_to(WaitList& other) {
    while (head_) {
      Waiter& first = *head_;
      unlink(first);
      other.push(first);
    }
  }

 private:
  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
};

inline Waiter::~Waiter() {
  if (list) list->unlink(*this);
}

// A one-shot timer on the calling loop thread's timer wheel (10 ms ticks), embedded in the
// awaiter that uses it: no allocation. Not movable (the wheel links it).
class LoopTimer {
 public:
  using Callback = void (*)(void* context);
  LoopTimer();
  ~LoopTimer();
  LoopTimer(const LoopTimer&) = delete;
  LoopTimer& operator=(const LoopTimer&) = delete;

  // Calls `fire(context)` on this thread's loop `delay` from now (rounded up to a tick), unless
  // cancelled first. Throws std::logic_error off a loop thread.
  void start(std::chrono::milliseconds delay, Callback fire, void* context);
  void cancel();
  bool pending() const;

 private:
  friend struct LoopTimerNode;
  alignas(void*) std::byte node_[6 * sizeof(void*)];  // a net::TimerNode and this' address
  void* loop_ = nullptr;                              // the loop it was started on
  Callback fire_ = nullptr;
  void* context_ = nullptr;
};

struct PromiseBase {
  std::coroutine_handle<> continuation = std::noop_coroutine();
  std::exception_ptr error;

  struct Final {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> done) noexcept {
      return done.promise().continuation;
    }
    void await_resume() noexcept {}
  };
  std::suspend_always initial_suspend() noexcept { return {}; }
  Final final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }
  void rethrow() const {
    if (error) std::rethrow_exception(error);
  }
};

template <class T>
struct Promise : PromiseBase {
  std::optional<T> value;
  Task<T> get_return_object() noexcept;
  template <class U>
  void return_value(U&& result) {
    value.emplace(std::forward<U>(result));
  }
  T take() {
    rethrow();
    return std::move(*value);
  }
};

template <>
struct Promise<void> : PromiseBase {
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() const { rethrow(); }
};

struct TaskAccess;

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;
  using value_type = T;

  Task() = default;
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  ~Task() {
    if (handle_) handle_.destroy();
  }

  // False for a default-constructed or moved-from Task.
  explicit operator bool() const { return static_cast<bool>(handle_); }
  // True once the task ran to its end (a result or an exception).
  bool done() const { return handle_ && handle_.done(); }

  // Starts the task; the awaiter resumes with its result, or its exception thrown again.
  auto operator co_await() && noexcept { return Awaiter{handle_}; }
  auto operator co_await() & noexcept { return Awaiter{handle_}; }

 private:
  friend promise_type;
  friend struct detail::TaskAccess;
  explicit Task(std::coroutine_handle<promise_type> handle) : handle_(handle) {}

  struct Awaiter {
    std::coroutine_handle<promise_type> task;
    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
      task.promise().continuation = awaiting;
      return task;
    }
    T await_resume() { return task.promise().take(); }
  };

  std::coroutine_handle<promise_type> handle_;
};

namespace detail {

template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}

// What the runtime needs of a Task: its frame, to start it as a root or cancel it.
struct TaskAccess {
  template <class T>
  static std::coroutine_handle<Promise<T>> handle(Task<T>& task) {
    return task.handle_;
  }
};

class SleepAwaiter {
 public:
  explicit SleepAwaiter(std::chrono::milliseconds delay) : delay_(delay) {}
  bool await_ready() const noexcept { return delay_.count() <= 0; }
  void await_suspend(std::coroutine_handle<> handle);
  void await_resume() const noexcept {}

 private:
  std::chrono::milliseconds delay_;
  std::coroutine_handle<> handle_{};
  LoopTimer timer_;
};

// with_timeout's awaiter: runs `task` against a timer; whichever ends first wins, and a task
// that lost is destroyed (cancelled).
template <class T>
class TimeoutAwaiter {
 public:
  TimeoutAwaiter(std::chrono::milliseconds limit, Task<T> task)
      : limit_(limit), task_(std::move(task)) {}
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) {
    awaiting_ = awaiting;
    auto handle = TaskAccess::handle(task_);
    handle.promise().continuation = awaiting;
    timer_.start(limit_, &expire, this);
    return handle;
  }
  T await_resume() {
    timer_.cancel();
    if (timed_out_) throw Timeout();
    return TaskAccess::handle(task_).promise().take();
  }

 private:
  static void expire(void* context) {
    auto* self = static_cast<TimeoutAwaiter*>(context);
    self->timed_out_ = true;
    self->task_ = Task<T>();  // cancels it: its awaits are withdrawn, its frame freed
    self->awaiting_.resume();
  }

  std::chrono::milliseconds limit_;
  Task<T> task_;
  std::coroutine_handle<> awaiting_{};
  bool timed_out_ = false;
  LoopTimer timer_;
};

template <class Awaitable>
auto as_task(Awaitable awaitable)
    -> Task<std::remove_cvref_t<decltype(std::declval<Awaitable&>().await_resume())>> {
  co_return co_await awaitable;
}

}  // namespace detail

// Resumes the awaiting coroutine after `delay`, on its own loop thread (10 ms resolution).
// Throws std::logic_error off a loop thread.
inline detail::SleepAwaiter sleep(std::chrono::milliseconds delay) {
  return detail::SleepAwaiter(delay);
}

// Awaits `task` for at most `limit`: its result, or wisp::Timeout once the time is up (the task
// is then cancelled). Also takes any awaitable of wisp's (a receive, a send, a channel's
// receive), e.g. `co_await wisp::with_timeout(30s, s.receive_text())`.
template <class T>
detail::TimeoutAwaiter<T> with_timeout(std::chrono::milliseconds limit, Task<T> task) {
  return detail::TimeoutAwaiter<T>(limit, std::move(task));
}
template <class Awaitable>
auto with_timeout(std::chrono::milliseconds limit, Awaitable awaitable) {
  return with_timeout(limit, detail::as_task(std::move(awaitable)));
}

}  // namespace wisp

#pragma GCC visibility pop
