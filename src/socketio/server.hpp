// The state of one SocketIo: Engine.IO sessions (by sid), the namespaces with their sockets,
// rooms and handlers, under one lock. The transports (polling.cpp, websocket_transport.cpp) feed
// it packets; engine.cpp keeps sessions alive; dispatch.cpp speaks Socket.IO on top.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "server/job.hpp"
#include "socketio/cluster.hpp"
#include "socketio/engineio_packet.hpp"
#include "socketio/recovery.hpp"
#include "socketio/socketio_packet.hpp"
#include "wisp/app.hpp"
#include "wisp/http.hpp"
#include "wisp/socketio.hpp"

namespace wisp::detail {

using Clock = std::chrono::steady_clock;
using socketio::EioPacket;
struct Session;
struct SocketIoServer;

// One namespace connection (socket.io's Socket).
struct NspSocket final : IoSocket {
  NspSocket(SocketIoServer& server, Session& session, std::string id, std::string nsp, json auth)
      : server(server),
        session(session),
        id_(std::move(id)),
        nsp_(std::move(nsp)),
        auth_(std::move(auth)) {}

  const std::string& id() const override { return id_; }
  const std::string& nsp() const override { return nsp_; }
  const json& auth() const override { return auth_; }
  std::optional<std::string> query(std::string_view name) const override;
  std::string_view header(std::string_view name) const override;
  std::string_view transport() const override;
  bool recovered() const override { return recovered_; }
  json& data() override { return data_; }
  bool emit(std::string_view event, const json& args) override;
  bool emit_with_ack(std::string_view event, const json& args, std::chrono::milliseconds timeout,
                     IoAckCallback callback) override;
  bool join(std::string_view room) override;
  bool leave(std::string_view room) override;
  std::vector<std::string> rooms() const override;
  IoBroadcast to(std::string_view room) override;
  IoBroadcast broadcast() override;
  void disconnect(bool close_session) override;

  struct PendingAck {
    IoAckCallback callback;
    TimerHandle timer;
  };

  SocketIoServer& server;
  Session& session;
  std::string id_;
  std::string nsp_;
  json auth_;
  json data_ = json::object();
  std::set<std::string> rooms_;
  bool leaving = false;  // being removed: its disconnect hooks run, it gets nothing more
  std::string pid;       // its private id, with recovery (recovery.hpp)
  bool recovered_ = false;
  std::uint64_t next_ack_id = 0;
  std::map<std::uint64_t, PendingAck> acks;
};

enum class Transport { Polling, WebSocket };

// One Engine.IO session: a client, over polling or WebSocket.
struct Session {
  explicit Session(std::size_t max_attachments) : decoder(max_attachments) {}

  std::string sid;
  Transport transport = Transport::Polling;
  std::string ws_client;  // the WebSocket carrying it (the app registry's id), once upgraded
  // That WebSocket itself, for sends from its own loop thread (the registry's send_to from the
  // others); cleared by its close handler.
  WebSocket* ws = nullptr;
  std::thread::id ws_thread{};
  std::string probe_client;  // a WebSocket probing to take over from polling
  // Polling: what waits for the next GET, and the GET held for it.
  std::vector<EioPacket> queue;
  std::optional<DeferredResponse> poll;
  Clock::time_point poll_since{};
  // Heartbeat.
  Clock::time_point next_ping{};
  std::optional<Clock::time_point> pong_deadline;
  Clock::time_point created{};
  bool ever_connected = false;
  bool closed = false;
  socketio::SioDecoder decoder;
  // The handshake request.
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::map<std::string, std::unique_ptr<NspSocket>, std::less<>> sockets;  // by namespace
};

struct NamespaceState {
  std::vector<IoMiddleware> middlewares;
  std::vector<IoConnectHook> connect;
  std::vector<IoDisconnectHook> disconnect;
  std::unordered_map<std::string, IoHandler> handlers;
  IoHandler any;
  std::unordered_map<std::string, NspSocket*> sockets;          // by socket id
  std::unordered_map<std::string, std::set<NspSocket*>> rooms;  // a socket's id is a room too
  Recovery recovery;
};

struct SocketIoServer : std::enable_shared_from_this<SocketIoServer> {
  SocketIoServer(App& app, std::string path, SocketIoSettings settings)
      : app(app), path(std::move(path)), settings(std::move(settings)) {}

