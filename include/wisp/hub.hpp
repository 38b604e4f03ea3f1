// The event hub: JSON messages {"type", "data", "id"} dispatched to a handler per type, whose
// return value answers the sender (Daebus and Socket.IO style). See docs/event-hub.md.
//
// Wire format (DESIGN.md):
//   client -> server  {"type": "chat_message", "data": {...}, "id": 7}        (id optional)
//   server -> client  {"type": "new_message", "data": {...}}
//   a reply           {"type": "response", "data": <handler's return>, "id": 7}
//   an error          {"type": "error", "data": {"code": "...", "message": "..."}, "id": 7}
//   a message sent with an ack  {"type": "task", "data": {...}, "ack": 12}  (a number or a string)
//   the client's answer         {"type": "ack", "id": 12, "data": <answer>}
//                            or {"type": "ack", "id": 12, "error": {"code", "message"}}
//                            (the id echoed as it came)
// Reserved types: register, join, leave, ping, ack; from the server presence_join, presence_leave.
#pragma once

#include <chrono>
#include <concepts>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "wisp/client_info.hpp"
#include "wisp/history.hpp"
#include "wisp/metrics.hpp"
#include "wisp/settings.hpp"
#include "wisp/websocket.hpp"

// The engine's, opaque here; declared before the push so that libwisp.so does not export them.
namespace wisp::events {
struct HubImpl;  // the hub's state (src/events/hub_impl.hpp)
}

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp {

using json = nlohmann::json;

class App;
class Hub;

// The stable codes of error envelopes.
namespace hub_error {
inline constexpr std::string_view invalid_json = "invalid_json";        // not JSON
inline constexpr std::string_view invalid_message = "invalid_message";  // not an object
inline constexpr std::string_view missing_type = "missing_type";    // no "type", or not a string
inline constexpr std::string_view unknown_type = "unknown_type";    // no handler for it
inline constexpr std::string_view handler_error = "handler_error";  // a handler threw
inline constexpr std::string_view rate_limited = "rate_limited";    // past the rate limit
inline constexpr std::string_view binary_unsupported = "binary_unsupported";  // a binary frame
inline constexpr std::string_view timeout = "timeout";  // a deferred reply was dropped unanswered
inline constexpr std::string_view invalid_data = "invalid_data";  // builtin join/leave: no room
}  // namespace hub_error

// Why a message sent with an ack got no answer of the client's (Ack::error); an answer the
// client itself sent as an error keeps the client's code.
namespace ack_error {
inline constexpr std::string_view timeout = "timeout";            // no answer within the timeout
inline constexpr std::string_view disconnected = "disconnected";  // gone before it answered, or
                                                                  // not connected anywhere
inline constexpr std::string_view ack_limit = "ack_limit";  // it owes max_pending_acks already
inline constexpr std::string_view dropped = "dropped";      // not sent: backpressure (its route's
                                                            // policy ran)
}  // namespace ack_error

// The outcome of one message sent with an ack (Hub::send_to, Event::send, Room::emit with a
// callback): the client's answer, or why there is none.
struct Ack {
  std::string client_id;
  // Empty: the client answered, `data` is its answer. Else an ack_error code, or the code the
  // client answered with as an error (`data` then holds its {"code", "message"}).
  std::string error;
  json data;
  bool ok() const { return error.empty(); }
};

// What a room emit with an ack gathered (Socket.IO's `timeout(ms).emit(..., (err, responses))`):
// an Ack per member that answered or failed within the timeout, in the order they came, and
// whether that is every member the emit reached (false: some did not answer in time, or a node
// did not say how many members it has).
struct RoomAcks {
  std::vector<Ack> answers;
  bool complete = false;
};

// One client in a room (Room::presence): its id and the info the app attached to it, its
// metadata as a JSON object of strings (WebSocket::set_metadata, Hub::set_metadata; a client that
// sent "register" has "registered": "true").
struct Presence {
  std::string client_id;
  json info;
};

using AckHandler = std::function<void(Ack)>;
using RoomAckHandler = std::function<void(RoomAcks)>;

namespace detail {
// `co_await` of a call that answers through a callback on the awaiting loop thread (the hub's
// calls with an ack). A callback that comes at once (inside the call) does not suspend.
template <class Result>
class CallbackAwaiter {
  struct State {
    std::coroutine_handle<> waiting{};  // cleared if the awaiting coroutine is cancelled
    bool starting = false;
    std::optional<Result> value;
  };

 public:
  using Start = std::function<void(std::function<void(Result)>)>;
  explicit CallbackAwaiter(Start start)
      : start_(std::move(start)), state_(std::make_shared<State>()) {}
  CallbackAwaiter(CallbackAwaiter&&) noexcept = default;
  ~CallbackAwaiter() {
    if (state_) state_->waiting = {};
  }
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> waiting) {
    const std::shared_ptr<State> state = state_;
    state->waiting = waiting;
    state->starting = true;
    start_([state](Result result) {
      state->value.emplace(std::move(result));
      if (state->starting) return;
      if (auto resume = std::exchange(state->waiting, {})) resume.resume();
    });
    state->starting = false;
    if (!state->value) return true;
    state->waiting = {};
    return false;
  }
  Result await_resume() { return std::move(*state_->value); }

 private:
  Start start_;
  std::shared_ptr<State> state_;
};
}  // namespace detail

