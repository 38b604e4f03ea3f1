// One client WebSocket connection after its TCP connect: TLS (if wss), the upgrade request and
// the check of its answer, then the client role's session (masked sends, unmasked receives,
// deflate, keepalive, the closing handshake with its deadline).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "client/connections.hpp"
#include "client/plan.hpp"
#include "net/socket.hpp"
#include "net/timer_wheel.hpp"
#include "protocol/deflate_negotiation.hpp"
#include "protocol/deflate_stream.hpp"
#include "protocol/reader.hpp"
#include "wisp/client.hpp"

namespace wisp::client {

class ClientConnection final : public net::Socket,
                               public ClientSocket,
                               public Connections::Member,
                               private net::TimerNode {
 public:
  // Takes ownership of the connected `fd` and sends the upgrade request of `plan`.
  ClientConnection(int fd, std::shared_ptr<const Plan> plan, Connections& owner);
  ~ClientConnection();

  static ClientConnection& of(ClientSocket& s) { return static_cast<ClientConnection&>(s); }
  static const ClientConnection& of(const ClientSocket& s) {
    return static_cast<const ClientConnection&>(s);
  }

  // The ClientSocket calls.
  SendStatus send(std::string_view message, OpCode op, bool compress);
  void close(int code, std::string_view reason);
  void terminate();
  bool closed() const { return phase_ != Phase::Open; }
  std::string_view subprotocol() const { return subprotocol_; }
  bool compression_agreed() const { return deflate_.has_value(); }
  std::uint64_t dropped() const { return dropped_; }

  // The client is going away: ends the connection without handlers.
  void abandon() override;

  // The frame reader's sink (protocol/reader.hpp).
  bool on_message(OpCode op, std::string_view message, bool compressed);
  bool on_ping(std::string_view payload);
  bool on_pong(std::string_view payload);
  void on_close(int code, std::string_view reason);
  void on_error(int code, std::string_view reason);

 private:
  enum class Phase : std::uint8_t {
    Handshake,  // the upgrade request went (or waits for TLS); reading the answer's head
    Refused,    // the answer was not 101: reading its body for the error report
    Open,
    Closing,  // a close frame went out; waiting for the server's and its end of TCP
    Done,
  };

  void on_data(std::uint8_t* data, std::size_t size) override;
  void on_end() override;
  void on_drained() override;
  static void on_timer(net::TimerNode& node);

  void read_handshake(std::string_view bytes);
  void read_refusal(std::string_view bytes);
  void open(std::string_view rest);
  void fail(ConnectError error);
  std::string_view inflate(std::string_view compressed, OpCode op);
  void write_frame(OpCode op, std::string_view payload, bool compressed = false);
  void fail_with_close(int code, std::string_view reason);
  void enter_closed(int code, std::string_view reason);
  void check_keepalive();
  void finish();

  std::shared_ptr<const Plan> plan_;
  Connections& owner_;
  Phase phase_ = Phase::Handshake;
  bool drain_wanted_ = false;
  bool awaiting_pong_ = false;
  bool opened_ = false;       // reached Open (then its end may start a reconnection)
  bool closed_here_ = false;  // close() or terminate() was called: no reconnection
  int close_code_ = close_code::abnormal;
  std::string close_reason_;
  std::string head_;  // the answer to the upgrade as it arrives; then a refusal's body
  std::size_t refusal_body_size_ = 0;  // the refusal body bytes to read (capped)
  int refusal_status_ = 0;
  std::string refusal_line_;
  std::string subprotocol_;
  std::optional<protocol::DeflateParams> deflate_;
  std::unique_ptr<protocol::Deflater> deflater_;  // on first compressed send
  std::unique_ptr<protocol::Inflater> inflater_;  // on first compressed message
  protocol::ReaderConfig reader_config_;
  protocol::Reader reader_;
  std::chrono::steady_clock::time_point last_activity_;
  std::uint64_t dropped_ = 0;
};

}  // namespace wisp::client
