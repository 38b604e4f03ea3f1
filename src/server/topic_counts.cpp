#include "server/topic_counts.hpp"

namespace wisp::server {

void TopicCounts::change(std::string_view topic, int change) {
  std::lock_guard lock(mutex_);
  auto found = counts_.find(topic);
  if (found == counts_.end()) {
    if (change < 0) return;  // the tables never do this; a count must not wrap if they did
    found = counts_.emplace(std::string(topic), 0).first;
    interest_(topic, true);
  }
  found->second += change;
  if (found->second == 0) {
    counts_.erase(found);  // an emptied topic frees its memory here too
    interest_(topic, false);
  }
}

std::size_t TopicCounts::count(std::string_view topic) const {
  std::lock_guard lock(mutex_);
  const auto found = counts_.find(topic);
  return found == counts_.end() ? 0 : found->second;
}

}  // namespace wisp::server
