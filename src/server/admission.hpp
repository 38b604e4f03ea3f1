// AppOptions::connections_per_ip_per_minute: new connections counted per address and minute.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace wisp::server {

class Admission {
 public:
  explicit Admission(std::uint32_t per_ip_per_minute) : limit_(per_ip_per_minute) {}
  // Counts a new connection from `ip`; false when it is one too many this minute (0: no limit).
  bool admit(std::string_view ip);

 private:
  struct IpWindow {
    std::int64_t minute = 0;
    std::uint32_t connections = 0;
  };
  const std::uint32_t limit_;
  std::mutex mutex_;
  std::unordered_map<std::string, IpWindow> by_ip_;
};

}  // namespace wisp::server
