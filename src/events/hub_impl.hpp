// The hub's state: handlers and hooks (fixed once the app runs), its clients and rooms, and the
// WebSocket route callbacks through which the engine drives it.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "events/acks.hpp"
#include "events/history_store.hpp"
#include "events/hub_cluster.hpp"
#include "events/membership.hpp"
#include "wisp/app.hpp"
#include "wisp/hub.hpp"

namespace wisp {

namespace events {
class HubEvent;
}

struct events::HubImpl {
  HubImpl(App& app, events::HubCluster cluster, const std::atomic<bool>& app_started,
          std::string path, HubSettings settings);

  App& app;
  const events::HubCluster cluster;
  const std::atomic<bool>& app_started;
  Hub* self = nullptr;
  const std::string path;
  const HubSettings settings;
  const std::string topic;  // every client's: a broadcast is framed once per loop

  // Looked up by the message's type as a string_view: no allocation per message.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Handler, Hash, std::equal_to<>> handlers;
  std::vector<ConnectHook> connect_hooks;
  std::vector<DisconnectHook> disconnect_hooks;
  events::Membership members;
  events::HistoryStore history;
  events::HubAcks acks{*this};  // after what it reads: app, cluster, settings, members
  // Told every Room::emit made on this node, before it is sent: a SocketIo sharing this hub's
  // rooms (src/socketio/hub_rooms.cpp) takes it to its own sockets on every node. Added before
  // the app runs, read without a lock from then.
  using RoomTap = std::function<void(std::string_view room, std::string_view except,
                                     std::string_view type, const json& data)>;
  std::vector<RoomTap> room_taps;

  // Throws std::logic_error once the app runs (the tables are read without a lock from then).
  void check_not_running(std::string_view call) const;
  void add_handler(std::string type, Handler handler);
  std::string room_topic(std::string_view room) const;

  // This node's part of the calls by client id (events/hub_cluster.cpp): false when the client
  // is not here (or, for join/leave, already in / not in the room).
  bool join_here(std::string_view id, std::string_view room);
  bool leave_here(std::string_view id, std::string_view room);
  bool send_here(std::string_view id, std::string message);
  bool disconnect_here(std::string_view id, int code, std::string_view reason);
  std::size_t broadcast_to_here(const std::vector<std::string>& ids, std::string_view message,
                                std::vector<std::string>* not_here = nullptr);
  // The command `what` (a kind of this hub's) for the node holding a client not here; the
  // payload is made only then.
  void forward(std::string_view id, std::string_view what,
               const std::function<std::string()>& payload);
  // The command to every node, this one included.
  void to_all(std::string_view what, std::string_view payload);
  // Asks every node `what`; `merge` gets the answers (on the caller's thread, as App's
  // asynchronous calls).
  void gather(std::string_view what, std::string_view payload,
              std::function<void(std::vector<std::string>)> merge) const;
  std::string kind(std::string_view what) const;  // this hub's name for a command

  // Rooms with history (events/history_hub.cpp). An emit keeps and publishes the message in
  // offset order (false: the room keeps no history). A join or leave subscribes or unsubscribes
  // through the client's inbox, ordered with the publishes, so that the client gets every
  // message after the offset read at its join and none before; a join with a position (the
  // builtin join's "since") first sends the messages missed since. The reply's fields come back.
  bool emit_with_history(std::string_view room, std::string_view except, std::string& envelope);
  std::optional<events::Recovery> join_at(std::string_view id, std::string_view room,
                                          const HistoryRule& rule,
                                          const events::StreamPosition* since);
  bool join_in_order(std::string_view id, std::string_view room, const HistoryRule& rule);
  bool leave_in_order(std::string_view id, std::string_view room);
  json join_recovering(WebSocket& ws, std::string_view room, const HistoryRule& rule,
                       const json& since);
  // The reply's fields of a join: the position and, when a position was `asked` with, whether it
  // recovered (null `recovery`: the stream could not be read).
  // A join's "since"; throws HubError invalid_data when malformed.
  static events::StreamPosition read_position(const json& since);
  static json join_fields(const events::Recovery* recovery, bool asked);

  // The same with a cluster broker, whose streams are in Redis (events/history_cluster.cpp).
  bool in_cluster_stream(const HistoryRule* rule) const {
    return rule != nullptr && !cluster.broker.alone();
  }
  void emit_to_stream(std::string_view room, std::string_view except, const HistoryRule& rule,
                      std::string_view head);
  using StreamJoined = std::function<void(const events::Recovery*)>;
  void join_stream(std::string_view id, std::string_view room, const HistoryRule& rule,
                   const events::StreamPosition* since, bool subscribe, StreamJoined joined);
  void join_recovering_later(WebSocket& ws, std::string_view room, const HistoryRule& rule,
                             const json& since, std::function<void(json)> done);

  // Adds this hub's commands and questions to the node's table (when the hub is made).
  void add_commands();

  // The route's callbacks (events/dispatch.cpp).
  WebSocketBehavior behavior();
  void on_open(WebSocket& ws);
  void on_message(WebSocket& ws, std::string_view message, OpCode op);
  void on_close(WebSocket& ws, int code, std::string_view reason);
  void on_rate_limited(WebSocket& ws, std::string_view message, OpCode op);

  // Sends on the calling loop thread, built in a per-thread buffer.
  static void send_now(WebSocket& ws, std::string_view type, const json& data,
                       std::string_view raw_id = {});
  static void send_error(WebSocket& ws, std::string_view code, std::string_view message,
                         std::string_view raw_id = {});

 private:
  bool run_connect_hooks(ConnectEvent& event, json& welcome);
  void dispatch(events::HubEvent& event);
  json call_handler(const Handler& handler, events::HubEvent& event);
  const Handler* find_handler(std::string_view type) const;
};

}  // namespace wisp