  // Holds the lock; the last one out runs what was left for after it (answers to held polls,
  // WebSocket closes): those may call back into this server on the same thread.
  class Guard {
   public:
    explicit Guard(SocketIoServer& server);
    ~Guard();
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    SocketIoServer& server_;
  };
  template <class F>
  void after_unlock(F action) {
    outbox.emplace_back(std::move(action));
  }

  // engine.cpp: sessions.
  Session* open_session(Transport transport, std::string ws_client);
  Session* find(std::string_view sid);
  // The socket `socket_id` if it is still connected to `nsp` in session `sid`.
  NspSocket* socket_of(std::string_view sid, std::string_view nsp, std::string_view socket_id);
  void send(Session& session, EioPacket packet);
  void send_sio(Session& session, const socketio::EncodedSio& packet);
  void flush_poll(Session& session);
  void close_session(Session& session, std::string_view reason);
  void receive(Session& session, const EioPacket& packet);
  void sweep();
  std::string new_id();

  // dispatch.cpp: Socket.IO packets.
  void on_message(Session& session, const EioPacket& packet);
  void on_sio(Session& session, socketio::SioPacket packet);
  void connect(Session& session, socketio::SioPacket& packet);
  void dispatch_event(NspSocket& socket, socketio::SioPacket& packet);
  void receive_ack(NspSocket& socket, socketio::SioPacket& packet);
  // Removes a socket from its namespace and rooms, fails its acks, runs the disconnect hooks.
  void remove_socket(Session& session, std::string_view nsp, std::string_view reason);
  void connect_error(Session& session, std::string_view nsp, const std::string& message,
                     const json& data);

  // rooms.cpp
  std::vector<NspSocket*> targets(const std::string& nsp, const std::vector<std::string>& rooms,
                                  const std::vector<std::string>& except);
  NamespaceState* space(std::string_view nsp);
  // An EVENT of `data` (event_data), with an offset appended when recovery is on (`offset`).
  socketio::EncodedSio event_packet(const std::string& nsp, json data, std::string& offset);
  // Sends an EVENT to the sockets addressed on every node; how many of this node's.
  std::size_t broadcast(const std::string& nsp, const std::vector<std::string>& rooms,
                        const std::vector<std::string>& except, json data);
  // Sends `packet` to this node's sockets addressed (keeping it for recovery when it has an
  // offset); how many.
  std::size_t emit_here(const std::string& nsp, const std::vector<std::string>& rooms,
                        const std::vector<std::string>& except, const std::string& offset,
                        const socketio::EncodedSio& packet);

  App& app;
  std::string path;
  SocketIoSettings settings;
  std::recursive_mutex mu;
  int depth = 0;
  std::vector<Job> outbox;
  std::unordered_map<std::string, std::unique_ptr<Session>> sessions;  // by sid
  std::map<std::string, NamespaceState, std::less<>> namespaces;
  IoStats stats;
  bool running = true;
  TimerHandle sweep_timer;
  IoCluster cluster;          // set before the app runs, read-only after
  std::string offset_prefix;  // recovery.cpp: next_offset
  std::uint64_t offsets = 0;
};

// An ACK of `args` spread (an array as is, anything else as its one element).
socketio::EncodedSio encode_ack(std::string_view nsp, std::uint64_t id, const json& args);
// `event` then the args spread: an EVENT's data.
json event_data(std::string_view event, const json& args);

}  // namespace wisp::detail
