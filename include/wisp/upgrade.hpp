// Upgrade control: what a WebSocket route's `upgrade` hook and the app's upgrade middleware
// (App::use_ws) see of an upgrade request, and how they decide it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wisp/websocket.hpp"  // detail::type_tag

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp {

namespace server {
class Connection;
class Later;
}  // namespace server

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// How an upgrade is accepted.
struct AcceptOptions {
  // The subprotocol to speak (Sec-WebSocket-Protocol): one of those the client offered, or empty
  // for none.
  std::string subprotocol{};
  // More headers for the 101 response (e.g. Set-Cookie).
  HttpHeaders headers{};
};

// A decision taken later: made by Upgrade::defer(). Move-only; every call is safe from any
// thread. Only the first decision about an upgrade counts (later ones, and decisions after the
// client left, do nothing). Dropping it undecided leaves the client waiting until the app's
// handshake_timeout drops it. Decide before the App is destroyed.
class DeferredUpgrade {
 public:
  DeferredUpgrade(DeferredUpgrade&&) noexcept = default;
  DeferredUpgrade& operator=(DeferredUpgrade&&) noexcept = default;
  ~DeferredUpgrade();

  // As Upgrade::accept and Upgrade::reject, with the same exceptions, on the calling thread.
  void accept(AcceptOptions options = {});
  void reject(int status, std::string_view body = {}, const HttpHeaders& headers = {});

 private:
  friend class Upgrade;
  DeferredUpgrade(std::shared_ptr<server::Later> later, std::vector<std::string> offered);

  std::shared_ptr<server::Later> later_;
  std::vector<std::string> offered_;  // the client's subprotocols, to check accept() here
};

// An upgrade request, for the duration of a hook or middleware call (on the connection's loop
// thread). Views it returns are valid during the call; copy what you keep.
class Upgrade {
 public:
  Upgrade(const Upgrade&) = delete;
  Upgrade& operator=(const Upgrade&) = delete;

  std::string_view method() const;
  // The path as sent (percent-encoded), without the query.
  std::string_view path() const;
  // The query as sent, after '?'; empty if none.
  std::string_view query() const;
  // The first query parameter `name`, decoded ('+' is a space); nullopt if there is none.
  std::optional<std::string> query(std::string_view name) const;
  // Every query parameter, decoded, in order.
  std::vector<std::pair<std::string, std::string>> query_params() const;
  // The first header `name` (case-insensitive); empty if there is none.
  std::string_view header(std::string_view name) const;
  // Every header field, in order, names as sent.
  std::vector<std::pair<std::string_view, std::string_view>> headers() const;
  // A path parameter of the route ("room" for "/chat/{room}", "*" for a wildcard's rest),
  // percent-decoded; empty if the route has none of that name.
  std::string_view param(std::string_view name) const;
  // The peer's address, "ip:port" ("[ip]:port" for IPv6).
  std::string remote_address() const;
  // The subprotocols the client offered (every Sec-WebSocket-Protocol field), in its order.
  std::vector<std::string_view> protocols() const;

  // Accepts the upgrade (the hook's default when it decides nothing). Throws
  // std::invalid_argument for a subprotocol the client did not offer, or a header that is not a
  // valid field or one the server writes itself (Upgrade, Connection, Sec-WebSocket-*,
  // Content-Length, Transfer-Encoding, Date); std::logic_error if the upgrade was already
  // decided or the call is over.
  void accept(AcceptOptions options = {});
  // Refuses the upgrade: the client gets `status` (200..599), `headers` and `body` (text/plain
  // unless a Content-Type is given), and the connection closes. Throws std::invalid_argument for
  // another status or a bad header (as Response::header), std::logic_error as accept().
  void reject(int status, std::string_view body = {}, const HttpHeaders& headers = {});
  // Decide later, from any thread (e.g. after an auth lookup on a worker). Throws
  // std::logic_error if the upgrade was already decided.
  [[nodiscard]] DeferredUpgrade defer();

  // Keeps header `name` for the socket: ws.header(name) reads it once open. Only kept headers
  // are stored, so that idle sockets stay small.
  void keep_header(std::string_view name);
  // Keeps `resource` alive while the socket lives: released when it closes, or as soon as the
  // upgrade fails (e.g. a slot of a connection limit).
  void hold(std::shared_ptr<const void> resource);

  // The route's per-socket user data (app.ws<T>), constructed on first use here; the socket
  // keeps this same object (ws.data<T>()). Throws std::logic_error if T is not the route's type.
  template <class T>
  T& data() {
    return detail::user_data_as<T>(
        user_data_type(), user_data(),
        "wisp::Upgrade::data<T>(): T is not this route's user data type");
  }

 protected:
  Upgrade() = default;
  ~Upgrade() = default;

 private:
  void* user_data();
  const void* user_data_type() const;
};

// The rest of an upgrade middleware chain: call it to let the upgrade go on to the next
// middleware and then the route's hook. Copyable; safe from any thread, during the middleware
// call or later (e.g. from a worker after an auth lookup). A middleware that neither calls it
// nor decides leaves the upgrade waiting (bound by handshake_timeout). Only the first decision
// of a middleware counts: next() after reject() does nothing.
class Next {
 public:
  void operator()();

 private:
  friend class server::Connection;
  explicit Next(std::shared_ptr<server::Later> later) : later_(std::move(later)) {}

  std::shared_ptr<server::Later> later_;
};

using UpgradeHook = std::function<void(Upgrade&)>;
using UpgradeMiddleware = std::function<void(Upgrade&, Next)>;

}  // namespace wisp

#pragma GCC visibility pop
