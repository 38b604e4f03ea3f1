#include "server/loop_server.hpp"

#include <vector>

#include "server/connection.hpp"

namespace wisp::server {

LoopServer::LoopServer(AppState& app, const std::vector<ListenSocket>& sockets)
    : app_(app),
      topics_([&app](std::string_view topic, int change) { app.count_subscriber(topic, change); }) {
  for (const ListenSocket& socket : sockets) {
    acceptors_.push_back(std::make_unique<net::Acceptor>(
        socket.fd, [tls = socket.tls](int fd) { new Connection(fd, tls); }));
  }
  current_ = this;  // last: a constructor that throws leaves no dangling current()
}

// Whatever is still open when the loop ends is dropped; the loop's destructor frees it.
LoopServer::~LoopServer() {
  loop_.timers().cancel(stop_deadline_);
  acceptors_.clear();
  while (connections_) connections_->terminate();
  current_ = nullptr;
}

void LoopServer::add(Connection& connection) {
  connection.next = connections_;
  if (connections_) connections_->prev = &connection;
  connections_ = &connection;
  ++connection_count_;
  LoopMetrics::add(metrics_.connections);
}

void LoopServer::remove(Connection& connection) {
  if (connection.prev)
    connection.prev->next = connection.next;
  else
    connections_ = connection.next;
  if (connection.next) connection.next->prev = connection.prev;
  connection.prev = connection.next = nullptr;
  LoopMetrics::subtract(metrics_.connections);
  if (--connection_count_ == 0 && stopping_) loop_.stop();
}

void LoopServer::send_to_registered(std::string_view message, OpCode op) {
  // Collected first: a send may run handlers (the backpressure policy) that close connections.
  std::vector<Connection*> recipients;
  for (Connection* c = connections_; c; c = c->next) {
    if (c->client() && !c->closed()) recipients.push_back(c);
  }
  for (Connection* c : recipients) c->send(message, op, true);
}

void LoopServer::begin_stop(const ShutdownOptions& options) {
  if (stopping_) return;
  stopping_ = true;
  acceptors_.clear();
  for (Connection* c = connections_; c;) {
    Connection* next = c->next;  // go_away() may unlink c
    c->go_away(options);
    c = next;
  }
  if (connection_count_ == 0) return loop_.stop();
  loop_.timers().schedule(stop_deadline_, options.timeout);
}

void LoopServer::StopDeadline::fire(net::TimerNode& node) {
  LoopServer& self = static_cast<StopDeadline&>(node).server;
  while (self.connections_) self.connections_->terminate();  // the last one stops the loop
}

}  // namespace wisp::server
