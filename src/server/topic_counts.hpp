// App-wide subscriber counts per topic, summed from the loops' topic tables. A topic's first
// subscriber on this node and its last one leaving are told to the broker (a cluster broker
// listens to a topic only while this node has a subscriber). Subscribing is not the per-message
// path: one lock is fine here.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace wisp::server {

class TopicCounts {
 public:
  // interest(topic, true) on 0 -> 1, interest(topic, false) on 1 -> 0; called under the lock,
  // so that the broker hears of a topic's changes in their order.
  using Interest = std::function<void(std::string_view topic, bool active)>;
  explicit TopicCounts(Interest interest) : interest_(std::move(interest)) {}

  void change(std::string_view topic, int change);
  std::size_t count(std::string_view topic) const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  Interest interest_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::size_t, Hash, std::equal_to<>> counts_;
};

}  // namespace wisp::server
