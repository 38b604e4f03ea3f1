// Stands in for broker/redis_broker.cpp until it is merged, so that this branch links: an app
// configured with a Redis url fails at construction, saying why.
#include <stdexcept>

#include "broker/broker.hpp"

namespace wisp::broker {

std::unique_ptr<Broker> make_redis_broker(const RedisOptions&, Node&) {
  throw std::logic_error("wisp: built without the Redis broker");
}

}  // namespace wisp::broker
