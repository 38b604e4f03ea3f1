// An upgrade on its way through the app's middleware and the route's hook: the public Upgrade,
// with what the connection needs to carry it on (see connection_upgrade.cpp).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "protocol/http_request.hpp"
#include "server/http_router.hpp"
#include "server/later.hpp"
#include "server/router.hpp"
#include "wisp/upgrade.hpp"

namespace wisp::server {

class Connection;

class UpgradeFlow final : public Upgrade {
 public:
  // `request`, `params` and `waiting` belong to the connection's HTTP exchange, which owns this.
  UpgradeFlow(Connection& connection, const protocol::HttpRequest& request,
              const RouteParams& params, const Route& route, std::shared_ptr<Later>& waiting);
  ~UpgradeFlow();
  UpgradeFlow(const UpgradeFlow&) = delete;
  UpgradeFlow& operator=(const UpgradeFlow&) = delete;

  static UpgradeFlow& of(Upgrade& up) { return static_cast<UpgradeFlow&>(up); }
  static const UpgradeFlow& of(const Upgrade& up) { return static_cast<const UpgradeFlow&>(up); }

  // The route's user data, constructed on first use; take_user_data() hands it to the socket.
  void* user_data();
  void* take_user_data();
  // The current stage's decision channel, for calls made during the stage's user code; throws
  // std::logic_error outside that call.
  Later& decision() const;

  Connection& connection;
  const protocol::HttpRequest& request;
  const RouteParams& params;
  const Route& route;
  std::shared_ptr<Later>& waiting;
  std::size_t stage = 0;  // the middleware being run; the middleware count: the route's hook
  bool in_call = false;   // the stage's user code is running
  bool deferred = false;  // the stage's user code called defer()
  std::vector<std::string> kept_headers;
  std::vector<std::shared_ptr<const void>> held;

 private:
  void* user_data_ = nullptr;
};

}  // namespace wisp::server
