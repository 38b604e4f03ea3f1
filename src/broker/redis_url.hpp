// Where a Redis server is and how to log in to it, from a URL (RedisOptions::url).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wisp::broker {

struct RedisEndpoint {
  std::string host;  // empty for a unix socket
  std::uint16_t port = 6379;
  std::string unix_path;  // set for unix:// URLs
  std::string user;       // AUTH user (Redis 6 ACL); empty: the default user
  std::string password;   // empty: no AUTH
  unsigned db = 0;        // SELECT on every connection when not 0
};

// Parses "redis://[[user]:password@]host[:port][/db]" (host may be "[ipv6]") and
// "unix:///path/to/socket[?db=N]". User and password may be percent-encoded. Throws
// std::invalid_argument naming what is wrong.
RedisEndpoint parse_redis_url(std::string_view url);

}  // namespace wisp::broker
