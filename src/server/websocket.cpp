// The public WebSocket handle is the connection itself, seen through its public face.
#include "wisp/websocket.hpp"

#include "net/tcp_listener.hpp"
#include "server/connection.hpp"
#include "server/http_router.hpp"
#include "server/loop_server.hpp"

namespace wisp {

using server::Connection;

SendStatus WebSocket::send(std::string_view message, OpCode op, bool compress) {
  return Connection::of(*this).send(message, op, compress);
}

SendStatus WebSocket::send_answer(std::string_view message, OpCode op, bool compress) {
  return Connection::of(*this).send_answer(message, op, compress);
}

void WebSocket::close(int code, std::string_view reason) {
  Connection::of(*this).close(code, reason);
}

void WebSocket::check_close(int code, std::string_view reason) {
  Connection::check_closable(code, reason);
}

void WebSocket::terminate() { Connection::of(*this).terminate(); }

bool WebSocket::closed() const { return Connection::of(*this).closed(); }

bool WebSocket::subscribe(std::string_view topic) { return Connection::of(*this).subscribe(topic); }

void WebSocket::subscribe(std::string_view topic, const StreamPosition& since,
                          std::function<void(TopicRecovery)> done) {
  Connection::of(*this).subscribe(topic, since, std::move(done));
}

bool WebSocket::unsubscribe(std::string_view topic) {
  return Connection::of(*this).unsubscribe(topic);
}

bool WebSocket::is_subscribed(std::string_view topic) const {
  return Connection::of(*this).is_subscribed(topic);
}

std::vector<std::string> WebSocket::topics() const { return Connection::of(*this).topics(); }

void WebSocket::publish(std::string_view topic, std::string_view message, OpCode op,
                        bool compress) {
  Connection::of(*this).publish(topic, message, op, compress);
}

std::string_view WebSocket::client_id() const {
  const server::ClientRecord* record = Connection::of(*this).client();
  return record ? std::string_view(record->id) : std::string_view();
}

void WebSocket::set_metadata(std::string key, std::string value) {
  if (const server::ClientRecord* record = Connection::of(*this).client()) {
    server::LoopServer::current().app().registry.set_metadata(record->id, std::move(key),
                                                              std::move(value));
  }
}

bool WebSocket::compression_agreed() const { return Connection::of(*this).compression_agreed(); }

std::size_t WebSocket::buffered_amount() const { return Connection::of(*this).buffered(); }

std::string WebSocket::remote_address() const {
  return net::peer_address(Connection::of(*this).fd());
}

namespace {

std::string_view kept(const WebSocket& ws, server::KeptRequest::Kind kind, std::string_view name) {
  const server::KeptRequest* kept = Connection::of(ws).kept();
  return kept ? kept->find(kind, name) : std::string_view();
}

}  // namespace

std::string_view WebSocket::param(std::string_view name) const {
  return kept(*this, server::KeptRequest::Kind::Param, name);
}

std::string_view WebSocket::query() const {
  return kept(*this, server::KeptRequest::Kind::Query, {});
}

std::optional<std::string> WebSocket::query(std::string_view name) const {
  return server::query_value(query(), name);
}

std::vector<std::pair<std::string, std::string>> WebSocket::query_params() const {
  return server::parse_query(query());
}

std::string_view WebSocket::header(std::string_view name) const {
  return kept(*this, server::KeptRequest::Kind::Header, name);
}

void* WebSocket::user_data() { return Connection::of(*this).user_data(); }

const void* WebSocket::user_data_type() const { return Connection::of(*this).user_data_type(); }

}  // namespace wisp
