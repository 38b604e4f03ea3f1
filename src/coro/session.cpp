// wisp::Session: the handshake's snapshot, the upgrade's decision, the close, and the raw
// style's calls; the route (session_route.cpp) feeds it the engine's events.
#include <charconv>
#include <stdexcept>

#include "coro/session_access.hpp"
#include "net/event_loop.hpp"
#include "protocol/http_request.hpp"
#include "server/http_router.hpp"

namespace wisp {
namespace {

// "ip:port" or "[ip]:port" as Address; nullopt for anything else (an empty string).
std::optional<Address> parse_address(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  Address address{std::string(host), 0};
  const std::string_view port = text.substr(colon + 1);
  if (std::from_chars(port.data(), port.data() + port.size(), address.port).ec != std::errc()) {
    return std::nullopt;
  }
  return address;
}

std::string_view next_field(std::string_view block, std::size_t& at) {
  const std::size_t end = block.find('\0', at);
  const std::string_view field = block.substr(at, end - at);
  at = end + 1;
  return field;
}

}  // namespace

Disconnected::Disconnected(int code, std::string reason)
    : std::runtime_error("wisp: disconnected (" + std::to_string(code) +
                         (reason.empty() ? ")" : " " + reason + ")")),
      code_(code),
      reason_(std::move(reason)) {}

MessageTypeError::MessageTypeError(OpCode got)
    : std::runtime_error(got == OpCode::Text ? "wisp: expected a binary message, got text"
                                             : "wisp: expected a text message, got binary"),
      got_(got) {}

Session::Session(detail::SessionKey, App& app, const SessionOptions& options)
    : app_(app), options_(options), loop_(net::EventLoop::current()) {}

// (Frames still suspended when a loop thread ends go after its loop: nothing to give back.)
Session::~Session() {
  if (kept_read_ && net::EventLoop::current() == loop_) let_go_of_read();
}

std::string_view Session::header(std::string_view name) const {
  for (std::size_t at = headers_at_; at < request_.size();) {
    const std::string_view field = next_field(request_, at);
    const std::string_view value = next_field(request_, at);
    if (protocol::iequals(field, name)) return value;
  }
  return {};
}

HttpHeaders Session::headers() const {
  HttpHeaders fields;
  for (std::size_t at = headers_at_; at < request_.size();) {
    std::string name(next_field(request_, at));
    fields.emplace_back(std::move(name), std::string(next_field(request_, at)));
  }
  return fields;
}

std::optional<Address> Session::client() const {
  if (client_port_ == 0) return std::nullopt;
  return Address{request_.substr(0, path_at_), client_port_};
}

std::optional<std::string> Session::query(std::string_view name) const {
  return server::query_value(query(), name);
}

std::vector<std::pair<std::string, std::string>> Session::query_params() const {
  return server::parse_query(query());
}

std::string_view Session::param(std::string_view name) const {
  for (const auto& [key, value] : path_params_) {
    if (key == name) return value;
  }
  return {};
}

void detail::throw_off_loop_thread() {
  throw std::logic_error("wisp::Session: call it on the session's own loop thread");
}

void Session::throw_disconnected() const { throw Disconnected(close_code_, close_reason_); }

void Session::throw_not_open(const char* call) const {
  if (phase_ == Phase::Closed) throw_disconnected();
  throw std::logic_error(std::string("wisp::Session::") + call + ": accept() first");
}

Session::AcceptAwaiter Session::accept(AcceptOptions options) {
  check_thread();
  if (phase_ == Phase::Deciding) {
    upgrade_->accept(std::move(options));
    phase_ = Phase::Accepting;
  }
  return AcceptAwaiter(*this);
}

bool Session::AcceptAwaiter::await_ready() const { return session_.phase_ != Phase::Accepting; }

void Session::AcceptAwaiter::await_suspend(std::coroutine_handle<> handle) {
  this->handle = handle;
  session_.accept_waiters_.push(*this);
}

void Session::AcceptAwaiter::await_resume() const {
  if (session_.phase_ == Phase::Closed) session_.throw_disconnected();
}

std::suspend_never Session::close(int code, std::string_view reason) {
  check_thread();
  switch (phase_) {
    case Phase::Deciding:
      upgrade_->reject(options_.refusal_status, reason);
      detail::SessionAccess::closed(*this, code, reason);
      break;
    case Phase::Accepting:
      close_on_open_ = true;
      close_code_ = code;
      close_reason_ = reason;
      break;
    case Phase::Open:
      socket_->close(code, reason);  // runs the close handler: closed() at once
      break;
    case Phase::Closed:
      break;
  }
  return {};
}

void Session::refuse(int status, std::string_view body) {
  check_thread();
  if (phase_ == Phase::Closed) return;
  if (phase_ != Phase::Deciding) throw std::logic_error("wisp::Session::refuse: after accept()");
  upgrade_->reject(status, body);
  detail::SessionAccess::closed(*this, close_code::policy_violation, body);
}

// Each checks the thread first: from another thread, reading phase_ or socket_ would race with
// the loop before the error.
bool Session::subscribe(std::string_view topic) {
  check_thread();
  return phase_ != Phase::Closed && open_socket("subscribe").subscribe(topic);
}
void Session::subscribe(std::string_view topic, const StreamPosition& since,
                        std::function<void(TopicRecovery)> done) {
  check_thread();
  if (phase_ != Phase::Closed) open_socket("subscribe").subscribe(topic, since, std::move(done));
}
bool Session::unsubscribe(std::string_view topic) {
  check_thread();
  return phase_ != Phase::Closed && open_socket("unsubscribe").unsubscribe(topic);
}
bool Session::is_subscribed(std::string_view topic) const {
  check_thread();
  return socket_ && socket_->is_subscribed(topic);
}
void Session::publish(std::string_view topic, std::string_view message, OpCode op) {
  check_thread();
  if (phase_ != Phase::Closed) open_socket("publish").publish(topic, message, op);
}
std::string_view Session::client_id() const {
  check_thread();
  return socket_ ? socket_->client_id() : "";
}
void Session::set_metadata(std::string key, std::string value) {
  check_thread();
  if (phase_ != Phase::Closed) open_socket("set_metadata").set_metadata(key, value);
}
bool Session::compression_agreed() const {
  check_thread();
  return socket_ && socket_->compression_agreed();
}
std::size_t Session::buffered_amount() const {
  check_thread();
  return socket_ ? socket_->buffered_amount() : 0;
}

namespace detail {

std::shared_ptr<Session> SessionAccess::make(App& app, const SessionOptions& options, Upgrade& up,
                                             const std::vector<std::string>& param_names) {
  auto s = std::make_shared<Session>(SessionKey(), app, options);
  const auto headers = up.headers();
  const std::optional<Address> client = parse_address(up.remote_address());
  std::size_t size = (client ? client->host.size() : 0) + up.path().size() + up.query().size();
  for (const auto& [name, value] : headers) size += name.size() + value.size() + 2;
  std::string& request = s->request_;
  request.reserve(size);  // exactly: an idle session keeps it
  if (client) {
    request.append(client->host);
    s->client_port_ = client->port;
  }
  s->path_at_ = static_cast<std::uint32_t>(request.size());
  request.append(up.path());
  s->query_at_ = static_cast<std::uint32_t>(request.size());
  request.append(up.query());
  s->headers_at_ = static_cast<std::uint32_t>(request.size());
  for (const auto& [name, value] : headers) {
    request.append(name).append(1, '\0').append(value).append(1, '\0');
  }
  for (const std::string& name : param_names) s->path_params_.emplace_back(name, up.param(name));
  s->upgrade_ = std::make_unique<DeferredUpgrade>(up.defer());
  return s;
}

void SessionAccess::opened(Session& s, WebSocket& ws) {
  s.socket_ = &ws;
  s.phase_ = Session::Phase::Open;
  s.upgrade_.reset();
  if (std::exchange(s.close_on_open_, false)) ws.close(s.close_code_, s.close_reason_);
  s.accept_waiters_.wake_all();
}

void SessionAccess::closed(Session& s, int code, std::string_view reason) {
  if (s.phase_ == Session::Phase::Closed) return;
  // Closed while the coroutine holds a message of the read under way (received() cannot tell
  // once the socket is closed): the read's buffer stays until the next receive.
  if (s.in_read_ && !s.kept_read_) s.keep_read_buffer();
  s.phase_ = Session::Phase::Closed;
  s.socket_ = nullptr;
  s.close_code_ = code;
  s.close_reason_ = reason;
  s.accept_waiters_.wake_all();
  s.drain_waiters_.wake_all();
  s.yielded_.wake_all();
  if (Session::ReceiveAwaiter* receiver = std::exchange(s.receiver_, nullptr)) {
    receiver->handle.resume();
  }
}

void SessionAccess::finish(Session& s, bool failed) {
  switch (s.phase_) {
    case Session::Phase::Deciding:
      s.upgrade_->reject(failed ? 500 : s.options_.refusal_status);
      closed(s, failed ? close_code::internal_error : close_code::policy_violation, {});
      break;
    case Session::Phase::Accepting:
      s.close_on_open_ = true;
      s.close_code_ = failed ? close_code::internal_error : close_code::normal;
      s.close_reason_ = failed ? "internal error" : "";
      break;
    case Session::Phase::Open:
      if (failed) {
        s.socket_->close(close_code::internal_error, "internal error");
      } else {
        s.socket_->close();
      }
      break;
    case Session::Phase::Closed:
      break;
  }
}

}  // namespace detail
}  // namespace wisp
