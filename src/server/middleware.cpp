// The ready-made upgrade middleware of include/wisp/middleware.hpp.
#include "wisp/middleware.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include "net/tcp_listener.hpp"
#include "protocol/http_request.hpp"

namespace wisp::middleware {
namespace {

// Connection counts by key ("" for a global limit), and the slots that hold them: a slot is
// held by its socket (Upgrade::hold) and gives its count back when the socket goes.
class Counts : public std::enable_shared_from_this<Counts> {
 public:
  explicit Counts(std::size_t limit) : limit_(limit) {}

  // A slot for `key`, or null when `key` is at the limit.
  std::shared_ptr<const void> take(std::string_view key) {
    std::lock_guard lock(mutex_);
    auto [it, added] = counts_.try_emplace(std::string(key), 0);
    if (it->second >= limit_) return nullptr;
    ++it->second;
    return std::make_shared<const Slot>(shared_from_this(), it->first);
  }

 private:
  struct Slot {
    Slot(std::shared_ptr<Counts> counts, std::string key)
        : counts(std::move(counts)), key(std::move(key)) {}
    ~Slot() { counts->give_back(key); }
    std::shared_ptr<Counts> counts;
    std::string key;
  };

  void give_back(const std::string& key) {
    std::lock_guard lock(mutex_);
    const auto it = counts_.find(key);
    if (--it->second == 0) counts_.erase(it);  // forget addresses with nothing open
  }

  const std::size_t limit_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> counts_;
};

HttpHeaders retry_after_header(std::chrono::seconds retry_after) {
  return {{"Retry-After", std::to_string(retry_after.count())}};
}

UpgradeMiddleware limit_by(std::size_t limit, std::function<std::string(Upgrade&)> key, int status,
                           std::string body, std::chrono::seconds retry_after) {
  auto counts = std::make_shared<Counts>(limit);
  return [=](Upgrade& up, Next next) {
    auto slot = counts->take(key(up));
    if (!slot) return up.reject(status, body, retry_after_header(retry_after));
    up.hold(std::move(slot));
    next();
  };
}

std::string_view bearer_token(std::string_view value) {
  constexpr std::string_view prefix = "Bearer ";  // the scheme is case-insensitive
  if (protocol::iequals(value.substr(0, prefix.size()), prefix)) value.remove_prefix(prefix.size());
  return value;
}

}  // namespace

UpgradeMiddleware allowed_origins(std::vector<std::string> origins, bool require_origin) {
  return [origins = std::move(origins), require_origin](Upgrade& up, Next next) {
    const std::string_view origin = up.header("origin");
    const bool listed = std::find(origins.begin(), origins.end(), origin) != origins.end();
    if (listed || (origin.empty() && !require_origin)) return next();
    up.reject(403, "origin not allowed");
  };
}

UpgradeMiddleware token_auth(TokenAuthOptions options) {
  if (!options.validate) throw std::invalid_argument("wisp::middleware::token_auth: no validate");
  return [options = std::move(options)](Upgrade& up, Next next) {
    std::string token;
    if (!options.header.empty()) token = bearer_token(up.header(options.header));
    if (token.empty() && !options.query.empty()) token = up.query(options.query).value_or("");
    if (!token.empty() && options.validate(token, up)) return next();
    up.reject(401, token.empty() ? "missing token" : "invalid token",
              {{"WWW-Authenticate", "Bearer"}});
  };
}

UpgradeMiddleware max_connections(std::size_t limit, std::chrono::seconds retry_after) {
  return limit_by(
      limit, [](Upgrade&) { return std::string(); }, 503, "too many connections", retry_after);
}

UpgradeMiddleware max_connections_per_ip(std::size_t limit, std::chrono::seconds retry_after) {
  return limit_by(
      limit, [](Upgrade& up) { return std::string(net::address_ip(up.remote_address())); }, 429,
      "too many connections from this address", retry_after);
}

}  // namespace wisp::middleware
