// wisp::testing::WebSocketSession: a ClientSocket's events queued for the test's thread, which
// waits on them with a deadline; its calls posted to the client's loop.
#include <condition_variable>
#include <deque>
#include <mutex>

#include "testing/session_state.hpp"

namespace wisp::testing {

void WebSocketSession::State::post(std::function<void(ClientSocket&)> call) {
  client->post([self = shared_from_this(), call = std::move(call)] {
    if (self->socket && !self->socket->closed()) call(*self->socket);
  });
}

ClientHandlers WebSocketSession::State::handlers() {
  const std::shared_ptr<State> self = shared_from_this();
  return {
      .open =
          [self](ClientSocket& socket) {
            std::lock_guard lock(self->mutex);
            self->socket = &socket;
            self->opened = true;
            self->subprotocol = socket.subprotocol();
            self->compression = socket.compression_agreed();
            self->changed.notify_all();
          },
      .message =
          [self](ClientSocket&, std::string_view message, OpCode op) {
            std::lock_guard lock(self->mutex);
            self->inbox.push_back({std::string(message), op});
            self->changed.notify_all();
          },
      .close =
          [self](ClientSocket&, int code, std::string_view reason) {
            std::lock_guard lock(self->mutex);
            self->socket = nullptr;  // valid only until this handler returns
            self->closed = true;
            self->code = code;
            self->reason = reason;
            self->changed.notify_all();
          },
      .fail =
          [self](const ConnectError& error) {
            std::lock_guard lock(self->mutex);
            self->failed = error;
            self->changed.notify_all();
          },
  };
}

WebSocketSession::WebSocketSession(std::shared_ptr<State> state) : state_(std::move(state)) {}
WebSocketSession::WebSocketSession(WebSocketSession&&) noexcept = default;
WebSocketSession& WebSocketSession::operator=(WebSocketSession&&) noexcept = default;

WebSocketSession::~WebSocketSession() {
  if (state_) state_->post([](ClientSocket& socket) { socket.close(); });
}

void WebSocketSession::send_text(std::string_view text) {
  state_->post([text = std::string(text)](ClientSocket& s) { s.send(text, OpCode::Text); });
}

void WebSocketSession::send_bytes(std::string_view bytes) {
  state_->post([bytes = std::string(bytes)](ClientSocket& s) { s.send(bytes, OpCode::Binary); });
}

void WebSocketSession::send_json(const nlohmann::json& value) { send_text(value.dump()); }

std::string WebSocketSession::receive(OpCode wanted) {
  State& state = *state_;
  std::unique_lock lock(state.mutex);
  const bool ready = state.changed.wait_for(lock, state.timeout,
                                            [&] { return !state.inbox.empty() || state.closed; });
  if (state.inbox.empty()) {
    throw TestError(ready ? "wisp::testing: the server closed the session (" +
                                std::to_string(state.code) + " " + state.reason +
                                ") before sending a message"
                          : "wisp::testing: no message within the timeout");
  }
  auto [message, op] = std::move(state.inbox.front());
  state.inbox.pop_front();
  if (op != wanted) {
    throw TestError(std::string("wisp::testing: expected a ") +
                    (wanted == OpCode::Text ? "text" : "binary") + " message, got the other");
  }
  return message;
}

std::string WebSocketSession::receive_text() { return receive(OpCode::Text); }
std::string WebSocketSession::receive_bytes() { return receive(OpCode::Binary); }
nlohmann::json WebSocketSession::receive_json() { return nlohmann::json::parse(receive_text()); }

void WebSocketSession::close(int code, std::string_view reason) {
  if (const std::string why = protocol::unclosable_reason(code, reason); !why.empty()) {
    throw std::invalid_argument(why);
  }
  state_->post([code, reason = std::string(reason)](ClientSocket& s) { s.close(code, reason); });
  close_code();
}

int WebSocketSession::close_code() {
  std::unique_lock lock(state_->mutex);
  if (!state_->changed.wait_for(lock, state_->timeout, [&] { return state_->closed; })) {
    throw TestError("wisp::testing: the session did not close within the timeout");
  }
  return state_->code;
}

std::string WebSocketSession::close_reason() {
  close_code();
  std::lock_guard lock(state_->mutex);
  return state_->reason;
}

std::string WebSocketSession::subprotocol() const {
  std::lock_guard lock(state_->mutex);
  return state_->subprotocol;
}

bool WebSocketSession::compression_agreed() const {
  std::lock_guard lock(state_->mutex);
  return state_->compression;
}

}  // namespace wisp::testing
