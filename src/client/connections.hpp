// The connections of one Client on its loop, and its connects under way, so that the client's
// end can end them (a connection otherwise lives on the loop until it closes).
#pragma once

#include <unordered_set>

namespace wisp::client {

class Connections {
 public:
  class Member {
   public:
    // Ends at once, without handlers: the client is going away.
    virtual void abandon() = 0;

   protected:
    ~Member() = default;
  };

  void add(Member& member) { members_.insert(&member); }
  void remove(Member& member) { members_.erase(&member); }
  void abandon_all() {
    const auto members = members_;  // abandon() removes its member
    for (Member* member : members) member->abandon();
  }

 private:
  std::unordered_set<Member*> members_;
};

}  // namespace wisp::client
