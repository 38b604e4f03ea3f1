// The server's part on one event-loop thread: its listening socket, its connections.
#pragma once

#include <cstddef>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "net/event_loop.hpp"
#include "net/tcp_listener.hpp"
#include "protocol/http_response.hpp"
#include "server/app_state.hpp"
#include "server/compression.hpp"
#include "server/metrics.hpp"
#include "server/router.hpp"
#include "server/scheduled_task.hpp"
#include "server/topics.hpp"
#include "wisp/settings.hpp"

namespace wisp::server {

class Connection;

// A listening socket of one loop, and the TLS context its connections use (null: plain TCP).
struct ListenSocket {
  int fd;
  const net::TlsContext* tls;
};

class LoopServer {
 public:
  // Must be constructed on the thread that will call run(); takes ownership of the sockets.
  LoopServer(AppState& app, const std::vector<ListenSocket>& sockets);
  ~LoopServer();
  LoopServer(const LoopServer&) = delete;
  LoopServer& operator=(const LoopServer&) = delete;

  // The server of the calling loop thread (sockets reach theirs this way, not by a pointer each).
  static LoopServer& current() { return *current_; }

  void run() { loop_.run(); }
  net::EventLoop& loop() { return loop_; }
  AppState& app() { return app_; }
  const Router& router() const { return app_.router; }
  const AppOptions& options() const { return app_.options; }
  TopicTable& topics() { return topics_; }
  LoopCompression& compression() { return compression_; }
  LoopMetrics& metrics() { return metrics_; }
  TaskList& tasks() { return tasks_; }
  // The Date header's value, formatted once a second.
  std::string_view http_date() { return http_date_.at(std::time(nullptr)); }
  const LoopMetrics& metrics() const { return metrics_; }
  // A per-loop string for building responses, to avoid an allocation per handshake.
  std::string& scratch() { return scratch_; }

  void add(Connection& connection);
  void remove(Connection& connection);
  // Loop thread: stop accepting, close every connection, and end run() once none is left.
  void begin_stop(const ShutdownOptions& options);
  // Sends to every open connection of this loop that has a client id.
  void send_to_registered(std::string_view message, OpCode op);

 private:
  // constinit and inline: every file that reads it knows it needs no dynamic initialisation.
  // (Declared here and defined in one .cpp, GCC reached it through a weak TLS wrapper that
  // came out null under UBSan.)
  static inline constinit thread_local LoopServer* current_ = nullptr;

  net::EventLoop loop_;
  AppState& app_;
  TopicTable topics_;
  LoopCompression compression_;
  LoopMetrics metrics_;
  protocol::HttpDate http_date_;
  TaskList tasks_;  // after loop_: destroyed first, while the loop's timer wheel lives
  std::vector<std::unique_ptr<net::Acceptor>> acceptors_;  // Acceptor cannot move
  Connection* connections_ = nullptr;
  std::size_t connection_count_ = 0;
  bool stopping_ = false;
  // Ends a shutdown's grace period: whatever is still open then is dropped.
  struct StopDeadline : net::TimerNode {
    explicit StopDeadline(LoopServer& server) : net::TimerNode(&fire), server(server) {}
    static void fire(net::TimerNode& node);
    LoopServer& server;
  } stop_deadline_{*this};
  std::string scratch_;
};

}  // namespace wisp::server
