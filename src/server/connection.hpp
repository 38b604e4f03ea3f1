// One TCP connection of the server: its HTTP upgrade, then its WebSocket life, then its close.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/socket.hpp"
#include "net/timer_wheel.hpp"
#include "protocol/http_request.hpp"
#include "protocol/reader.hpp"
#include "server/compression.hpp"
#include "server/event_log.hpp"
#include "server/http_router.hpp"
#include "server/kept_request.hpp"
#include "server/later.hpp"
#include "server/registry.hpp"
#include "server/router.hpp"
#include "server/topics.hpp"
#include "wisp/history.hpp"
#include "wisp/upgrade.hpp"
#include "wisp/websocket.hpp"

namespace wisp {
class Response;
namespace protocol {
struct ResponseFraming;
}
}  // namespace wisp

namespace wisp::server {

class LoopServer;

class Connection final : public net::Socket, public WebSocket, private net::TimerNode {
 public:
  // Takes ownership of `fd`; belongs to the calling thread's LoopServer from here on. With
  // `tls`, speaks TLS with the context's certificates as they are now; with nullptr, plain TCP.
  Connection(int fd, const net::TlsContext* tls);
  ~Connection();

  static Connection& of(WebSocket& ws) { return static_cast<Connection&>(ws); }
  static const Connection& of(const WebSocket& ws) { return static_cast<const Connection&>(ws); }

  // The WebSocket calls (see include/wisp/websocket.hpp).
  SendStatus send(std::string_view message, OpCode op, bool compress);
  // An answer to one of this socket's own requests, given later (WebSocket::send_answer): like
  // what its handlers send, never dropped by the backpressure policy.
  SendStatus send_answer(std::string_view message, OpCode op, bool compress) {
    Answering answering(*this);
    return send(message, op, compress);
  }
  void close(int code, std::string_view reason);
  // Throws std::invalid_argument for a code that may not be sent or a bad reason.
  static void check_closable(int code, std::string_view reason);
  void terminate();
  bool closed() const { return phase_ != Phase::Open; }
  void* user_data() { return user_data_; }
  bool subscribe(std::string_view topic);
  bool unsubscribe(std::string_view topic);
  bool is_subscribed(std::string_view topic) const;
  std::vector<std::string> topics() const;
  void publish(std::string_view topic, std::string_view message, OpCode op, bool compress);
  // A topic with history from `since` (server/topic_streams.hpp).
  void subscribe(std::string_view topic, const StreamPosition& since,
                 std::function<void(TopicRecovery)> done);
  // For work posted to this socket's loop: reads null once the socket closed. Loop thread only.
  std::shared_ptr<Connection*> handle();
  bool compression_agreed() const { return deflate() != nullptr; }
  ClientRecord* client() const { return extras_ ? extras_->client.get() : nullptr; }
  // A published message for this subscriber. False when its backpressure is over the limit: the
  // caller then applies refuse() once it is done walking the subscribers (refuse runs handlers).
  // A publication is never an answer: it obeys the policy even from the socket's own handler.
  bool write_published(Publication& message);
  void refuse(std::string_view message, OpCode op);
  const void* user_data_type() const { return route_ ? route_->user_data.tag : nullptr; }

  // The server is shutting down: send the farewell and close, or drop a connection still in its
  // handshake.
  void go_away(const ShutdownOptions& options);

  // What the socket kept of its upgrade request, if anything.
  const KeptRequest* kept() const { return extras_ ? extras_->kept.get() : nullptr; }

  // Decisions reached later (server/later.hpp), on the loop thread (connection_upgrade.cpp).
  void accept_upgrade(const AcceptOptions& options);
  void reject_upgrade(const Response& response);
  void next_upgrade_stage();
  // The HTTP request being served is answered later (Response::defer): its Later, and the
  // answer when it comes (then requests pipelined behind it go on).
  std::shared_ptr<Later> defer_answer();
  void answer_later(const Response& response);

  // The frame reader's sink (protocol/reader.hpp).
  bool on_message(OpCode op, std::string_view message, bool compressed);
  bool on_ping(std::string_view payload);
  bool on_pong(std::string_view payload);
  void on_close(int code, std::string_view reason);
  void on_error(int code, std::string_view reason);

  // Links in the server's list of its connections.
  Connection* prev = nullptr;
  Connection* next = nullptr;

 private:
  enum class Phase : std::uint8_t {
    Http,     // reading HTTP requests: answered by HTTP routes, or an upgrade
    Open,     // WebSocket messages flow
    Closing,  // a close frame or an HTTP error went out; waiting for the peer to hang up
    Done,     // descriptor closed; memory freed after this batch of events
  };

