// Socket.IO clients (the official socket.io-client 4.x, and the others that speak Socket.IO v5 over
// Engine.IO v4) connect to wisp unchanged: HTTP long-polling, WebSocket, the upgrade from one to
// the other, namespaces, auth middleware, events with any arguments, acks both ways, binary
// attachments, rooms. See docs/socketio.md.
//
//   wisp::SocketIo io(app);                        // serves /socket.io/ (polling and WebSocket)
//   io.use([](wisp::IoSocket& s) {                 // io.use(...) of seed 004
//     if (!s.auth().contains("token")) throw wisp::IoError("Authentication required");
//   });
//   io.on("join:room", [](wisp::IoEvent& ev) { ev.socket().join(ev.arg(0).get<std::string>()); });
//   io.on("echo", [](wisp::IoEvent& ev) { ev.ack(ev.args()); });
//
// Threads: every handler, hook and middleware of one SocketIo runs under one lock (one at a
// time, on a loop thread): they must not block. Every other call is safe from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wisp/settings.hpp"

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp {

using json = nlohmann::json;

class App;
class Hub;
class IoSocket;
class SocketIo;
namespace detail {
struct SocketIoServer;  // src/socketio/
}

struct SocketIoSettings {
  // Engine.IO's heartbeat: the server pings every ping_interval; a client that does not answer
  // within ping_timeout is disconnected ("ping timeout"). Both are told to the client.
  std::chrono::milliseconds ping_interval = std::chrono::seconds(25);
  std::chrono::milliseconds ping_timeout = std::chrono::seconds(20);
  // The largest polling POST body and WebSocket message a client may send (told to the client as
  // maxPayload; a larger POST gets 413 and closes the session, a larger message closes with 1009).
  std::size_t max_payload = 1000000;
  // Engine.IO sessions at once (both transports); past it a handshake gets 503 with Engine.IO's
  // error JSON {"code":4,"message":"Forbidden"}.
  std::size_t max_sessions = 10000;
  // Packets a polling session may hold for its next GET; past it the session is closed
  // ("transport error") and the loss counted (IoStats::overflowed).
  std::size_t max_buffered_packets = 1000;
  // How long a polling GET is held when there is nothing to send; then it is answered with a noop
  // and the client polls again. Keep it below AppOptions::handshake_timeout (which drops HTTP
  // answers that take longer).
  std::chrono::milliseconds poll_hold = std::chrono::seconds(8);
  // A session that connects to no namespace within this time is closed (Socket.IO's
  // connectTimeout).
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(45);
  // Binary attachments of one packet; more is a parse error.
  std::size_t max_attachments = 16;
  bool polling = true;    // the HTTP long-polling transport
  bool websocket = true;  // the WebSocket transport (and the upgrade to it)
  // Access-Control-Allow-Origin (with credentials) for polling requests from other origins;
  // empty: no CORS headers.
  std::string cors_origin{};
  // The WebSocket route's own settings (max_message_size is set to max_payload).
  WebSocketSettings websocket_settings{};
  // Connection state recovery (socket.io 4.6+'s connectionStateRecovery, docs/socketio.md): a
  // client whose connection dropped and that comes back within this time gets its socket id,
  // rooms, data and the events it missed (IoSocket::recovered(), the client's
  // socket.recovered). Every event without an ack then carries an offset as its last argument,
  // as socket.io's do. Zero: off. socket.io's default when on is 2 minutes.
  std::chrono::milliseconds max_disconnection_duration{0};
  // Events kept for it per namespace (the oldest dropped past it, counted in
  // IoStats::recovery_dropped: a client that missed a dropped one is not recovered).
  std::size_t recovery_packets = 1000;
  // An event hub of the same app whose rooms the main namespace shares (docs/socketio.md):
  // a room emit on either side reaches the Socket.IO sockets and the hub's clients in that
  // room, on every node. Null: none. The hub must outlive this SocketIo.
  Hub* hub = nullptr;
};

// Throw from a middleware to refuse a connection: the client's `connect_error` gets an Error
// with this message (and err.data = data when not null).
class IoError : public std::runtime_error {
 public:
  explicit IoError(const std::string& message, json data = nullptr)
      : std::runtime_error(message), data_(std::move(data)) {}
  const json& data() const { return data_; }

 private:
  json data_;
};

// The answer to one client event that asked for an acknowledgement (the client's callback or
// emitWithAck). Move-only; call it once, from any thread (a second time: std::logic_error).
// If the client left meanwhile it does nothing. Dropped uncalled, no answer is sent (the
// client's own timeout, if any, fires).
class IoAck {
 public:
  IoAck() = default;
  IoAck(IoAck&&) noexcept = default;
  IoAck& operator=(IoAck&&) noexcept = default;
  // The callback's arguments: an array is spread (ack({1, "a"}) -> cb(1, "a")); anything else
  // is the single argument.
  void operator()(const json& args = json::array());
  explicit operator bool() const { return state_ != nullptr; }

  struct State;  // src/socketio/
  explicit IoAck(std::shared_ptr<State> state) : state_(std::move(state)) {}

 private:
  std::shared_ptr<State> state_;
};

// One event from a client, during its handler.
class IoEvent {
 public:
  IoEvent(IoSocket& socket, std::string_view name, json& args, IoAck ack)
      : socket_(socket), name_(name), args_(args), ack_(std::move(ack)) {}
  IoSocket& socket() { return socket_; }
  std::string_view name() const { return name_; }
  // The arguments after the event name, as an array (binary ones as json::binary).
  json& args() { return args_; }
  // Argument i, or null past the end.
  const json& arg(std::size_t i) const;
  // True when the client asked for an acknowledgement.
  bool wants_ack() const { return static_cast<bool>(ack_); }
  // Acknowledges now (as IoAck::operator()); does nothing when no ack was asked for.
  void ack(const json& args = json::array());
  // Acknowledge later: the returned IoAck answers (empty when no ack was asked for).
  IoAck defer_ack() { return std::move(ack_); }

 private:
  IoSocket& socket_;
  std::string_view name_;
  json& args_;
  IoAck ack_;
};

// What a server-side emit with an ack hears: the client's arguments, or an error ("timeout",
// or "disconnected" when the socket left first).
using IoAckCallback = std::function<void(std::optional<std::string> error, json args)>;

// Emits to a set of sockets of one namespace: a room, several rooms, everyone, less some.
class IoBroadcast {
 public:
  IoBroadcast to(std::string_view room) const;
  IoBroadcast except(std::string_view room_or_socket_id) const;
  // Sends the event with `args` spread (an array; anything else is one argument) to every
  // socket addressed, once each, on every node sharing the app's broker (RedisOptions), and,
  // with SocketIoSettings::hub, to the hub's clients in the rooms named. Returns how many
  // sockets of this node got it (the other nodes' are reached asynchronously).
  std::size_t emit(std::string_view event, const json& args = json::array()) const;
  // The ids of the sockets addressed.
  std::vector<std::string> socket_ids() const;

  IoBroadcast(std::shared_ptr<detail::SocketIoServer> server, std::string nsp)
      : server_(std::move(server)), nsp_(std::move(nsp)) {}

 private:
  std::shared_ptr<detail::SocketIoServer> server_;
  std::string nsp_;
  std::vector<std::string> rooms_{};
  std::vector<std::string> except_{};
};

// One client connected to one namespace, as handlers see it. Valid during the handler; keep its
// id() to reach it later (every socket is in a room named by its id: io.to(id).emit(...)).
class IoSocket {
 public:
  virtual ~IoSocket() = default;
  virtual const std::string& id() const = 0;
  virtual const std::string& nsp() const = 0;
  // The CONNECT packet's auth payload (an object; empty if none was sent).
  virtual const json& auth() const = 0;
  // The handshake request's query parameter / header (first one; empty when absent).
  virtual std::optional<std::string> query(std::string_view name) const = 0;
  virtual std::string_view header(std::string_view name) const = 0;
  // "polling" or "websocket".
  virtual std::string_view transport() const = 0;
  // True when this connection restored a dropped one (same id, rooms and data; the missed events
  // sent). Only with SocketIoSettings::max_disconnection_duration.
  virtual bool recovered() const = 0;
  // Yours to keep anything in (Socket.IO's socket.data).
  virtual json& data() = 0;

  // Sends one event, `args` spread as IoBroadcast::emit does. False if the socket is gone.
  virtual bool emit(std::string_view event, const json& args = json::array()) = 0;
  // The same, asking for an ack: `callback` runs (under the SocketIo lock) with the client's
  // answer, or with an error once `timeout` passes or the socket leaves.
  virtual bool emit_with_ack(std::string_view event, const json& args,
                             std::chrono::milliseconds timeout, IoAckCallback callback) = 0;

  virtual bool join(std::string_view room) = 0;   // false if already in it
  virtual bool leave(std::string_view room) = 0;  // false if not in it
  virtual std::vector<std::string> rooms() const = 0;
  // Everyone in `room` but this socket (socket.to(room).emit of Socket.IO).
  virtual IoBroadcast to(std::string_view room) = 0;
  // Everyone in the namespace but this socket (socket.broadcast.emit).
  virtual IoBroadcast broadcast() = 0;
  // Disconnects from this namespace (the client sees "io server disconnect" and does not
  // reconnect by itself); close_session: the whole Engine.IO session too.
  virtual void disconnect(bool close_session = false) = 0;
};

// Hooks and handlers of a namespace.
using IoMiddleware = std::function<void(IoSocket&)>;  // throw IoError to refuse
using IoConnectHook = std::function<void(IoSocket&)>;
// The socket is still readable (rooms, data); `reason` is Socket.IO's: "client namespace
// disconnect", "server namespace disconnect", "transport close", "transport error",
// "ping timeout", "parse error", "forced close", "server shutting down".
using IoDisconnectHook = std::function<void(IoSocket&, std::string_view reason)>;
using IoHandler = std::function<void(IoEvent&)>;

class IoNamespace {
 public:
  // Runs in order for every CONNECT to this namespace; the first that throws refuses it with
  // CONNECT_ERROR (an IoError's message and data; another exception: "internal error").
  IoNamespace& use(IoMiddleware middleware);
  IoNamespace& on_connection(IoConnectHook hook);
  IoNamespace& on_disconnect(IoDisconnectHook hook);
  // The handler of event `name` (one per name; std::logic_error for a second). Events without a
  // handler are counted (IoStats::unhandled) and not acknowledged, as Socket.IO does.
  IoNamespace& on(std::string name, IoHandler handler);
  // Handles every event that has no handler of its own.
  IoNamespace& on_any(IoHandler handler);

  IoBroadcast to(std::string_view room) const;
  IoBroadcast except(std::string_view room_or_id) const;
  std::size_t emit(std::string_view event, const json& args = json::array()) const;
  std::size_t socket_count() const;
  const std::string& name() const { return name_; }

  IoNamespace(std::shared_ptr<detail::SocketIoServer> server, std::string name)
      : server_(std::move(server)), name_(std::move(name)) {}

 private:
  std::shared_ptr<detail::SocketIoServer> server_;
  std::string name_;
};

struct IoStats {
  std::size_t sessions = 0;        // Engine.IO sessions now
  std::size_t sockets = 0;         // namespace connections now
  std::uint64_t refused = 0;       // handshakes refused (max_sessions, bad requests)
  std::uint64_t parse_errors = 0;  // sessions closed for malformed packets
  std::uint64_t ping_timeouts = 0;
  std::uint64_t overflowed = 0;  // polling sessions closed past max_buffered_packets
  std::uint64_t unhandled = 0;   // events with no handler
  std::uint64_t dropped = 0;     // packets a WebSocket transport could not take (backpressure)
  // Room emits with binary arguments, not sent to the shared hub's clients (its envelopes are
  // JSON text); the Socket.IO sockets got them.
  std::uint64_t not_shared = 0;
  // Connection state recovery: connections restored; CONNECTs naming a dropped connection that
  // could not be (expired, unknown, or an event it missed no longer kept); events and parked
  // connections dropped before their time (past recovery_packets / max_sessions).
  std::uint64_t recovered = 0;
  std::uint64_t not_recovered = 0;
  std::uint64_t recovery_dropped = 0;
};

// A Socket.IO server on `app` at `path` (a GET/POST route for polling and a WebSocket route, both
// at `path`). Construct it before app.run(); it must outlive run(). Throws as App::ws and
// App::get do for a taken path.
class SocketIo {
 public:
  explicit SocketIo(App& app, std::string path = "/socket.io/", SocketIoSettings settings = {});
  ~SocketIo();
  SocketIo(const SocketIo&) = delete;
  SocketIo& operator=(const SocketIo&) = delete;

  // A namespace ("/" is the main one, created here). Clients connecting to a namespace that was
  // never asked for get CONNECT_ERROR "Invalid namespace".
  IoNamespace of(std::string_view nsp);
  // The main namespace's calls.
  SocketIo& use(IoMiddleware middleware);
  SocketIo& on_connection(IoConnectHook hook);
  SocketIo& on_disconnect(IoDisconnectHook hook);
  SocketIo& on(std::string name, IoHandler handler);
  IoBroadcast to(std::string_view room) const;
  std::size_t emit(std::string_view event, const json& args = json::array()) const;

  // Disconnects every socket ("server shutting down") and closes every session.
  void close();
  IoStats stats() const;
  const SocketIoSettings& settings() const;

 private:
  std::shared_ptr<detail::SocketIoServer> impl_;
};

}  // namespace wisp

#pragma GCC visibility pop
