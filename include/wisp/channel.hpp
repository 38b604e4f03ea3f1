// A bounded queue between coroutines of one loop thread (seed 003's MessageQueue).
//
//   wisp::Channel<std::string> queue(1000, wisp::Overflow::DropOldest);
//   co_await queue.send(message);             // never waits: when full, the oldest goes
//   std::string next = co_await queue.receive();
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "wisp/task.hpp"

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp {

// What send() does on a full channel.
enum class Overflow {
  Wait,        // the sender waits for room (flow control: nothing is lost)
  DropOldest,  // the oldest value is dropped (counted in dropped()) and the new one goes in
};

// Raised by send() on a closed channel, and by receive() once it is closed and empty.
class ChannelClosed : public std::runtime_error {
 public:
  ChannelClosed() : std::runtime_error("wisp::Channel: closed") {}
};

// Every call is for one loop thread (the coroutines that share it run there). Values wait in a
// ring of `capacity` slots made at construction: sending and receiving allocate nothing.
template <class T>
class Channel {
 public:
  // Throws std::invalid_argument for a capacity of 0.
  explicit Channel(std::size_t capacity, Overflow overflow = Overflow::Wait)
      : slots_(capacity), overflow_(overflow) {
    if (capacity == 0) throw std::invalid_argument("wisp::Channel: capacity must be positive");
  }
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  class [[nodiscard]] SendAwaiter : detail::Waiter {
   public:
    bool await_ready() {
      if (channel_.closed_ || !channel_.full() || channel_.overflow_ == Overflow::DropOldest) {
        return true;
      }
      return false;
    }
    void await_suspend(std::coroutine_handle<> handle) {
      this->handle = handle;
      channel_.senders_.push(*this);
    }
    void await_resume() {
      if (channel_.closed_) throw ChannelClosed();
      channel_.put(std::move(value_));
    }

   private:
    friend class Channel;
    SendAwaiter(Channel& channel, T value) : channel_(channel), value_(std::move(value)) {}
    Channel& channel_;
    T value_;
  };

  class [[nodiscard]] ReceiveAwaiter : detail::Waiter {
   public:
    bool await_ready() const { return channel_.count_ > 0 || channel_.closed_; }
    void await_suspend(std::coroutine_handle<> handle) {
      this->handle = handle;
      channel_.receivers_.push(*this);
    }
    T await_resume() {
      if (channel_.count_ == 0) throw ChannelClosed();
      return channel_.take();
    }

   private:
    friend class Channel;
    explicit ReceiveAwaiter(Channel& channel) : channel_(channel) {}
    Channel& channel_;
  };

  // Puts `value` in; with Overflow::Wait, first waits while the channel is full. Throws
  // ChannelClosed if the channel is closed (then or while waiting).
  SendAwaiter send(T value) { return SendAwaiter(*this, std::move(value)); }
  // Puts `value` in if there is room (or drops the oldest, with DropOldest); false when it is
  // full (Wait) or closed.
  bool try_send(T value) {
    if (closed_ || (full() && overflow_ == Overflow::Wait)) return false;
    put(std::move(value));
    return true;
  }
  // The oldest value; waits while the channel is empty. Throws ChannelClosed once it is closed
  // and empty.
  ReceiveAwaiter receive() { return ReceiveAwaiter(*this); }
  // Wakes every waiting sender and receiver: values already in are still received.
  void close() {
    closed_ = true;
    senders_.wake_all();
    receivers_.wake_all();
  }

  bool closed() const { return closed_; }
  std::size_t size() const { return count_; }
  std::size_t capacity() const { return slots_.size(); }
  // Values dropped by Overflow::DropOldest.
  std::uint64_t dropped() const { return dropped_; }

 private:
  bool full() const { return count_ == slots_.size(); }
  void put(T value) {
    if (full()) {  // DropOldest (Wait never gets here full)
      slots_[head_].reset();
      head_ = (head_ + 1) % slots_.size();
      --count_;
      ++dropped_;
    }
    slots_[(head_ + count_) % slots_.size()].emplace(std::move(value));
    ++count_;
    receivers_.wake_one();
  }
  T take() {
    T value = std::move(*slots_[head_]);
    slots_[head_].reset();
    head_ = (head_ + 1) % slots_.size();
    --count_;
    senders_.wake_one();
    return value;
  }

  std::vector<std::optional<T>> slots_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  Overflow overflow_;
  bool closed_ = false;
  std::uint64_t dropped_ = 0;
  detail::WaitList senders_;
  detail::WaitList receivers_;
};

}  // namespace wisp

#pragma GCC visibility pop
