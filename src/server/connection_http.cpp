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

}  // namespace

void Connection::read_http(std::uint8_t* data, std::size_t size) {
  if (!http_) http_ = std::make_unique<HttpExchange>(server().options());
  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (phase_ == Phase::Http && !input.empty()) {
    if (http_->waiting || sending_file()) return hold(input);  // answered in order, later
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
  if (event_log::access_wanted()) http.started = std::chrono::steady_clock::now();
  if (!http.admitted && !admit()) return false;
  const protocol::HttpRequest& request = http.parser.request();
  if (protocol::wants_websocket(request)) {
    upgrade(request, head, input);
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

// The head's views may point into bytes that go away after this read (the loop's read buffer):
// then it is copied and parsed again, for a request that waits (for its body, for a decision).
void Connection::keep_head(std::string_view head) {
  HttpExchange& http = *http_;
  if (!contains(head, http.parser.request().method.data())) return;
  http.head_copy.assign(head);
  http.parser.reset();
  http.parser.feed(http.head_copy);
}

// The body comes in later reads: the head is kept, and a client that waits for it is told to
// go on.
void Connection::wait_for_body(std::string_view head) {
  HttpExchange& http = *http_;
  keep_head(head);
  const protocol::HttpRequest& request = http.parser.request();
  http.handler =
      server().app().http_routes.match(request.method, request.path, http.params).handler;
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

// Runs the route's handler. Its answer goes out now, or later (Response::defer) through the
// exchange's Later; meanwhile pipelined requests wait behind it.
void Connection::serve(std::string_view body) {
  HttpExchange& http = *http_;
  const protocol::HttpRequest& head = http.parser.request();
  http.keep_alive = keeps_alive(head);
  http.head_method = head.method == "HEAD";
  Request request = wisp::detail::RequestAccess::make(head, http.params, body, fd());
  Response response;
  response.connection_ = this;
  try {
    (*http.handler)(request, response);
  } catch (const std::exception&) {
    Response failed;
    failed.status(500).text("Internal Server Error");
    if (response.deferred()) {
      http.waiting->finish([failed](Connection& c) { c.answer_later(failed); });
    } else {
      response = failed;
    }
  }
  http.handler = nullptr;
  http.body_bytes.clear();
  if (!response.deferred()) {
    if (!response.ended()) response.status(500).text("the handler did not answer");
    return answer(response);
  }
  if (const Later::Action decided = http.waiting->end_call()) return decided(*this);
  schedule(server().options().handshake_timeout);  // the time the answer has
}

void Connection::answer(const Response& response) {
  HttpExchange& http = *http_;
  end_wait();
  const protocol::ResponseFraming framing{
      .date = server().http_date(), .head = http.head_method, .close = !http.keep_alive};
  const protocol::HttpRequest& request = http.parser.request();
  event_log::access(request.method, request.path, response.status(), response.body().size(),
                    http.started, fd());
  if (response.file_path().empty()) {
    std::string& out = server().scratch();
    out.clear();
    append_response(out, response, framing);
    write(out);
  } else {
    write_file(response, http.parser.request(), framing);  // only from serve(): the head is here
  }
  if (!http.keep_alive) return end_http();
  schedule(server().options().handshake_timeout);  // the next request has as long
}

std::shared_ptr<Later> Connection::defer_answer() {
  end_wait();
  http_->waiting = std::make_shared<Later>(*this);
  return http_->waiting;
}

void Connection::answer_later(const Response& response) {
  answer(response);
  resume_held();
}

// Bytes that came while a decision is awaited; a client that sends too many is dropped.
void Connection::hold(std::string_view input) {
  HttpExchange& http = *http_;
  if (http.held.size() + input.size() >
      server().options().max_header_size + server().options().max_body_size) {
    return finish();
  }
  http.held.append(input);
}

// After an answer that came later: the requests that waited behind it.
void Connection::resume_held() {
  if (phase_ != Phase::Http || !http_ || http_->held.empty()) return;
  std::string bytes = std::move(http_->held);
  http_->held.clear();
  read_http(reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size());
}

// The exchange no longer waits for its Later.
void Connection::end_wait() {
  if (!http_->waiting) return;
  http_->waiting->abandon();
  http_->waiting.reset();
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
  event_log::access(request.method, request.path, method ? 405 : 404, 0, http_->started, fd());
  end_http();  // append_error_response says Connection: close
}

// Answers with an error and ends the connection (what follows may not be a request).
void Connection::reject(int status, std::string_view reason, std::string_view extra_headers) {
  LoopMetrics::add(server().metrics().handshakes_refused);
  const bool parsed = http_ && http_->parser.error_status() == 0;  // else the head is unread
  const std::string_view path = parsed ? http_->parser.request().path : "";
  event_log::refused(parsed && protocol::wants_websocket(http_->parser.request()), status, reason,
                     path, fd());
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
      server().app().admit_connection(net::address_ip(net::peer_address(fd())))) {
    return true;
  }
  reject(429, "too many connections from this address", "Retry-After: 60\r\n");
  return false;
}

}  // namespace wisp::server
