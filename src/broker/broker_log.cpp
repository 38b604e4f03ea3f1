#include "broker/broker_log.hpp"

#include <string>

#include "log/log.hpp"

namespace wisp::broker::broker_log {
namespace {

// host:port or the socket's path; never the user or password.
std::string where(const RedisEndpoint& endpoint) {
  if (!endpoint.unix_path.empty()) return "unix://" + endpoint.unix_path;
  return endpoint.host + ":" + std::to_string(endpoint.port);
}

}  // namespace

void lost(const RedisEndpoint& endpoint, std::string_view why) {
  if (!logs::enabled(LogLevel::warn)) return;
  logs::write(LogLevel::warn, "redis.lost", "the connection to Redis was lost",
              {{"redis", where(endpoint)}, {"reason", why}});
}

void retrying(const RedisEndpoint& endpoint, std::string_view why, std::chrono::milliseconds delay,
              unsigned failures) {
  if (!logs::enabled(LogLevel::info)) return;
  logs::write(LogLevel::info, "redis.retry", "connecting to Redis again",
              {{"redis", where(endpoint)},
               {"reason", why},
               {"delay_ms", std::to_string(delay.count())},
               {"attempt", std::to_string(failures)}});
}

void state(bool up, std::string_view node_id) {
  const LogLevel level = up ? LogLevel::info : LogLevel::warn;
  if (!logs::enabled(level)) return;
  logs::write(level, up ? "broker.up" : "broker.down",
              up ? "the broker is connected to Redis" : "the broker lost Redis; messages wait",
              {{"node", node_id}});
}

}  // namespace wisp::broker::broker_log
