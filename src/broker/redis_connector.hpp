// Makes one app's connections to Redis alike (the broker's two, the service actions' two or
// three): the same endpoint, the options' reconnection bounds with node_timeout bounding one
// attempt (connect, AUTH, SELECT), and one counter of reconnection attempts.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "broker/redis_connection.hpp"
#include "broker/redis_url.hpp"
#include "net/event_loop.hpp"
#include "wisp/settings.hpp"

namespace wisp::broker {

class RedisConnector {
 public:
  // Each argument must outlive the connections made.
  RedisConnector(net::EventLoop& loop, const RedisEndpoint& endpoint, const RedisOptions& options,
                 std::atomic<std::uint64_t>& reconnects);

  // Made, not opened: open each once every connection its events may reach exists.
  std::unique_ptr<RedisConnection> make(RedisConnection::Events events) const;

 private:
  net::EventLoop& loop_;
  const RedisEndpoint& endpoint_;
  RedisConnection::Retry retry_;
  std::atomic<std::uint64_t>& reconnects_;
};

}  // namespace wisp::broker
