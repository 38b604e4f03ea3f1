// The connections of one Client on its loop, and its connects under way, so that the client's
// end can end them (a connection otherwise lives on the loop until it closes).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <unordered_set>
#include <utility>

#include "net/event_loop.hpp"

namespace wisp::client {

// The way back to a client's loop for its other threads (host name lookups): cut when the client
// goes, before its loop may, after which their posts are dropped.
class LoopLink {
 public:
  explicit LoopLink(net::EventLoop* loop) : loop_(loop) {}
  void post(std::function<void()> task) {
    std::lock_guard lock(mutex_);
    if (loop_) loop_->post(std::move(task));
  }
  void cut() {
    std::lock_guard lock(mutex_);
    loop_ = nullptr;
  }

 private:
  std::mutex mutex_;
  net::EventLoop* loop_;
};

class Connections {
 public:
  class Member {
   public:
    // Ends at once, without handlers: the client is going away.
    virtual void abandon() = 0;

   protected:
    ~Member() = default;
  };

  explicit Connections(net::EventLoop* loop) : link_(std::make_shared<LoopLink>(loop)) {}

  void add(Member& member) { members_.insert(&member); }
  void remove(Member& member) { members_.erase(&member); }
  void abandon_all() {
    link_->cut();
    const auto members = members_;  // abandon() removes its member
    for (Member* member : members) member->abandon();
  }
  const std::shared_ptr<LoopLink>& link() const { return link_; }

 private:
  std::unordered_set<Member*> members_;
  std::shared_ptr<LoopLink> link_;
};

}  // namespace wisp::client
