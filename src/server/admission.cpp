#include "server/admission.hpp"

#include <chrono>

namespace wisp::server {

bool Admission::admit(std::string_view ip) {
  if (limit_ == 0) return true;
  const std::int64_t minute = std::chrono::duration_cast<std::chrono::minutes>(
                                  std::chrono::steady_clock::now().time_since_epoch())
                                  .count();
  std::lock_guard lock(mutex_);
  if (by_ip_.size() > 100000) {  // forget the addresses of minutes gone by
    std::erase_if(by_ip_, [&](const auto& entry) { return entry.second.minute != minute; });
  }
  IpWindow& window = by_ip_[std::string(ip)];
  if (window.minute != minute) window = {minute, 0};
  return ++window.connections <= limit_;
}

}  // namespace wisp::server
