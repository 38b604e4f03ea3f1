// The connection's HTTP phase: requests and their bodies, HTTP routes, keep-alive and
// pipelining, and the upgrade to a WebSocket.
#include <ctime>

#include "net/tcp_listener.hpp"
#include "protocol/handshake.hpp"
#include "server/connection.hpp"
#include "server/http_exchange.hpp"
#include "server/http_router.hpp"
#include "server/http_types.hpp"
#include "server/loop_server.hpp"

namespace wisp::server {
namespace {

LoopServer& server() { return LoopServer::current(); }

// HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 only when asked to keep it.
bool keeps_alive(const protocol::HttpRequest& request) {
  if (request.has_token("connection", "close")) return false;
  return request.version_minor >= 1 || request.has_token("connection", "keep-alive");
}

bool contains(std::string_view outer, const char* p) {
  return p >= outer.data() && p < outer.data() + outer.size();
}

// The peer's address without its port.
std::string peer_ip(int fd) {
  std::string address = net::peer_address(fd);
  const auto port = address.rfind(':');
  if (port == std::string::npos) return address;
  address.erase(port);
  if (address.starts_with('[')) address = address.substr(1, address.size() - 2);
  return address;
}

// Every Sec-WebSocket-Extensions field of the request as one list (RFC 9110 §5.3).
std::string joined_extensions(const protocol::HttpRequest& request) {
  std::string joined;
  for (const auto& header : request.headers) {
    if (!protocol::iequals(header.name, "sec-websocket-extensions")) continue;
    if (!joined.empty()) joined.append(", ");
    joined.append(header.value);
  }
  return joined;
}

}  // namespace

void Connection::read_http(std::uint8_t* data, std::size_t size) {
  if (!http_) http_ = std::make_unique<HttpExchange>(server().options());
  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (phase_ == Phase::Http && !input.empty()) {
    if (sending_file()) {  // answered once the file is out
      http_->held.append(input);
      return;
    }
    if (!(http_->handler ? read_body(input) : read_head(input))) return;
  }
}

// Reads a request head (and what of its body is here); false when the input is used up or the
// exchange ended here.
bool Connection::read_head(std::string_view& input) {
  HttpExchange& http = *http_;
  const auto result = http.parser.feed(input);
  if (result.status == protocol::HttpRequestParser::Status::Incomplete) return false;
  if (result.status == protocol::HttpRequestParser::Status::Error) {
    reject(http.parser.error_status(), http.parser.error_reason());
    return false;
  }
  const std::string_view head = input.substr(0, result.consumed);
  input.remove_prefix(result.consumed);
  if (!http.admitted && !admit()) return false;
  const protocol::HttpRequest& request = http.parser.request();
  if (protocol::wants_websocket(request)) {
    upgrade(request, input);
    return false;
  }
  const auto match = server().app().http_routes.match(request.method, request.path, http.params);
  if (match.status != RouteStatus::Found) {
    respond_to_miss(match.status, request);
    return false;
  }
  const auto body = http.body.start(request, {.max_body_size = server().options().max_body_size});
  if (body == protocol::HttpBodyReader::Status::Error) {
    reject(http.body.error_status(), http.body.error_reason());
    return false;
  }
  http.handler = match.handler;
  if (body == protocol::HttpBodyReader::Status::Complete) {
    serve({});
    return phase_ == Phase::Http;
  }
  if (read_body(input)) return true;
  if (phase_ == Phase::Http && http_->handler) wait_for_body(head);
  return false;
}

// The body comes in later reads: the head (whose views may point into this read's bytes) is
// kept, and a client that waits for it is told to go on.
void Connection::wait_for_body(std::string_view head) {
  HttpExchange& http = *http_;
  if (contains(head, http.parser.request().method.data())) {
    http.head_copy.assign(head);
    http.parser.reset();
    http.parser.feed(http.head_copy);
    const protocol::HttpRequest& request = http.parser.request();
    http.handler =
        server().app().http_routes.match(request.method, request.path, http.params).handler;
  }
  if (http.body.size() == 0 && protocol::expects_continue(http.parser.request())) {
    std::string& interim = server().scratch();
    interim.clear();
    protocol::append_continue(interim);
    write(interim);
  }
}

// Reads the current request's body; true once it was served and the connection goes on.
bool Connection::read_body(std::string_view& input) {
  HttpExchange& http = *http_;
  const auto result = http.body.feed(input, http.body_bytes);
  if (result.status == protocol::HttpBodyReader::Status::Error) {
    reject(http.body.error_status(), http.body.error_reason());
    return false;
  }
  input.remove_prefix(result.consumed);
  const bool chunked = http.body.chunked();  // a chunked body is decoded into body_bytes
  if (result.status == protocol::HttpBodyReader::Status::Incomplete) {
    if (!chunked) http.body_bytes.append(result.data);
    return false;
  }
  std::string_view body = http.body_bytes;
  if (!chunked) body = http.body_bytes.empty() ? result.data : http.body_bytes.append(result.data);
  serve(body);
  return phase_ == Phase::Http;
}

void Connection::serve(std::string_view body) {
  HttpExchange& http = *http_;
  const protocol::HttpRequest& head = http.parser.request();
  Request request(head, http.params, body);
  Response response;
  try {
    (*http.handler)(request, response);
  } catch (const std::exception&) {
    response = Response();
    response.status(500).text("Internal Server Error");
  }
  if (!response.ended()) response.status(500).text("the handler did not answer");
  const bool keep = keeps_alive(head);
  const protocol::ResponseFraming framing{
      .date = server().http_date(), .head = head.method == "HEAD", .close = !keep};
  if (response.file_path().empty()) {
    std::string& out = server().scratch();
    out.clear();
    append_response(out, response, framing);
    write(out);
  } else {
    write_file(response, head, framing);
  }
  http.handler = nullptr;
  http.body_bytes.clear();
  if (!keep) return end_http();
  schedule(server().options().handshake_timeout);  // the next request has as long
}

void Connection::respond_to_miss(RouteStatus status, const protocol::HttpRequest& request) {
  if (status == RouteStatus::BadRequest) return reject(400, "invalid percent-encoding in the path");
  const bool method = status == RouteStatus::MethodNotAllowed;
  std::string allow;
  if (method)
    allow.append("Allow: ").append(server().app().http_routes.allow(request.path)).append("\r\n");
  std::string& out = server().scratch();
  out.clear();
  protocol::append_error_response(out, method ? 405 : 404,
                                  method ? "Method Not Allowed" : "Not Found", allow);
  write(out);
  end_http();  // append_error_response says Connection: close
}

// Answers with an error and ends the connection (what follows may not be a request).
void Connection::reject(int status, std::string_view reason, std::string_view extra_headers) {
  LoopMetrics::add(server().metrics().handshakes_refused);
  std::string& response = server().scratch();
  response.clear();
  protocol::append_error_response(response, status, reason, extra_headers);
  write(response);
  end_http();
}

void Connection::end_http() {
  http_.reset();
  phase_ = Phase::Closing;
  shutdown_write();
  schedule(std::chrono::seconds(5));
}

bool Connection::admit() {
  http_->admitted = true;
  if (server().options().connections_per_ip_per_minute == 0 ||
      server().app().admit_connection(peer_ip(fd()))) {
    return true;
  }
  reject(429, "too many connections from this address", "Retry-After: 60\r\n");
  return false;
}

void Connection::upgrade(const protocol::HttpRequest& request, std::string_view rest) {
  const protocol::UpgradeCheck check = protocol::check_upgrade(request);
  if (!check.ok()) {
    return reject(check.status, check.reason,
                  check.status == 426 ? "Sec-WebSocket-Version: 13\r\n" : "");
  }
  const Route* route = server().router().match(request.path);
  if (!route) return reject(404, "Not Found: no WebSocket route at this path");
  if (route->behavior.settings.client_registry && !register_client(*route, request)) {
    return reject(409, "this client id is already connected");
  }
  std::optional<protocol::DeflateParams> deflate;
  if (route->behavior.settings.compression != Compression::Off) {
    deflate = protocol::negotiate_deflate(joined_extensions(request), route->deflate);
  }
  accept(*route, check.key, deflate);
  // Frames that came in the same read as the request are not lost.
  if (phase_ == Phase::Open && !rest.empty()) {
    auto* bytes = reinterpret_cast<std::uint8_t*>(const_cast<char*>(rest.data()));
    reader_.consume(bytes, rest.size(), reader_config(), *this);
  }
}

}  // namespace wisp::server
