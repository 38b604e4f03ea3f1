// HTTP requests and responses, as route handlers see them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The server's, opaque here; declared before the push so that libwisp.so does not export it.
namespace wisp::detail {
struct RequestAccess;  // makes Requests (src/server/http_types.hpp)
}

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp {

namespace protocol {
struct HttpRequest;
}
namespace server {
class Connection;
class Later;
class RouteParams;
}  // namespace server

class DeferredResponse;

// One HTTP request, for the duration of its handler call. Every view it returns points into the
// connection's buffers: copy what you keep past the call (e.g. to answer later).
class Request {
 public:
  // The method as sent, e.g. "GET" (methods are case-sensitive).
  std::string_view method() const;
  // The path as sent (percent-encoded), without the query: "/users/a%20b".
  std::string_view path() const;
  // The query as sent, after '?' and without it; empty if none.
  std::string_view query() const;
  // The first header named `name` (case-insensitive), or an empty view if there is none.
  std::string_view header(std::string_view name) const;
  // A path parameter of the route ("id" for "/users/{id}", "*" for a wildcard's rest),
  // percent-decoded; an empty view if the route has none of that name.
  std::string_view param(std::string_view name) const;
  // The first query parameter named `name`, decoded ('+' is a space); nullopt if there is none.
  std::optional<std::string> query(std::string_view name) const;
  // Every query parameter, decoded, in order.
  std::vector<std::pair<std::string, std::string>> query_params() const;
  // The whole body (a chunked one decoded); empty if there is none.
  std::string_view body() const { return body_; }
  // The peer's address as "ip:port" ("[ip]:port" for IPv6); empty if it cannot be read. Asked of
  // the kernel on each call (not kept per request).
  std::string remote_address() const;

 private:
  friend struct detail::RequestAccess;
  // Made by the server; the three arguments must outlive the Request. `socket`: the connection's
  // descriptor, for remote_address() (-1: none).
  Request(const protocol::HttpRequest& head, const server::RouteParams& params,
          std::string_view body, int socket);

  const protocol::HttpRequest* head_;  // not owned
  const server::RouteParams* params_;  // not owned
  std::string_view body_;
  int socket_;
};

// The answer to one request: set the status and headers, then end it with text(), json() or
// file(). Every call throws std::logic_error once the response has ended.
class Response {
 public:
  using Header = std::pair<std::string, std::string>;

  // Sets the status code (200 unless set). Throws std::invalid_argument outside 200..599:
  // interim (1xx) responses and upgrades are the server's to send.
  Response& status(int code);
  // Adds a header; a name given twice is sent twice (e.g. Set-Cookie). Throws
  // std::invalid_argument if `name` is not a token, if `value` holds CR, LF or another control
  // character but HTAB (they would let the value write headers of its own), or for the headers
  // the server writes itself: Content-Length, Transfer-Encoding, Connection and Date.
  Response& header(std::string_view name, std::string_view value);
  // Ends the response with `body`, as "text/plain; charset=utf-8" unless a Content-Type was set.
  void text(std::string_view body);
  // Ends the response with `json`, already serialized, as "application/json" unless a
  // Content-Type was set.
  void json(std::string_view json);
  // Ends the response with the file at `path`, opened when the handler returns and sent without
  // copying it through user space (plain TCP; TLS encrypts it a record at a time), with a
  // Content-Type by its extension (unless one was set), an ETag (size and modification time) and
  // a Last-Modified. A request whose If-None-Match matches the ETag (or, without one, whose
  // If-Modified-Since equals the Last-Modified) gets 304 Not Modified; a path that is not a
  // readable regular file gets 404. The path is used as given: check what a client chose (see
  // App::static_files). A client that takes none of the file for AppOptions::handshake_timeout
  // is dropped. Throws std::invalid_argument for an empty path.
  void file(std::string_view path);
  // The path file() named; empty for a text() or json() response.
  std::string_view file_path() const { return file_; }
  // Answers later, from any thread (a worker, a timer): the handler returns without an answer
  // and the returned handle carries the status and headers set so far. Requests pipelined
  // behind this one are answered after it, in order. Throws std::logic_error for a response the
  // server did not make (nothing to answer later) or one that has ended.
  [[nodiscard]] DeferredResponse defer();

  int status() const { return status_; }
  const std::vector<Header>& headers() const { return headers_; }
  std::string_view body() const { return body_; }
  bool ended() const { return ended_; }
  bool deferred() const { return deferred_; }

 private:
  friend class server::Connection;
  void end(std::string_view default_content_type, std::string_view body);
  void check_open() const;

  int status_ = 200;
  std::vector<Header> headers_;
  std::string body_;
  std::string file_;
  bool ended_ = false;
  bool deferred_ = false;
  server::Connection* connection_ = nullptr;  // the server's responses can be deferred
};

// A response answered later: made by Response::defer(). Move-only; its calls are safe from any
// thread (one at a time), and throw as Response's do. If the client left meanwhile the answer
// goes nowhere and nothing else happens. Dropped without an answer, it answers 500. The
// connection is dropped if no answer comes within the app's handshake_timeout. Answer (or drop
// it) before the App is destroyed.
class DeferredResponse {
 public:
  DeferredResponse(DeferredResponse&&) noexcept = default;
  DeferredResponse& operator=(DeferredResponse&&) noexcept = default;
  ~DeferredResponse();

  DeferredResponse& status(int code) {
    response_.status(code);
    return *this;
  }
  DeferredResponse& header(std::string_view name, std::string_view value) {
    response_.header(name, value);
    return *this;
  }
  // End the response and send it, as Response's do.
  void text(std::string_view body);
  void json(std::string_view json);

 private:
  friend class Response;
  DeferredResponse(std::shared_ptr<server::Later> later, Response started);
  void send();

  std::shared_ptr<server::Later> later_;
  Response response_;
};

}  // namespace wisp

#pragma GCC visibility pop