// Throw from a handler to answer with an error envelope of your own code and message (shown to
// the client whatever HubSettings::expose_errors says).
class HubError : public std::runtime_error {
 public:
  HubError(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

// A reply promised by a handler that called Event::defer(). Move-only; complete it once, from any
// thread (resolve or reject a second time: std::logic_error). If the client left meanwhile,
// completing does nothing. Destroyed unanswered, it answers with error `timeout`. It must not
// outlive the App.
class Reply {
 public:
  Reply() = default;
  Reply(Reply&&) noexcept = default;
  Reply& operator=(Reply&&) noexcept = default;
  ~Reply();

  // Sends {"type":"response","data":data,"id":...}.
  void resolve(const json& data);
  // Sends {"type":"error","data":{"code":code,"message":message},"id":...}.
  void reject(std::string_view code, std::string_view message);
  // False once resolved or rejected (or for a default-constructed Reply).
  bool pending() const { return state_ != nullptr; }

 private:
  friend class Event;  // Event::defer makes them
  struct State;        // the hub's (src/events/reply_state.hpp)
  explicit Reply(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

// One incoming message, as a handler sees it. Valid during the handler only (keep a Reply, not
// the Event, to answer later).
class Event {
 public:
  virtual ~Event() = default;

  std::string_view client_id() const;
  std::string_view type() const;
  // The message's "data" (null when absent), and the whole message. Parsed on first use.
  virtual const json& data() = 0;
  virtual const json& payload() = 0;
  // The request's id as the client sent it (a number or a string), or null: the reply echoes it.
  virtual const json& id() = 0;
  WebSocket& socket() { return socket_; }

  // Sends {"type":type,"data":data} to this client now (before the handler's reply).
  void send(std::string_view type, const json& data);
  // The same with an ack: see Hub::send_to with an AckHandler.
  void send(std::string_view type, const json& data, AckHandler on_ack,
            std::chrono::milliseconds timeout = {});
  // Rooms of this client (see Hub::join).
  bool join(std::string_view room);
  // Joins a room and, in a room with history, first sends this client the messages it missed
  // after `since` ({"offset": n, "epoch": "..."}, as wisp.js sends it in data.since; null: none).
  // Returns the fields to add to the reply: {"offset", "epoch"} of the room's stream and, with
  // `since`, "recovered" (bool) and, when false, "reason" (recovery_refused::); an empty object
  // for a room without history. Throws HubError `invalid_data` for a malformed `since`. With the
  // Redis broker a room's history is in Redis and this form throws std::logic_error for a room
  // with history: use the next one.
  json join(std::string_view room, const json& since);
  // The same in every mode: `done` gets those fields on this client's loop thread, after the
  // missed messages were sent (with the Redis broker, once Redis answered: if it cannot,
  // "recovered": false and "reason": recovery_refused::unavailable, without a position; the
  // client is in the room all the same and gets what is emitted from then on).
  void join(std::string_view room, const json& since, std::function<void(json)> done);
  bool leave(std::string_view room);
  // Answer later: the handler's return value is then ignored; the Reply sends the response.
  // Throws std::logic_error if called twice for one message.
  Reply defer();

 protected:
  Event(Hub& hub, WebSocket& socket, std::string_view type)
      : hub_(hub), socket_(socket), type_(type) {}
  Hub& hub_;
  WebSocket& socket_;
  std::string_view type_;
  bool deferred_ = false;
};

// A client connecting (connect hooks) or gone (disconnect hooks).
struct ConnectEvent {
  // The upgrade's route params, query and kept headers are there to read (socket.query("token")).
  WebSocket& socket;
  std::string_view client_id;
  // Refuse the client: it is closed with 1008 and `reason` (at most 123 bytes) right after the
  // handshake; no disconnect hook runs for it.
  void reject(std::string reason) { rejected = std::move(reason); }
  std::optional<std::string> rejected{};
};
struct DisconnectEvent {
  WebSocket& socket;  // closed; valid during the hook
  std::string_view client_id;
  int code;
  std::string_view reason;
};

// A message handler returns the reply's data: a json (null: no data), or nothing (void).
// A reply is sent when the handler returned something other than null, or when the request had
// an id (the client awaits it), unless the handler called Event::defer().
using Handler = std::function<json(Event&)>;
// A connect hook's non-null return (an object) is merged into the welcome message's data.
using ConnectHook = std::function<json(ConnectEvent&)>;
using DisconnectHook = std::function<void(DisconnectEvent&)>;

namespace detail {
template <class F>
Handler to_handler(F&& fn) {
  if constexpr (std::is_void_v<std::invoke_result_t<F&, Event&>>) {
    return [fn = std::forward<F>(fn)](Event& ev) mutable -> json {
      fn(ev);
      return nullptr;
    };
  } else {
    return Handler(std::forward<F>(fn));
  }
}
}  // namespace detail

// A named group of handlers and hooks, mounted on a hub with Hub::mount.
class Blueprint {
 public:
  explicit Blueprint(std::string name) : name_(std::move(name)) {}
  const std::string& name() const { return name_; }

  template <class F>
  Blueprint& on(std::string type, F&& handler) {
    handlers_.emplace_back(std::move(type), detail::to_handler(std::forward<F>(handler)));
    return *this;
  }
  Blueprint& on_connect(ConnectHook hook) {
    connect_.push_back(std::move(hook));
    return *this;
  }
  Blueprint& on_disconnect(DisconnectHook hook) {
    disconnect_.push_back(std::move(hook));
    return *this;
  }

 private:
  friend class Hub;
  std::string name_;
  std::vector<std::pair<std::string, Handler>> handlers_;
  std::vector<ConnectHook> connect_;
  std::vector<DisconnectHook> disconnect_;
};

struct HubSettings {
  // The WebSocket route's settings (limits, heartbeat, compression, rate limit...). The hub
  // always uses the client registry. Past the rate limit, a message is answered with error
  // `rate_limited` (with policy Drop) instead of being handled.
  WebSocketSettings websocket{};
  // A handler's exception message in `handler_error` envelopes (off: "internal error").
  bool expose_errors = false;
  // Send {"type":"welcome","data":{"client_id":...}} (plus the connect hooks' data) on connect.
  bool welcome = true;
  // Handle the reserved types "join" and "leave" ({"room": name}) with Hub::join / Hub::leave;
  // the reply is {"room": name, "members": count}.
  bool builtin_rooms = false;
  // The type of Hub::broadcast's messages when none is given (Daebus's default).
  std::string broadcast_type = "broadcast";
  // Push {"type":"presence_join","data":{"room","client_id","info"}} to a room's other members
  // (on every node) when a client joins it, and {"type":"presence_leave","data":{"room",
  // "client_id"}} when one leaves it or disconnects; with the Redis broker, also when its node
  // dies, with "reason": "node lost", within RedisOptions::presence_ttl (see Room::presence).
  bool presence_events = false;
  // How long a send with an ack waits for the client's answer when the call gives no timeout.
  std::chrono::milliseconds ack_timeout = std::chrono::seconds(10);
  // Answers one client may owe at once (to every node); a send with an ack past it completes
  // at once with error `ack_limit`. Owed answers past their timeout no longer count.
  std::size_t max_pending_acks = 64;
  // Rooms that keep their last messages for recovery (wisp/history.hpp,
  // docs/limits-and-delivery.md): in memory on one node, in Redis with the Redis broker.
  HistorySettings history{};
};

// A room: a named group of clients, on the app's topics (across threads, and across nodes with
// a cluster broker: docs/scaling-out.md). Each node keeps the membership of its own clients;
// the synchronous counts and lists are this node's ("node-local"), the forms taking a callback
// every node's, answered as App's asynchronous calls are (on the calling loop thread).
class Room {
 public:
  // Sends {"type":type,"data":data} to every member on every node (but the excepted one); the
  // envelope is built once and its frame shared. Returns nothing: delivery is asynchronous.
  // In a room with history the envelope also has "room", "offset" and "epoch", and is kept.
  void emit(std::string_view type, const json& data) const;
  // The same with an ack from every member: {"type","data","ack"} to each member on every node
  // (but the excepted one); `on_acks` gets their answers once every member answered, or when
  // `timeout` (zero: HubSettings::ack_timeout) ran out. Answered on the calling loop thread.
  void emit(std::string_view type, const json& data, RoomAckHandler on_acks,
            std::chrono::milliseconds timeout = {}) const;
  // `RoomAcks acks = co_await room.emit_with_ack(type, data)`: the same in a coroutine.
  detail::CallbackAwaiter<RoomAcks> emit_with_ack(std::string_view type, const json& data,
                                                  std::chrono::milliseconds timeout = {}) const;
  // The room's last `limit` kept messages, oldest first, with its epoch and last offset
  // (node-local; empty for a room without history or without messages yet). With the Redis
  // broker the history is in Redis: this form throws std::logic_error, use the next one.
  RoomHistory history(std::size_t limit) const;
  // The same in every mode, answered on the calling loop thread. With the Redis broker a room
  // read before its first message gets its epoch already; Redis unreachable: an empty history.
  void history(std::size_t limit, std::function<void(RoomHistory)> done) const;
  // The same room, leaving out one client (e.g. the sender).
  Room except(std::string_view client_id) const;
  std::vector<std::string> members() const;                                // node-local
  std::size_t size() const;                                                // node-local
  void members(std::function<void(std::vector<std::string>)> done) const;  // cluster-wide
  void size(std::function<void(std::size_t)> done) const;                  // cluster-wide
  // Who is there, with the info attached to each (Presence, the info as it was at the join):
  // this node's members, or every node's. With the Redis broker the cluster-wide list is read
  // from Redis in one round trip (each node writes its joins and leaves there, in order with its
  // own reads: another node's join shows once that node has written it): the clients of a
  // node that died stay listed until a live node reaps them, within RedisOptions::presence_ttl
  // plus a heartbeat (then presence_leave, reason "node lost", when presence_events is on).
  // While Redis is down, and without Redis, the nodes are asked (a gather: a node that does not
  // answer within the gather timeout is left out).
  std::vector<Presence> presence() const;                                // node-local
  void presence(std::function<void(std::vector<Presence>)> done) const;  // cluster-wide
  // How many are there, without listing them: as size(), but cluster-wide from Redis (HLEN, one
  // round trip) with the Redis broker; Redis down, or none: the gather size(done) does.
  std::size_t presence_count() const;                                // node-local
  void presence_count(std::function<void(std::size_t)> done) const;  // cluster-wide
  const std::string& name() const { return name_; }

 private:
  friend class Hub;
  Room(Hub& hub, std::string name, std::string except = {})
      : hub_(&hub), name_(std::move(name)), except_(std::move(except)) {}
  Hub* hub_;
  std::string name_;
  std::string except_;
};

// Made by App::hub(path, settings); lives as long as the App. Handlers and hooks run on the
// client's loop thread. Register everything before App::run() (std::logic_error after); every
// other call is safe from any thread.
class Hub {
 public:
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Throws std::logic_error if `type` already has a handler (here or in a mounted blueprint).
  template <class F>
  Hub& on(std::string type, F&& handler) {
    return add_handler(std::move(type), detail::to_handler(std::forward<F>(handler)));
  }
  // The reserved "register" message (seed 000's socket_register): marks the client registered
  // (metadata "registered" = "true") and runs the hook, whose return answers it.
  template <class F>
  Hub& on_register(F&& handler) {
    return on("register", std::forward<F>(handler));
  }
  // Hooks run in the order added, blueprints' hooks in mount order. Any connect hook may reject.
  Hub& on_connect(ConnectHook hook);
  Hub& on_disconnect(DisconnectHook hook);
  // Adds a blueprint's handlers and hooks. Throws std::logic_error for a type already handled.
  Hub& mount(const Blueprint& blueprint);

  // Rooms.
  Room room(std::string_view name) { return Room(*this, std::string(name)); }
  // The same, named by a JSON string (hub.room(ev.data()["room"])); throws json::type_error when
  // it is not a string (in a handler: answered as handler_error).
  template <class Json>
  requires std::same_as<Json, json> Room room(const Json& name) {
    return room(std::string_view(name.template get_ref<const std::string&>()));
  }
  // Joins / leaves a client, on whatever node it is. Node-local answer: true if the client is on
  // this node and joined (left); false if it was already in (not in) the room, or is not on this
  // node: then, with a cluster broker, the node that holds it does the join (leave).
  bool join(std::string_view client_id, std::string_view room);
  bool leave(std::string_view client_id, std::string_view room);
  std::vector<std::string> rooms() const;  // node-local: rooms with members here
  void rooms(std::function<void(std::vector<std::string>)> done) const;  // cluster-wide
  std::vector<std::string> rooms_of(std::string_view client_id) const;   // a client here

  // Clients (the hub's own; see App for the app-wide registry). The calls by id reach a client
  // on any node; their answer is node-local (true: the client is here), as App::send_to's.
  bool send_to(std::string_view client_id, std::string_view type, const json& data);
  // With an ack (Socket.IO's emitWithAck): sends {"type","data","ack":n} and `on_ack` gets the
  // client's answer (wisp.js: `on(type, (data, msg, ack) => ack(answer))`), or an ack_error:
  // `timeout` after `timeout` (zero: HubSettings::ack_timeout), `disconnected` when the client
  // leaves first or is connected nowhere, `ack_limit`, `dropped`. It runs once, on the calling
  // loop thread (from another thread: on the broker's, or at once), whatever node holds the
  // client. Returns true when the client is on this node.
  bool send_to(std::string_view client_id, std::string_view type, const json& data,
               AckHandler on_ack, std::chrono::milliseconds timeout = {});
  // `Ack ack = co_await hub.send_to_with_ack(id, type, data)`: the same in a coroutine (on a loop
  // thread), resumed with the Ack.
  detail::CallbackAwaiter<Ack> send_to_with_ack(std::string_view client_id, std::string_view type,
                                                const json& data,
                                                std::chrono::milliseconds timeout = {});
  AckStats ack_stats() const;
  // To every client on every node; returns how many are on this node.
  std::size_t broadcast(const json& data);  // type: settings.broadcast_type
  std::size_t broadcast(std::string_view type, const json& data);
  // To the listed clients wherever they are; returns how many are on this node.
  std::size_t broadcast_to(const std::vector<std::string>& client_ids, std::string_view type,
                           const json& data);
  // Sends {"type":"disconnect_notice","data":{"reason":reason}}, then closes with `code` and
  // `reason`, as App::disconnect (whose rules apply). Throws std::invalid_argument for a code or
  // reason WebSocket::close refuses.
  bool disconnect(std::string_view client_id, int code = close_code::normal,
                  std::string_view reason = {});
  // Node-local.
  bool is_connected(std::string_view client_id) const;
  std::size_t client_count() const;
  std::vector<std::string> client_ids() const;
  std::optional<ClientInfo> client(std::string_view client_id) const;
  std::vector<ClientInfo> clients(const std::function<bool(const ClientInfo&)>& filter) const;
  bool set_metadata(std::string_view client_id, std::string key, std::string value);
  // Cluster-wide.
  void is_connected(std::string_view client_id, std::function<void(bool)> done) const;
  void client_count(std::function<void(std::size_t)> done) const;

  // Graceful shutdown of the whole app, every client first getting
  // {"type":"shutdown","data":message}.
  void shutdown(const json& message, std::chrono::milliseconds timeout = std::chrono::seconds(5));

  const std::string& path() const;
  const HubSettings& settings() const;
  // The rooms' history: what is kept now, and what was trimmed or evicted (node-local).
  HistoryStats history_stats() const;

 private:
  friend class App;
  friend class Room;
  friend class Event;
  friend class SocketIo;  // shares the rooms (src/socketio/hub_rooms.cpp)
  Hub& add_handler(std::string type, Handler handler);
  explicit Hub(std::unique_ptr<events::HubImpl> impl);
  std::unique_ptr<events::HubImpl> impl_;
};

}  // namespace wisp

#pragma GCC visibility pop
