#include "server/http_types.hpp"

#include <stdexcept>

#include "net/tcp_listener.hpp"
#include "protocol/http_request.hpp"
#include "server/connection.hpp"
#include "server/http_router.hpp"

namespace wisp {
namespace {

// Fields that frame the message or the connection: the server writes them, so that a handler
// cannot make the length disagree with the body it sends.
bool is_server_field(std::string_view name) {
  for (std::string_view reserved : {"content-length", "transfer-encoding", "connection", "date"}) {
    if (protocol::iequals(name, reserved)) return true;
  }
  return false;
}

}  // namespace

Request::Request(const protocol::HttpRequest& head, const server::RouteParams& params,
                 std::string_view body, int socket)
    : head_(&head), params_(&params), body_(body), socket_(socket) {}

std::string_view Request::method() const { return head_->method; }
std::string_view Request::path() const { return head_->path; }
std::string_view Request::query() const { return head_->query; }
std::string_view Request::header(std::string_view name) const { return head_->header(name); }
std::string_view Request::param(std::string_view name) const { return params_->get(name); }

std::optional<std::string> Request::query(std::string_view name) const {
  return server::query_value(head_->query, name);
}

std::vector<std::pair<std::string, std::string>> Request::query_params() const {
  return server::parse_query(head_->query);
}

std::string Request::remote_address() const { return net::peer_address(socket_); }

Response& Response::status(int code) {
  check_open();
  if (code < 200 || code > 599) {
    throw std::invalid_argument("wisp::Response::status: not a final status code (200..599)");
  }
  status_ = code;
  return *this;
}

Response& Response::header(std::string_view name, std::string_view value) {
  check_open();
  if (!protocol::is_valid_field(name, value)) {
    throw std::invalid_argument("wisp::Response::header: invalid header name or value");
  }
  if (is_server_field(name)) {
    throw std::invalid_argument("wisp::Response::header: the server writes this header itself");
  }
  headers_.emplace_back(name, value);
  return *this;
}

void Response::text(std::string_view body) { end("text/plain; charset=utf-8", body); }
void Response::json(std::string_view json) { end("application/json", json); }

void Response::file(std::string_view path) {
  check_open();
  if (path.empty()) throw std::invalid_argument("wisp::Response::file: empty path");
  file_ = path;
  ended_ = true;
}

void Response::end(std::string_view default_content_type, std::string_view body) {
  check_open();
  bool typed = false;
  for (const Header& h : headers_) typed = typed || protocol::iequals(h.first, "content-type");
  if (!typed) headers_.emplace_back("Content-Type", default_content_type);
  body_ = body;
  ended_ = true;
}

void Response::check_open() const {
  if (ended_ || deferred_) {
    throw std::logic_error("wisp::Response: the response has already ended or was deferred");
  }
}

DeferredResponse Response::defer() {
  check_open();
  if (!connection_) throw std::logic_error("wisp::Response::defer: not a response of the server");
  Response started = *this;
  started.connection_ = nullptr;
  deferred_ = true;
  return DeferredResponse(connection_->defer_answer(), std::move(started));
}

DeferredResponse::DeferredResponse(std::shared_ptr<server::Later> later, Response started)
    : later_(std::move(later)), response_(std::move(started)) {}

DeferredResponse::~DeferredResponse() {
  if (!later_) return;  // moved from, or answered
  Response failed;
  failed.status(500).text("the handler did not answer");
  response_ = std::move(failed);
  send();
}

void DeferredResponse::text(std::string_view body) {
  response_.text(body);
  send();
}

void DeferredResponse::json(std::string_view json) {
  response_.json(json);
  send();
}

void DeferredResponse::send() {
  if (!later_) throw std::logic_error("wisp::DeferredResponse: moved from, or answered");
  const std::shared_ptr<server::Later> later = std::move(later_);
  later->finish([response = response_](server::Connection& c) { c.answer_later(response); });
}

namespace server {

void append_response(std::string& out, const Response& response,
                     const protocol::ResponseFraming& framing) {
  protocol::ResponseWriter writer(out, response.status(), framing);
  for (const auto& [name, value] : response.headers()) writer.header(name, value);
  writer.body(response.body());
}

}  // namespace server
}  // namespace wisp
