// The handle to one WebSocket connection, as handlers see it.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wisp/history.hpp"
#include "wisp/opcode.hpp"

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp {

enum class SendStatus {
  Sent,          // written to the socket, or queued behind earlier bytes
  Backpressure,  // queued: the socket now holds unsent bytes (see buffered_amount(), drain)
  // Not sent: the socket is closed, or this is a message from elsewhere (not from one of the
  // socket's own handlers) and the socket holds more than max_backpressure unsent; the
  // backpressure policy then also ran (the `dropped` handler, or the close).
  Dropped,
};

namespace detail {
// A per-type tag, to check that WebSocket::data<T>() is asked for the route's own type.
template <class T>
inline const char type_tag = 0;

// The user data at `data` as a T, if `type` is T's tag; else std::logic_error(`error`).
template <class T>
T& user_data_as(const void* type, void* data, const char* error) {
  if (type != &type_tag<T>) throw std::logic_error(error);
  return *static_cast<T*>(data);
}
}  // namespace detail

// A WebSocket handle is valid from the open handler until the close handler returns; handlers get
// it by reference and must not keep it past close. Its calls are for the socket's own loop thread.
class WebSocket {
 public:
  WebSocket(const WebSocket&) = delete;
  WebSocket& operator=(const WebSocket&) = delete;

  // Sends one message. `op` is Text (the caller guarantees valid UTF-8), Binary, Ping or Pong.
  // From one of this socket's own handlers (open, message, ping, pong, drain, expiring) it is an
  // answer and is never dropped: the socket stops reading while its backlog is high instead (see
  // WebSocketSettings::backlog_high_water). From anywhere else (another socket's handler, a task,
  // a posted call) the route's backpressure policy applies past max_backpressure.
  // Throws std::invalid_argument for Continuation or Close (use close()), and for a Ping or Pong
  // payload over 125 bytes.
  // With `compress` (the default), a data message is deflated when permessage-deflate was agreed
  // and it is at least the route's compression_threshold long.
  SendStatus send(std::string_view message, OpCode op = OpCode::Text, bool compress = true);
  // Sends an answer to one of this socket's own requests given later (after App::offload, a
  // deferred hub Reply): like a send from its own handlers, never dropped by the backpressure
  // policy (the socket stops being read while its backlog is high instead). Same rules as send().
  SendStatus send_answer(std::string_view message, OpCode op = OpCode::Text, bool compress = true);
  SendStatus send_text(std::string_view text) { return send(text, OpCode::Text); }
  SendStatus send_binary(std::span<const std::byte> bytes) {
    return send({reinterpret_cast<const char*>(bytes.data()), bytes.size()}, OpCode::Binary);
  }
  SendStatus send_binary(std::string_view bytes) { return send(bytes, OpCode::Binary); }

  // Starts the closing handshake: sends a close frame with `code` and `reason` (at most 123
  // bytes, valid UTF-8), runs the close handler, and drops TCP once the peer answers or after
  // close_timeout. Throws std::invalid_argument for a code that may not be sent (RFC 6455 §7.4)
  // or a reason that is too long. Does nothing if already closed.
  void close(int code = close_code::normal, std::string_view reason = {});
  // Throws std::invalid_argument where close(code, reason) would; else does nothing (to check a
  // close before handing it to another thread or node).
  static void check_close(int code, std::string_view reason);
  // Drops the TCP connection at once, without a closing handshake; the close handler sees 1006.
  void terminate();
  // True once a close frame was sent or received, or TCP closed; nothing is delivered after.
  bool closed() const;

  // Topics (pub/sub). subscribe() is false if already subscribed (or closed), unsubscribe() if
  // not subscribed. A closed socket leaves its topics after its close handler ran.
  bool subscribe(std::string_view topic);
  // A topic with history (AppOptions::topic_history) from `since`, the position the client saw
  // last (e.g. before it reconnected): sends it the messages it missed, in order, then subscribes
  // it, with no gap and no duplicate between the two, then calls `done` on this socket's thread
  // with TopicRecovery::recovered, or recovered false and why (recovery_refused::: epoch changed,
  // history trimmed, too many missed, history unavailable; subscribed all the same, live after
  // TopicRecovery::position; an empty since.epoch is no position: recovered false, no reason).
  // `done` runs at once with no_history for a topic without history (subscribed as by
  // subscribe(topic)), or already_subscribed; never if the socket closes first. The missed
  // messages are an answer: never dropped for backpressure (see send()). With the Redis broker
  // the stream is Redis', so a client recovers on any node.
  void subscribe(std::string_view topic, const StreamPosition& since,
                 std::function<void(TopicRecovery)> done);
  bool unsubscribe(std::string_view topic);
  bool is_subscribed(std::string_view topic) const;
  std::vector<std::string> topics() const;
  // Sends to every subscriber of `topic` on every thread except this socket (App::publish
  // includes everyone; a topic with history reaches this socket too, if subscribed: a stream is
  // the same for all). Throws std::invalid_argument for the opcodes send() refuses.
  void publish(std::string_view topic, std::string_view message, OpCode op = OpCode::Text,
               bool compress = true);
  // True when permessage-deflate (RFC 7692) was agreed with this client.
  bool compression_agreed() const;

  // The client registry (routes with settings.client_registry): this socket's id (empty on
  // other routes), and key-values kept with it (visible in App::client and clients).
  std::string_view client_id() const;
  void set_metadata(std::string key, std::string value);

  // Bytes accepted by send() but not yet written to the socket.
  std::size_t buffered_amount() const;
  // The peer's address as "ip:port" ("[ip]:port" for IPv6); empty if it cannot be read.
  std::string remote_address() const;

  // What the socket kept of its upgrade request (stored only when there is any):
  // a path parameter of its route ("room" for "/chat/{room}", "*" for a wildcard's rest),
  // percent-decoded; empty if none of that name.
  std::string_view param(std::string_view name) const;
  // The query as sent (after '?'; empty if none), its first parameter `name`, decoded, and every
  // parameter, decoded, in order.
  std::string_view query() const;
  std::optional<std::string> query(std::string_view name) const;
  std::vector<std::pair<std::string, std::string>> query_params() const;
  // A header the upgrade hook or a middleware kept (Upgrade::keep_header); empty otherwise.
  std::string_view header(std::string_view name) const;

  // The route's per-socket user data (app.ws<T>(...)). Throws std::logic_error if T is not the
  // route's type.
  template <class T>
  T& data() {
    return detail::user_data_as<T>(
        user_data_type(), user_data(),
        "wisp::WebSocket::data<T>(): T is not this route's user data type");
  }

 protected:
  WebSocket() = default;
  ~WebSocket() = default;

 private:
  void* user_data();
  const void* user_data_type() const;
};

}  // namespace wisp

#pragma GCC visibility pop