  void on_data(std::uint8_t* data, std::size_t size) override;
  void on_end() override;
  void on_drained() override;
  void on_file_sent() override;
  net::BacklogMarks backlog_marks() const override;
  void on_input_paused(bool paused) override;
  static void on_timer(net::TimerNode& node);

  // While one of the socket's own handlers runs (open, message, ping, pong, drain, expiring),
  // what it sends to this socket answers the peer and is never dropped: flow control (the
  // backlog marks) bounds it instead of the backpressure policy.
  class Answering {
   public:
    explicit Answering(Connection& c) : c_(c), was_(c.answering_) { c.answering_ = true; }
    ~Answering() { c_.answering_ = was_; }
    Answering(const Answering&) = delete;
    Answering& operator=(const Answering&) = delete;

   private:
    Connection& c_;
    bool was_;
  };

  // The HTTP phase (connection_http.cpp).
  struct HttpExchange;
  void read_http(std::uint8_t* data, std::size_t size);
  bool read_head(std::string_view& input);
  bool read_body(std::string_view& input);
  void wait_for_body(std::string_view head);
  void keep_head(std::string_view head);
  void serve(std::string_view body);
  void write_file(const Response& response, const protocol::HttpRequest& request,
                  const protocol::ResponseFraming& framing);
  void answer(const Response& response);
  void hold(std::string_view input);
  void resume_held();
  void end_wait();
  void respond_to_miss(RouteStatus status, const protocol::HttpRequest& request);
  void end_http();
  bool admit();
  // The upgrade (connection_upgrade.cpp).
  void upgrade(const protocol::HttpRequest& request, std::string_view head, std::string_view rest);
  void run_upgrade_stage();
  void open_websocket(const Route& route, const AcceptOptions& options);
  std::unique_ptr<KeptRequest> keep_request();
  void become_open(const Route& route, void* user_data);
  const protocol::ReaderConfig& reader_config() const {
    return deflate() ? route_->deflate_reader : route_->reader;
  }
  std::string_view inflate(std::string_view compressed, OpCode op);
  void reject(int status, std::string_view reason, std::string_view extra_headers = {});
  void write_frame(OpCode op, std::string_view payload, bool compressed = false);
  void write_message(OpCode op, std::string_view message, bool compress);
  bool within_rate_limit(std::string_view message, OpCode op);
  void count_sent(std::size_t bytes);
  bool register_client(const Route& route, const protocol::HttpRequest& request);
  void unregister_client();
  static void check_sendable(OpCode op, std::string_view message);
  void fail_with_close(int code, std::string_view reason);
  void enter_closed(int code, std::string_view reason, ClosedBy by);
  void check_deadlines();
  void schedule_next_deadline();
  bool over_backpressure() const;
  void schedule(std::chrono::milliseconds delay);
  void finish();

  std::unique_ptr<HttpExchange> http_;  // only in the HTTP phase
  // What only some sockets need, allocated on first need: a plain socket pays one pointer.
  struct Extras {
    std::unique_ptr<Subscriptions> subscriptions;  // while subscribed to something
    std::unique_ptr<SocketDeflate> deflate;        // if permessage-deflate was agreed
    std::unique_ptr<ClientRecord> client;          // on routes with a client registry
    std::unique_ptr<KeptRequest> kept;             // params, query, kept headers, held resources
    std::shared_ptr<Connection*> handle;           // once asked for (handle())
  };
  Extras& extras() {
    if (!extras_) extras_ = std::make_unique<Extras>();
    return *extras_;
  }
  SocketDeflate* deflate() const { return extras_ ? extras_->deflate.get() : nullptr; }
  const Subscriptions* subscriptions() const {
    return extras_ ? extras_->subscriptions.get() : nullptr;
  }
  std::unique_ptr<Extras> extras_;
  const Route* route_ = nullptr;
  void* user_data_ = nullptr;  // the route's user data type, created at open, destroyed at close
  // Timer-wheel ticks, stamped by activity and read when the timer fires.
  std::uint32_t opened_tick_ = 0;
  std::uint32_t last_activity_tick_ = 0;  // any bytes received
  std::uint32_t last_message_tick_ = 0;   // a message received
  Phase phase_ = Phase::Http;
  std::uint32_t rate_window_tick_ = 0;  // the rate limit's current window began here
  std::uint32_t rate_count_ = 0;        // messages in that window
  bool awaiting_pong_ = false;          // a heartbeat ping went out and nothing came back yet
  bool warned_ = false;                 // the expiring handler ran
  bool drain_wanted_ = false;           // a send returned Backpressure: report the drain
  bool answering_ = false;              // one of this socket's handlers runs (see Answering)
  protocol::Reader reader_;
};

}  // namespace wisp::server
