// Engine.IO sessions: opening, sending over whichever transport carries them, the heartbeat the
// server drives, and closing.
#include <openssl/rand.h>

#include <stdexcept>

#include "socketio/server.hpp"

namespace wisp::detail {

using socketio::EioPacket;
using socketio::EioType;

SocketIoServer::Guard::Guard(SocketIoServer& server) : server_(server) {
  server_.mu.lock();
  ++server_.depth;
}

SocketIoServer::Guard::~Guard() {
  std::vector<Job> actions;
  if (--server_.depth == 0) actions.swap(server_.outbox);
  server_.mu.unlock();
  for (auto& action : actions) action();
}

// 20 characters of base64url from 15 random bytes, as engine.io's ids.
std::string SocketIoServer::new_id() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  unsigned char bytes[15];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  std::string id;
  for (std::size_t i = 0; i < sizeof bytes; i += 3) {
    const unsigned bits = bytes[i] << 16 | bytes[i + 1] << 8 | bytes[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) id.push_back(kAlphabet[bits >> shift & 63]);
  }
  return id;
}

Session* SocketIoServer::open_session(Transport transport, std::string ws_client) {
  if (!running || sessions.size() >= settings.max_sessions) {
    ++stats.refused;
    return nullptr;
  }
  auto session = std::make_unique<Session>(settings.max_attachments);
  session->sid = new_id();
  session->transport = transport;
  session->ws_client = std::move(ws_client);
  session->created = Clock::now();
  session->next_ping = session->created + settings.ping_interval;
  Session* raw = session.get();
  sessions.emplace(raw->sid, std::move(session));
  return raw;
}

Session* SocketIoServer::find(std::string_view sid) {
  auto it = sessions.find(std::string(sid));
  return it == sessions.end() || it->second->closed ? nullptr : it->second.get();
}

NspSocket* SocketIoServer::socket_of(std::string_view sid, std::string_view nsp,
                                     std::string_view socket_id) {
  Session* session = find(sid);
  if (!session) return nullptr;
  auto it = session->sockets.find(nsp);
  if (it == session->sockets.end() || it->second->id() != socket_id) return nullptr;
  return it->second.get();
}

void SocketIoServer::send(Session& session, EioPacket packet) {
  if (session.closed) return;
  if (session.transport == Transport::WebSocket) {
    const OpCode op = packet.binary ? OpCode::Binary : OpCode::Text;
    const std::string frame =
        packet.binary ? std::move(packet.data) : socketio::encode_packet(packet.type, packet.data);
    if (session.ws && session.ws_thread == std::this_thread::get_id()) {
      session.ws->send(frame, op);  // a drop past max_backpressure is counted by `dropped`
    } else if (!app.send_to(session.ws_client, frame, op)) {
      ++stats.dropped;
    }
    return;
  }
  if (session.queue.size() >= settings.max_buffered_packets) {
    ++stats.overflowed;
    close_session(session, "transport error");
    return;
  }
  session.queue.push_back(std::move(packet));
  flush_poll(session);
}

void SocketIoServer::send_sio(Session& session, const socketio::EncodedSio& packet) {
  send(session, {EioType::Message, packet.text, false});
  for (const auto& attachment : packet.attachments)
    send(session, {EioType::Message, attachment, true});
}

// Answers the held GET with everything queued.
void SocketIoServer::flush_poll(Session& session) {
  if (!session.poll || session.queue.empty()) return;
  std::string payload;
  for (const auto& packet : session.queue) socketio::append_to_payload(payload, packet);
  session.queue.clear();
  after_unlock([poll = std::move(*session.poll), payload = std::move(payload)]() mutable {
    poll.text(payload);
  });
  session.poll.reset();
}

void SocketIoServer::close_session(Session& session, std::string_view reason) {
  if (session.closed) return;
  while (!session.sockets.empty()) remove_socket(session, session.sockets.begin()->first, reason);
  session.closed = true;
  if (session.poll) {
    session.queue.push_back({EioType::Close, {}, false});
    flush_poll(session);
  }
  for (const std::string* client : {&session.ws_client, &session.probe_client}) {
    if (client->empty()) continue;
    after_unlock([&app = app, id = *client] { app.disconnect(id, close_code::normal); });
  }
  // Destroyed after the lock is left: the transport's handler that called this still uses it.
  auto it = sessions.find(session.sid);
  after_unlock([owned = std::shared_ptr<Session>(std::move(it->second))] {});
  sessions.erase(it);
}

// An Engine.IO packet from the client, whichever transport carried it.
void SocketIoServer::receive(Session& session, const EioPacket& packet) {
  switch (packet.type) {
    case EioType::Pong:
      session.pong_deadline.reset();
      session.next_ping = Clock::now() + settings.ping_interval;
      return;
    case EioType::Message:
      return on_message(session, packet);
    case EioType::Close:
      return close_session(session, "transport close");
    case EioType::Ping:  // v3 clients' heartbeat; v4 clients never send one outside a probe
    case EioType::Noop:
      return;
    default:
      break;
  }
  ++stats.parse_errors;
  close_session(session, "parse error");
}

// The heartbeat, held polls and sessions that never connected, every tick.
void SocketIoServer::sweep() {
  const auto now = Clock::now();
  if (recovery_on(*this)) expire_recovery(*this, now);
  std::vector<Session*> all;
  all.reserve(sessions.size());
  for (auto& [sid, session] : sessions) all.push_back(session.get());
  for (Session* session : all) {
    if (session->closed) continue;  // by a hook of a session closed before it
    if (session->pong_deadline && now >= *session->pong_deadline) {
      ++stats.ping_timeouts;
      close_session(*session, "ping timeout");
      continue;
    }
    if (!session->ever_connected && now - session->created >= settings.connect_timeout) {
      close_session(*session, "transport close");
      continue;
    }
    if (!session->pong_deadline && now >= session->next_ping) {
      session->pong_deadline = now + settings.ping_timeout;
      send(*session, {EioType::Ping, {}, false});
      continue;
    }
    if (session->poll && now - session->poll_since >= settings.poll_hold) {
      session->queue.push_back({EioType::Noop, {}, false});
      flush_poll(*session);
    }
  }
}

}  // namespace wisp::detail
