// What an open socket keeps of its upgrade request: its route's path parameters, the query and
// the headers its hook kept, packed in one string, and the resources middleware asked it to hold.
// A socket gets one only when there is something to keep, so idle sockets on plain routes pay
// nothing for it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace wisp::server {

class KeptRequest {
 public:
  enum class Kind : char { Param, Query, Header };

  // Adds a value; names of Header values compare case-insensitively.
  void add(Kind kind, std::string_view name, std::string_view value);
  // The first value of that kind and name, or an empty view.
  std::string_view find(Kind kind, std::string_view name) const;
  bool empty() const { return packed_.empty() && held_.empty(); }

  std::vector<std::shared_ptr<const void>>& held() { return held_; }

 private:
  // Each value as: kind, name size (1 byte: names are short), name, value size (4 bytes), value.
  std::string packed_;
  std::vector<std::shared_ptr<const void>> held_;
};

}  // namespace wisp::server
