// Routes by method and path pattern, generic over the handler type so that HTTP and WebSocket
// routes share one matcher. Also query-string and percent decoding.
//
// Patterns:
//   exact     "/api/rooms"
//   params    "/users/{id}", "/chat/{room}/messages": a {name} is one whole, non-empty segment
//   wildcard  "/static/*": "/static" and everything under "/static/"; the rest after "/static/"
//             (maybe empty, maybe holding '/') is the parameter "*". May follow params too.
// Precedence: exact, then params, then wildcard; within each, registration order. Literal
// segments compare with the path as sent (percent-encoded); parameter values are percent-decoded
// after matching, so "%2F" in a parameter is a '/' inside it, not a segment boundary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wisp::server {

struct RouteParam {
  std::string_view name;   // as in the pattern, or "*"
  std::string_view value;  // percent-decoded
};

// The parameters of one match. Reuse one object across requests: it keeps its capacity, so a
// match allocates nothing once it has grown. Values view the matched path (when it needed no
// decoding) or this object; names view the router. Valid until the next match into it.
class RouteParams {
 public:
  // The value of parameter `name`, or an empty view if there is none.
  std::string_view get(std::string_view name) const;
  std::span<const RouteParam> all() const { return params_; }

 private:
  friend class RouteTable;
  void clear(std::size_t path_size);
  bool decode();  // false if a value's percent-encoding is invalid

  std::vector<RouteParam> params_;
  std::string decoded_;  // reserved to the path's size first, so its views never move
};

enum class RouteStatus {
  Found,
  NotFound,          // 404
  MethodNotAllowed,  // 405: the path matches, the method does not (see allow())
  BadRequest,        // 400: a parameter's percent-encoding is invalid
};

struct RouteMatch {
  RouteStatus status;
  std::size_t route;  // when Found: the route's index, in registration order
};

// The matcher, without handlers.
class RouteTable {
 public:
  RouteTable();
  ~RouteTable();
  RouteTable(RouteTable&&) noexcept;
  RouteTable& operator=(RouteTable&&) noexcept;

  // Adds a route and returns its index. Throws std::invalid_argument if `method` is not a token,
  // or `pattern` does not start with '/', holds '*' other than as a last "/*" segment, a brace
  // other than around a whole segment, a parameter name other than [A-Za-z0-9_]+ or twice, a
  // character outside visible ASCII, '?' or '#', or if the method already has a route of the
  // same shape ("/users/{id}" and "/users/{name}" are the same shape).
  std::size_t add(std::string_view method, std::string_view pattern);

  // The first route for `method` (case-sensitive) whose pattern matches `path` (as sent, without
  // the query), by precedence. HEAD is served by a HEAD route if one matches, else by GET.
  // `params` is filled when Found; it views `path`, so keep that alive while using them.
  RouteMatch match(std::string_view method, std::string_view path, RouteParams& params) const;
  // The same for any method, e.g. for WebSocket routes (never MethodNotAllowed).
  RouteMatch match(std::string_view path, RouteParams& params) const;

  // The Allow value for a 405 (RFC 9110 §10.2.1): the methods of all routes matching `path`,
  // in registration order, with HEAD after GET where GET is allowed. Empty if none matches.
  std::string allow(std::string_view path) const;

 private:
  struct Route;
  enum class Capture { NoMatch, Match, BadEncoding };
  static Capture capture(const Route& route, std::string_view path, RouteParams& params);
  RouteMatch find(std::string_view method, std::string_view path, RouteParams& params) const;

  std::vector<std::unique_ptr<Route>> routes_;  // registration order; stable, params view names
  std::unordered_map<std::string_view, std::vector<std::size_t>> exact_;  // keys view routes_
  std::vector<std::size_t> patterned_;  // params routes, then wildcard routes, each in order
  std::size_t wildcards_ = 0;           // how many of patterned_ are wildcard routes (the tail)
};

// A RouteTable with a handler for each route.
template <class Handler>
class HttpRouter {
 public:
  struct Match {
    RouteStatus status;
    const Handler* handler;  // set when Found; stays valid as more routes are added
  };

  // Throws std::invalid_argument as RouteTable::add does; then nothing was added.
  void add(std::string_view method, std::string_view pattern, Handler handler) {
    handlers_.push_back(std::move(handler));
    try {
      table_.add(method, pattern);
    } catch (...) {
      handlers_.pop_back();
      throw;
    }
  }

  Match match(std::string_view method, std::string_view path, RouteParams& params) const {
    return with_handler(table_.match(method, path, params));
  }
  Match match(std::string_view path, RouteParams& params) const {
    return with_handler(table_.match(path, params));
  }
  std::string allow(std::string_view path) const { return table_.allow(path); }

 private:
  Match with_handler(RouteMatch m) const {
    return {m.status, m.status == RouteStatus::Found ? &handlers_[m.route] : nullptr};
  }

  RouteTable table_;
  std::deque<Handler> handlers_;  // by route index; a deque keeps their addresses on growth
};

// Percent-decodes `in` onto `out` (RFC 3986 §2.1). False, with `out` partly written, if a '%' is
// not followed by two hex digits.
bool percent_decode(std::string_view in, std::string& out);

// Splits a query ("a=1&b=%20x&c") into decoded (name, value) pairs ({a,1}, {b," x"}, {c,""}), in
// order, as HTML forms encode them (application/x-www-form-urlencoded): '+' is a space, empty
// pieces are skipped, and a '%' without two hex digits is kept as sent, as browsers do. The
// query_params() of Request, Upgrade, WebSocket and Session.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);

// The decoded value of the first parameter named `name` (compared decoded), or nullopt.
std::optional<std::string> query_value(std::string_view query, std::string_view name);

}  // namespace wisp::server
