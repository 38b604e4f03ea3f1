// Coroutine sessions (seed 003's style): one coroutine per connection, from the upgrade to the
// close, on the connection's loop thread.
//
//   app.ws_route("/chat/{room}", [](wisp::Session& s) -> wisp::Task<> {
//     if (s.header("authorization").empty()) {
//       co_await s.close(1008, "Authentication required");  // refused: 403
//       co_return;
//     }
//     co_await s.accept({.subprotocol = "chat"});
//     try {
//       while (true) co_await s.send_text(co_await s.receive_text());
//     } catch (const wisp::Disconnected& gone) { /* gone.code(), gone.reason() */ }
//   });
//
// The coroutine starts when the upgrade request has passed the app's middleware (App::use_ws)
// and decides it: accept() answers 101; close() or returning before accept() refuses it with an
// HTTP status (SessionOptions::refusal_status, 403). After accept(), returning closes with 1000
// and an exception that leaves the coroutine closes with 1011 (before: 500); either is reported
// on stderr for an exception other than Disconnected. Every await of a session throws
// Disconnected once the connection is gone (a pending one wakes with it).
//
// Threads: every call that reaches the connection (accept, close, refuse, receives, sends,
// subscribe, unsubscribe, is_subscribed, publish, client_id, set_metadata, compression_agreed,
// buffered_amount) is for the session's own loop thread and throws std::logic_error ("call it on
// the session's own loop thread") anywhere else, before touching anything (an await when it is
// awaited). They are not posted
// there, because (1) the Session lives in its coroutine, which ends on its loop whenever the client
// leaves: a Session& held by another thread can dangle, while the client id (client_id(), read on
// the loop) outlives it, and App::send_to / disconnect / with_client(id, fn) and topics already
// post to the socket's loop and answer "not here" once it is gone; and (2) an await suspends the
// calling coroutine and resumes it on the session's loop, so a coroutine of another loop would go
// on on the wrong thread, and what a receive returns is valid on the session's loop only. The
// handshake's readers (client, header, headers, path, query, params) never change and may be read
// from any thread while the session lives.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wisp/opcode.hpp"
#include "wisp/settings.hpp"
#include "wisp/task.hpp"
#include "wisp/upgrade.hpp"
#include "wisp/websocket.hpp"

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp {

using json = nlohmann::json;

class App;
class Session;

// The peer of a session.
struct Address {
  std::string host;  // an IPv6 address without its brackets
  std::uint16_t port = 0;
};

// The connection is gone (seed 003's WebSocketDisconnect): the peer's close code and reason,
// the code this side sent, or 1006 when TCP ended without a close frame (also when the client
// left before the upgrade was decided). A refused upgrade reads as the code given to close().
class Disconnected : public std::runtime_error {
 public:
  Disconnected(int code, std::string reason);
  int code() const { return code_; }
  const std::string& reason() const { return reason_; }

 private:
  int code_;
  std::string reason_;
};

// receive_text() got a binary message, or receive_bytes() a text one; the message is consumed
// and the connection stays open.
class MessageTypeError : public std::runtime_error {
 public:
  explicit MessageTypeError(OpCode got);
  OpCode got() const { return got_; }

 private:
  OpCode got_;
};

// A received message. Its bytes are valid until the session's next receive.
struct Message {
  OpCode op = OpCode::Text;
  std::string_view data{};
  bool is_text() const { return op == OpCode::Text; }
};

// A coroutine route (App::ws_route).
struct SessionOptions {
  // Limits, heartbeat, compression, the registry: as for App::ws routes.
  WebSocketSettings settings{};
  // The HTTP status of an upgrade refused by close() or by returning before accept().
  int refusal_status = 403;
  // A send waits (its coroutine suspended) while the socket holds more unsent bytes than this,
  // and resumes when the socket has written them: a producer slows to its client's pace
  // instead of queueing without bound.
  std::size_t send_high_water = 64 * 1024;
  // Bytes of messages received but not yet taken by a receive. Past it the session is closed
  // with 1008 "receive backlog over limit" (the handler does not keep up with its client).
  std::size_t max_receive_backlog = 1024 * 1024;
};

namespace detail {
struct SessionAccess;
// Only the route makes sessions (with std::make_shared: one allocation).
class SessionKey {
  friend struct SessionAccess;
  SessionKey() = default;
};
}  // namespace detail

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(detail::SessionKey, App& app, const SessionOptions& options);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  // ---- the handshake (readable for the session's whole life)
  // The client's address; nullopt if it could not be read.
  std::optional<Address> client() const;
  // The first header `name` of the upgrade request (case-insensitive); empty if there is none.
  std::string_view header(std::string_view name) const;
  // Every header of the upgrade request, in order, names as sent.
  HttpHeaders headers() const;
  // The path as sent (percent-encoded), the query (after '?', as sent).
  std::string_view path() const {
    return std::string_view(request_).substr(path_at_, query_at_ - path_at_);
  }
  std::string_view query() const {
    return std::string_view(request_).substr(query_at_, headers_at_ - query_at_);
  }
  // The first query parameter `name`, decoded; nullopt if there is none.
  std::optional<std::string> query(std::string_view name) const;
  // Every query parameter, decoded, in order.
  std::vector<std::pair<std::string, std::string>> query_params() const;
  // A path parameter of the route ("room" for "/chat/{room}", "*" for a wildcard's rest),
  // percent-decoded; empty if none of that name.
  std::string_view param(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& path_params() const {
    return path_params_;
  }
  // Per-session state, a T made on first use (seed 003's websocket.state). Throws
  // std::logic_error if asked for another type than the first call.
  template <class T>
  T& state() {
    if (!state_) {
      state_ = std::unique_ptr<void, void (*)(void*)>(new T(),
                                                      [](void* p) { delete static_cast<T*>(p); });
      state_type_ = &detail::type_tag<T>;
    }
    return detail::user_data_as<T>(state_type_, state_.get(),
                                   "wisp::Session::state<T>(): another type was made first");
  }
  App& app() const { return app_; }

  // ---- the upgrade
  class [[nodiscard]] AcceptAwaiter : detail::Waiter {
   public:
    bool await_ready() const;
    void await_suspend(std::coroutine_handle<> handle);
    void await_resume() const;

   private:
    friend class Session;
    explicit AcceptAwaiter(Session& session) : session_(session) {}
    Session& session_;
  };
  // Accepts the upgrade (101, `options` as Upgrade::accept; sent when called) and resumes once
  // the socket is open.
  // Throws std::invalid_argument as Upgrade::accept; Disconnected if the client left meanwhile
  // (or the app refused it: a taken client id), or once the session was refused or closed.
  AcceptAwaiter accept(AcceptOptions options);
  // (Not a default argument: GCC 12 destroys a default argument of a co_await's call twice.)
  AcceptAwaiter accept() { return accept(AcceptOptions{}); }
  bool accepted() const { return phase_ == Phase::Open || phase_ == Phase::Accepting; }
  bool closed() const { return phase_ == Phase::Closed; }

  // Before accept(): refuses the upgrade with refusal_status and `reason` as its body; after:
  // the closing handshake (WebSocket::close, with its std::invalid_argument). Does nothing once
  // closed. Awaiting it is optional (it never waits): `co_await s.close(1008, "...")` reads as
  // seed 003.
  std::suspend_never close(int code = close_code::normal, std::string_view reason = {});
  // Before accept(): refuses the upgrade with `status` (200..599) and `body`; std::logic_error
  // after accept(), std::invalid_argument for a bad status.
  void refuse(int status, std::string_view body = {});

  // ---- receiving: one receive at a time (std::logic_error for a second); messages that arrive
  // while none waits are queued (SessionOptions::max_receive_backlog). Queued messages are
  // still received after the peer closed; then receives throw Disconnected.
  class [[nodiscard]] ReceiveAwaiter {
   public:
    // Inline (as the sends' await_resume below): what every message goes through.
    bool await_ready();
    void await_suspend(std::coroutine_handle<> handle) {
      this->handle = handle;
      session_.receiver_ = this;
    }
    Message await_resume() {
      if (delivered_) return session_.current();
      return take_queued();
    }
    ~ReceiveAwaiter() {
      if (session_.receiver_ == this) session_.receiver_ = nullptr;  // cancelled while waiting
    }
    ReceiveAwaiter(ReceiveAwaiter&& other) noexcept : session_(other.session_) {}

   protected:
    friend class Session;
    friend struct detail::SessionAccess;
    explicit ReceiveAwaiter(Session& session) : session_(session) {}
    Message take_queued();  // the next queued message, or Disconnected
    std::string_view data_of(OpCode kind) {
      const Message message = ReceiveAwaiter::await_resume();
      if (message.op != kind) throw MessageTypeError(message.op);
      return message.data;
    }
    // Not a detail::Waiter: the session's one receiver_ is all the list it needs.
    std::coroutine_handle<> handle;
    Session& session_;
    bool delivered_ = false;  // received() kept the message in current_
  };
  class [[nodiscard]] TextAwaiter : public ReceiveAwaiter {
   public:
    using ReceiveAwaiter::ReceiveAwaiter;
    std::string_view await_resume() { return data_of(OpCode::Text); }
  };
  class [[nodiscard]] BytesAwaiter : public ReceiveAwaiter {
   public:
    using ReceiveAwaiter::ReceiveAwaiter;
    std::string_view await_resume() { return data_of(OpCode::Binary); }
  };
  class [[nodiscard]] JsonAwaiter : public ReceiveAwaiter {
   public:
    using ReceiveAwaiter::ReceiveAwaiter;
    json await_resume();
  };
  // The next message, either kind; its bytes are valid until the next receive.
  ReceiveAwaiter receive() { return ReceiveAwaiter(*this); }
  // The next message as text / bytes (MessageTypeError for the other kind); valid until the
  // next receive.
  TextAwaiter receive_text() { return TextAwaiter(*this); }
  BytesAwaiter receive_bytes() { return BytesAwaiter(*this); }
  // The next text message parsed as JSON; json::parse_error (the connection stays open) for
  // one that is not JSON.
  JsonAwaiter receive_json() { return JsonAwaiter(*this); }
  // The same, raising wisp::Timeout when nothing came within `limit` (seed 003's wait_for).
  Task<std::string_view> receive_text(std::chrono::milliseconds limit);
  Task<Message> receive(std::chrono::milliseconds limit);

  // ---- sending
  class [[nodiscard]] SendAwaiter : detail::Waiter {
   public:
    bool await_ready();
    void await_suspend(std::coroutine_handle<> handle);
    // Sent (or queued behind earlier bytes), or Dropped by the route's backpressure policy
    // (counted, and reported to no handler: the session sends no faster than its client reads,
    // so only a single message over max_backpressure gets there).
    SendStatus await_resume() {
      if (status_ && *status_ != SendStatus::Dropped && !session_.closed()) return *status_;
      return finish();
    }
    SendAwaiter(SendAwaiter&& other) noexcept
        : detail::Waiter(),
          session_(other.session_),
          message_(other.message_),
          op_(other.op_),
          status_(other.status_) {}

   protected:
    friend class Session;
    SendAwaiter(Session& session, std::string_view message, OpCode op)
        : session_(session), message_(message), op_(op) {}
    SendStatus finish();  // sends if it waited; Disconnected once closed
    Session& session_;
    std::string_view message_;  // the caller's: a temporary lives as long as the co_await
    OpCode op_;
    std::optional<SendStatus> status_;  // set once sent
  };
  // Sends one message, after waiting while the socket is over send_high_water. Throws
  // Disconnected once the connection is gone (also while waiting), std::logic_error before
  // accept(). `message` must stay valid until the co_await ends (a temporary does).
  SendAwaiter send(std::string_view message, OpCode op = OpCode::Text) {
    return SendAwaiter(*this, message, op);
  }
  SendAwaiter send_text(std::string_view text) { return send(text, OpCode::Text); }
  SendAwaiter send_bytes(std::string_view bytes) { return send(bytes, OpCode::Binary); }
  SendAwaiter send_bytes(std::span<const std::byte> bytes) {
    return send({reinterpret_cast<const char*>(bytes.data()), bytes.size()}, OpCode::Binary);
  }
  class [[nodiscard]] JsonSendAwaiter : public SendAwaiter {
   public:
    JsonSendAwaiter(JsonSendAwaiter&& other) noexcept
        : SendAwaiter(std::move(other)), text_(std::move(other.text_)) {
      message_ = text_;
    }

   private:
    friend class Session;
    JsonSendAwaiter(Session& session, std::string text)
        : SendAwaiter(session, {}, OpCode::Text), text_(std::move(text)) {
      message_ = text_;
    }
    std::string text_;  // the serialized value, kept by the awaiter
  };
  // `value` serialized, as text.
  JsonSendAwaiter send_json(const json& value) { return JsonSendAwaiter(*this, value.dump()); }

  // ---- the raw style's calls (after accept(); std::logic_error before, false/no-op once closed)
  bool subscribe(std::string_view topic);
  // A topic with history from a position, as WebSocket::subscribe(topic, since, done); `done`
  // runs on the session's loop thread (not once the session closed).
  void subscribe(std::string_view topic, const StreamPosition& since,
                 std::function<void(TopicRecovery)> done);
  bool unsubscribe(std::string_view topic);
  bool is_subscribed(std::string_view topic) const;
  // To every subscriber of `topic` on every thread but this session.
  void publish(std::string_view topic, std::string_view message, OpCode op = OpCode::Text);
  std::string_view client_id() const;
  void set_metadata(std::string key, std::string value);
  bool compression_agreed() const;
  std::size_t buffered_amount() const;
  // The socket itself, for anything else of WebSocket; null before it opened and once closed.
  WebSocket* socket() const { return socket_; }

 private:
  friend struct detail::SessionAccess;
  enum class Phase : std::uint8_t { Deciding, Accepting, Open, Closed };

  // Inline, defined in src/coro/session_access.hpp (every message asks): for the library only.
  inline WebSocket& open_socket(const char* call) const;
  inline void check_thread() const;
  [[noreturn]] void throw_disconnected() const;
  [[noreturn]] void throw_not_open(const char* call) const;  // Disconnected, or accept() first
  [[noreturn]] void throw_cannot_receive() const;            // one at a time, and after accept()
  bool over_high_water() const;
  Message take_message();
  void keep(std::string_view bytes, OpCode op);
  Message current() const { return {current_op_, current_}; }
  inline void keep_read_buffer();  // the read under way holds current_: keep it
  inline void let_go_of_read();    // current_ is no longer needed
  void release_read_buffer();      // out of line: the receive's fast path stays short
  void yield_to_loop(SendAwaiter& sender);
  void resume_yielded();

  App& app_;
  const SessionOptions& options_;
  void* loop_ = nullptr;  // the loop thread it lives on
  Phase phase_ = Phase::Deciding;
  WebSocket* socket_ = nullptr;
  std::unique_ptr<DeferredUpgrade> upgrade_;  // while deciding
  bool close_on_open_ = false;  // close() while accepting: close_code_ and close_reason_ then
  int close_code_ = close_code::abnormal;
  std::string close_reason_;

  std::uint16_t client_port_ = 0;  // 0: the peer's address could not be read
  // The client's host, the path, the query, then "name\0value\0" per header: one block, to
  // keep sessions small.
  std::string request_;
  std::uint32_t path_at_ = 0;
  std::uint32_t query_at_ = 0;
  std::uint32_t headers_at_ = 0;
  std::vector<std::pair<std::string, std::string>> path_params_;
  std::unique_ptr<void, void (*)(void*)> state_{nullptr, nullptr};
  const void* state_type_ = nullptr;

  std::string backlog_;         // queued messages: an opcode byte, 4 length bytes, the bytes
  std::size_t backlog_at_ = 0;  // the next queued message's offset
  // The message last received (its bytes outlive the handler call): where the read left it
  // when it came whole in one read to a waiting receive (in_read_), else copied into own_, a
  // buffer that only grows (one memcpy, no allocation once warm). A coroutine that waits for
  // something else than its next receive while the read is still under way keeps the read's
  // buffer (kept_read_, from the loop's few: net/read_buffers.hpp) until that receive.
  std::string_view current_{};
  std::unique_ptr<char[]> own_;
  std::uint32_t own_capacity_ = 0;
  OpCode current_op_ = OpCode::Text;
  bool in_read_ = false;
  void* kept_read_ = nullptr;
  ReceiveAwaiter* receiver_ = nullptr;
  detail::WaitList accept_waiters_;
  detail::WaitList drain_waiters_;
  // Sends made outside a read leave at the end of the loop's iteration and are not counted in
  // buffered_amount() until then: past send_high_water bytes of them, senders wait for the
  // loop's next iteration, when the count is true again.
  std::size_t sent_uncounted_ = 0;
  detail::WaitList yielded_;
};

}  // namespace wisp

#pragma GCC visibility pop
