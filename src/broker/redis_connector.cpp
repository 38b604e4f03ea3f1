#include "broker/redis_connector.hpp"

namespace wisp::broker {

RedisConnector::RedisConnector(net::EventLoop& loop, const RedisEndpoint& endpoint,
                               const RedisOptions& options, std::atomic<std::uint64_t>& reconnects)
    : loop_(loop),
      endpoint_(endpoint),
      retry_{options.reconnect_min, options.reconnect_max, options.node_timeout},
      reconnects_(reconnects) {}

std::unique_ptr<RedisConnection> RedisConnector::make(RedisConnection::Events events) const {
  return std::make_unique<RedisConnection>(loop_, endpoint_, retry_, std::move(events),
                                           reconnects_);
}

}  // namespace wisp::broker
