#include "server/router.hpp"

#include <stdexcept>

#include "server/compression.hpp"

namespace wisp::server {
namespace {

bool is_prefix_pattern(std::string_view pattern) { return pattern.ends_with("/*"); }

bool matches(std::string_view pattern, std::string_view path) {
  if (!is_prefix_pattern(pattern)) return pattern == path;
  pattern.remove_suffix(1);  // keep the '/'
  return path.starts_with(pattern) || path == pattern.substr(0, pattern.size() - 1);
}

}  // namespace

void Router::add(std::string pattern, WebSocketBehavior behavior, detail::UserDataType user_data) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("wisp: route pattern must start with '/': " + pattern);
  }
  for (const auto& route : routes_) {
    if (route->pattern == pattern)
      throw std::invalid_argument("wisp: route already exists: " + pattern);
  }
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

const Route* Router::match(std::string_view path) const {
  const Route* best = nullptr;
  for (const auto& route : routes_) {
    if (!matches(route->pattern, path)) continue;
    if (!is_prefix_pattern(route->pattern)) return route.get();
    if (!best || route->pattern.size() > best->pattern.size()) best = route.get();
  }
  return best;
}

}  // namespace wisp::server
