// The C++ client of a wisp event hub, web/wisp.js's twin: JSON envelopes ({"type", "data",
// "id"}) over a wisp::Client connection that comes back by itself. Requests by id with
// timeouts, handlers by type, answers to the server's acks, and after a reconnect the last
// register and every joined room sent again (a room with history re-joined from the last
// position seen, so what was missed comes first). See docs/cpp-client.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "wisp/client.hpp"
#include "wisp/hub.hpp"  // json, detail::CallbackAwaiter

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp {

// Why a request got no response of the server's (HubResponse::error), besides the codes of the
// server's error envelopes (hub_error::).
namespace hub_client_error {
inline constexpr std::string_view timeout = "timeout";            // no answer in time
inline constexpr std::string_view disconnected = "disconnected";  // written, then the line dropped
inline constexpr std::string_view closed = "closed";              // closed, or gave up reconnecting
inline constexpr std::string_view queue_full = "queue_full";      // past queue_limit while down
inline constexpr std::string_view dropped =
    "dropped";  // refused by the socket: over max_backpressure
}  // namespace hub_client_error

struct HubClientSettings {
  // The connection's settings; reconnection is on unless turned off here.
  ClientSettings connection = [] {
    ClientSettings settings;
    settings.reconnect.enabled = true;
    return settings;
  }();
  std::chrono::milliseconds request_timeout = std::chrono::seconds(10);  // 0: none
  // Messages that may wait while the connection is down; past it sends fail with queue_full.
  std::size_t queue_limit = 1000;
  std::string register_type = "register";  // its last data is sent again after a reconnect
  // Types that join (or leave) the room named by data.room: joined rooms are joined again.
  std::vector<std::string> join_types{"join", "join_room"};
  std::vector<std::string> leave_types{"leave", "leave_room"};
};

// A request's outcome: the response's data, or an error. `error` is the server's error code
// (hub_error::, or a handler's own; `data` is then the error envelope's whole data) or one of
// hub_client_error::.
struct HubResponse {
  std::string error{};
  std::string message{};  // the error's message
  json data{};
  bool ok() const { return error.empty(); }
};

enum class HubClientState { connecting, open, reconnecting, closed };

struct HubStateChange {
  HubClientState state = HubClientState::connecting;
  bool reconnected = false;  // open: after a lost connection (register and joins sent again)
  int attempt = 0;           // reconnecting: 1, 2, ...
  std::chrono::milliseconds delay{0};  // reconnecting: before that attempt
  int code = 0;                        // reconnecting, closed: the ended connection's close code
  std::string reason{};                // and its reason (or why it could not be made)
};

// A room with history joined again after a reconnect: whether every missed message came
// (before this, in order, once each), else why not (recovery_refused::, or the join's error code).
struct RoomRecovery {
  std::string room{};
  bool recovered = false;
  std::string reason{};
  StreamPosition position{};  // the room's, after the join
};

// The answer to one message the server sent with an ack (Hub::send_to with a callback): the first
// ack() or fail() goes out, on the connection the message came on, and only while it is open.
// Copyable; for the client's loop thread.
class HubAck {
 public:
  HubAck() = default;
  bool wanted() const { return static_cast<bool>(state_); }
  void ack(const json& answer = nullptr);
  void fail(std::string_view code, std::string_view message);

 private:
  struct State;
  std::shared_ptr<State> state_;
  friend class HubClient;
};

// One message from the hub, as a handler sees it.
struct HubMessage {
  std::string type{};
  json data{};
  json envelope{};  // the whole message: "room", "offset" and "epoch" for a room with history
  // With an ack wanted: what the handler returns answers it, unless it took the ack (defer()) to
  // answer later; a handler that throws answers fail() with the HubError's code or handler_error.
  HubAck defer() {
    deferred = true;
    return ack;
  }
  HubAck ack{};
  bool deferred = false;
};

using HubMessageHandler = std::function<json(HubMessage&)>;

// A connection to one hub. Set the handlers, then connect(). Every call is safe from any thread:
// it runs on the client's loop (at once when called there); handlers and `done` callbacks run
// there. Made on an App's loop thread it uses that loop (destroy it there, before the App
// stops), else a loop thread of its own, like Client.
class HubClient {
 public:
  explicit HubClient(HubClientSettings settings = {});
  ~HubClient();  // drops the connection at once; nothing more is reported
  HubClient(const HubClient&) = delete;
  HubClient& operator=(const HubClient&) = delete;

  // Calls `handler` for each message of `type` ("*": every message, after the type's own). A
  // handler returning void answers an ack with null.
  template <class F>
  HubClient& on(std::string_view type, F handler) {
    if constexpr (std::is_void_v<std::invoke_result_t<F&, HubMessage&>>) {
      return on_message(type, [handler = std::move(handler)](HubMessage& m) mutable -> json {
        handler(m);
        return nullptr;
      });
    } else {
      return on_message(type, HubMessageHandler(std::move(handler)));
    }
  }
  HubClient& on_state(std::function<void(const HubStateChange&)> handler);
  HubClient& on_recovery(std::function<void(const RoomRecovery&)> handler);

  // Connects to a hub's ws:// or wss:// URL. Throws as Client::connect, and std::logic_error
  // when called twice.
  void connect(std::string_view url);

  // Sends {type, data}; while the connection is down it waits (up to queue_limit) and goes
  // out in order once it is back. A message that cannot go (closed, queue full, or refused
  // over max_backpressure) is counted in unsent() and logged (event "hub_client.unsent").
  void send(std::string_view type, json data = nullptr);
  // Sends {type, data, id} (queued as send) and calls `done` with the response on the loop.
  void request(std::string_view type, json data, std::function<void(HubResponse)> done,
               std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // `HubResponse r = co_await client.request(type, data)`, in a coroutine on the client's loop.
  detail::CallbackAwaiter<HubResponse> request(
      std::string_view type, json data = nullptr,
      std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // Closes for good: no reconnection; what is queued or awaited fails with `closed`.
  void close(int code = close_code::normal, std::string_view reason = {});

  // Snapshots, safe from any thread.
  HubClientState state() const;
  std::string client_id() const;           // from the welcome message; empty until then
  std::vector<std::string> rooms() const;  // joined, and joined again after a reconnect
  std::optional<StreamPosition> position(std::string_view room) const;
  std::uint64_t unsent() const;  // sends that could not go (see send)

 private:
  HubClient& on_message(std::string_view type, HubMessageHandler handler);
  static HubAck make_ack(json id, std::function<void(const json&)> write);

  struct Impl;
  std::shared_ptr<Impl> impl_;
  Client client_;  // last: destroyed first, so no handler runs on a half-destroyed Impl
};

}  // namespace wisp

#pragma GCC visibility pop
