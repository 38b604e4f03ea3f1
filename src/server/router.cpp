#include "server/router.hpp"

#include <new>

#include "server/compression.hpp"

namespace wisp::server {

void* make_user_data(const detail::UserDataType& type) {
  void* data = ::operator new(type.size, std::align_val_t(type.align));
  try {
    type.construct(data);
  } catch (...) {
    ::operator delete(data, std::align_val_t(type.align));
    throw;
  }
  return data;
}

void destroy_user_data(const detail::UserDataType& type, void* data) {
  type.destroy(data);
  ::operator delete(data, std::align_val_t(type.align));
}

void Router::add(std::string pattern, WebSocketBehavior behavior, detail::UserDataType user_data) {
  table_.add("GET", pattern);  // upgrades are GET requests (RFC 6455 §4.1)
  auto route = std::make_unique<Route>();
  route->reader.max_message_size = behavior.settings.max_message_size;
  route->deflate_reader = route->reader;
  route->deflate_reader.compression = true;
  route->deflate = deflate_policy(behavior.settings);
  route->pattern = std::move(pattern);
  route->behavior = std::move(behavior);
  route->user_data = user_data;
  routes_.push_back(std::move(route));
}

void Router::add_drops_to(Metrics& total) const {
  for (const auto& route : routes_) {
    total.dropped_by_route[route->pattern] += route->dropped.load(std::memory_order_relaxed);
  }
}

Router::Match Router::match(std::string_view path, RouteParams& params) const {
  const RouteMatch m = table_.match(path, params);
  return {m.status, m.status == RouteStatus::Found ? routes_[m.route].get() : nullptr};
}

}  // namespace wisp::server
