// The WebSocket transport: a session of its own (open packet first), or a probe that takes over
// a polling session ("2probe" -> "3probe", then "5" upgrade; the held poll gets a noop).
#include "socketio/handshake.hpp"
#include "socketio/server.hpp"
#include "socketio/transports.hpp"
#include "wisp/upgrade.hpp"

namespace wisp::detail {
namespace {

using socketio::EioError;
using socketio::EioPacket;
using socketio::EioType;

// Per WebSocket: the session it carries or probes for; the handshake until the session has it.
struct WsData {
  std::string sid;
  bool probing = false;
  Pairs query;
  Pairs headers;
};

void reject(SocketIoServer& server, Upgrade& up, EioError error, int status = 400) {
  ++server.stats.refused;
  up.reject(status, socketio::error_json(error), {{"Content-Type", "application/json"}});
}

void upgrade(SocketIoServer& server, Upgrade& up) {
  SocketIoServer::Guard guard(server);
  const auto error =
      check_request(up.query("EIO"), up.query("transport"), "websocket", server.settings.websocket);
  if (error) return reject(server, up, *error);
  WsData& data = up.data<WsData>();
  if (auto sid = up.query("sid")) {
    Session* session = server.find(*sid);
    if (!session) return reject(server, up, EioError::UnknownSid);
    if (session->transport != Transport::Polling || !session->probe_client.empty()) {
      return reject(server, up, EioError::BadRequest);
    }
    data.sid = *sid;
    data.probing = true;
    return;
  }
  if (!server.running || server.sessions.size() >= server.settings.max_sessions) {
    return reject(server, up, EioError::Forbidden, 503);
  }
  data.query = parse_query(up.query());
  for (std::string_view name : kKeptHeaders) {
    if (auto value = up.header(name); !value.empty()) data.headers.emplace_back(name, value);
  }
}

void open(SocketIoServer& server, WebSocket& ws) {
  SocketIoServer::Guard guard(server);
  WsData& data = ws.data<WsData>();
  if (data.probing) {
    Session* session = server.find(data.sid);
    if (!session || !session->probe_client.empty()) return ws.close(close_code::normal);
    session->probe_client = ws.client_id();
    return;
  }
  Session* session = server.open_session(Transport::WebSocket, std::string(ws.client_id()));
  if (!session) return ws.close(close_code::try_again_later, "too many sessions");
  session->ws = &ws;
  session->ws_thread = std::this_thread::get_id();
  session->query = std::move(data.query);
  session->headers = std::move(data.headers);
  data.sid = session->sid;
  const auto& s = server.settings;
  ws.send(socketio::encode_packet(EioType::Open,
                                  socketio::open_json(session->sid, false, s.ping_interval.count(),
                                                      s.ping_timeout.count(), s.max_payload)));
}

// The probe's packets: ping "probe", then the upgrade; what it held is flushed over it.
void probe(SocketIoServer& server, WebSocket& ws, Session& session, const EioPacket& packet) {
  if (packet.type == EioType::Ping && packet.data == "probe") {
    ws.send(socketio::encode_packet(EioType::Pong, "probe"));
    session.queue.push_back({EioType::Noop, {}, false});  // lets the client's poll return
    return server.flush_poll(session);
  }
  if (packet.type != EioType::Upgrade) return;
  auto pending = std::move(session.queue);
  session.queue.clear();
  if (session.poll) {
    session.queue.push_back({EioType::Noop, {}, false});
    server.flush_poll(session);
  }
  session.transport = Transport::WebSocket;
  session.ws_client = std::move(session.probe_client);
  session.ws = &ws;
  session.ws_thread = std::this_thread::get_id();
  session.probe_client.clear();
  ws.data<WsData>().probing = false;
  for (auto& queued : pending) server.send(session, std::move(queued));
}

void message(SocketIoServer& server, WebSocket& ws, std::string_view text, OpCode op) {
  SocketIoServer::Guard guard(server);
  WsData& data = ws.data<WsData>();
  Session* session = server.find(data.sid);
  if (!session) return;
  auto packet = op == OpCode::Binary
                    ? std::optional<EioPacket>({EioType::Message, std::string(text), true})
                    : socketio::decode_packet(text);
  if (!packet) {
    ++server.stats.parse_errors;
    return server.close_session(*session, "parse error");
  }
  if (data.probing) return probe(server, ws, *session, *packet);
  server.receive(*session, *packet);
}

void close(SocketIoServer& server, WebSocket& ws) {
  SocketIoServer::Guard guard(server);
  WsData& data = ws.data<WsData>();
  Session* session = server.find(data.sid);
  if (!session) return;
  if (session->probe_client == ws.client_id()) {
    session->probe_client.clear();
    return;
  }
  if (session->ws_client != ws.client_id()) return;
  session->ws_client.clear();  // closed already: nothing to disconnect
  session->ws = nullptr;
  server.close_session(*session, "transport close");
}

}  // namespace

void add_websocket_route(const std::shared_ptr<SocketIoServer>& server) {
  WebSocketSettings settings = server->settings.websocket_settings;
  settings.client_registry = true;
  settings.max_message_size = server->settings.max_payload;
  settings.backpressure_policy = LimitPolicy::Drop;
  server->app.ws<WsData>(
      server->path,
      {.settings = settings,
       .upgrade = [server](Upgrade& up) { upgrade(*server, up); },
       .open = [server](WebSocket& ws) { open(*server, ws); },
       .message = [server](WebSocket& ws, std::string_view text,
                           OpCode op) { message(*server, ws, text, op); },
       .close = [server](WebSocket& ws, int, std::string_view) { close(*server, ws); },
       .dropped =
           [server](WebSocket&, std::string_view, OpCode) {
             SocketIoServer::Guard guard(*server);
             ++server->stats.dropped;
           }});
}

}  // namespace wisp::detail
