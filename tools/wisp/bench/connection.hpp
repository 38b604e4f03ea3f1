// One client WebSocket connection of the load: non-blocking connect from a chosen local address,
// the opening handshake, wisp's Reader in the client role, and a send queue flushed per batch.
#pragma once

#include <netinet/in.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "options.hpp"
#include "poller.hpp"
#include "protocol/deflate_negotiation.hpp"
#include "protocol/deflate_stream.hpp"
#include "protocol/reader.hpp"
#include "tls_stream.hpp"
#include "wisp/opcode.hpp"

namespace wisp::tool::bench {

// Where every connection goes, and the upgrade request they all send.
struct Target {
  Target(const std::string& host, std::uint16_t port, const std::string& path, bool raw,
         Deflate deflate);

  sockaddr_in server{};
  std::string request;            // the GET with Upgrade, sent as it is
  std::array<char, 28> accept{};  // the Sec-WebSocket-Accept a valid 101 holds
  bool raw = false;               // plain TCP echo: no handshake, frames come back masked
  bool http = false;              // plain HTTP/1.1: no upgrade, the bytes go to on_bytes
  bool tls = false;               // TLS (OpenSSL) under either
  protocol::ReaderConfig reader;
  std::optional<protocol::ClientDeflatePolicy> deflate;  // offered: the server must accept it
};

class Connection;

// What a mode hears from its connections.
class ConnectionEvents {
 public:
  virtual void on_open(Connection& c) = 0;
  virtual void on_message(Connection& c, OpCode op, std::string_view payload) = 0;
  // The connection is over: `error` is empty after a clean close we asked for.
  virtual void on_end(Connection& c, std::string_view error) = 0;
  // HTTP targets: bytes from the server as they arrive (responses are the mode's to parse).
  virtual void on_bytes(Connection&, std::string_view) {}

 protected:
  ~ConnectionEvents() = default;
};

class Connection final : public Pollable {
 public:
  enum class State : std::uint8_t {
    Idle,
    Connecting,
    TlsHandshake,
    Handshake,
    Open,
    Closing,
    Done
  };

  Connection(Poller& poller, const Target& target, ConnectionEvents& events, std::uint32_t id)
      : poller_(poller), target_(target), events_(events), id_(id) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts connecting from `source` (any port); the outcome arrives as on_open or on_end.
  void connect(in_addr source);
  // Queues bytes (whole frames) for the next flush().
  void send(std::string_view bytes) { out_.append(bytes); }
  // Queues one frame, masked.
  void send_frame(OpCode op, std::string_view payload);
  // Queues one message: deflated (context kept unless agreed otherwise) when compression is on.
  void send_message(OpCode op, std::string_view payload);
  // Writes what is queued, as far as the socket takes it; the rest goes when it is writable.
  void flush();
  // Starts the closing handshake (code 1000); on_end follows when the server has hung up.
  void close();

  std::uint32_t id() const { return id_; }
  State state() const { return state_; }
  bool has_opened() const { return opened_; }  // since the last connect()
  // permessage-deflate as agreed in the handshake (the offer was required to be accepted).
  const std::optional<protocol::DeflateParams>& deflate() const { return deflate_; }
  std::uint64_t inflated() const { return inflated_; }  // compressed messages received

  // protocol::Reader's sink.
  bool on_message(OpCode op, std::string_view payload, bool compressed);
  bool on_ping(std::string_view payload);
  bool on_pong(std::string_view) { return true; }
  void on_close(int code, std::string_view reason);
  void on_error(int code, std::string_view reason);

 private:
  void on_poll(std::uint32_t events) override;
  void on_connected();
  void continue_tls_handshake();
  void begin_protocol();
  ssize_t transmit(const char* data, std::size_t size);
  ssize_t receive(std::uint8_t* data, std::size_t size);
  void on_readable();
  std::size_t read_handshake(const std::uint8_t* data, std::size_t size);
  bool agree_deflate(std::string_view head);
  protocol::Inflater& inflater();
  void open();
  void end(std::string_view error);
  void want_write(bool want);

  Poller& poller_;
  const Target& target_;
  ConnectionEvents& events_;
  std::uint32_t id_;
  int fd_ = -1;
  State state_ = State::Idle;
  bool want_write_ = false;
  bool opened_ = false;
  protocol::Reader reader_;
  std::string handshake_;  // the response head, gathered until its blank line
  std::string out_;        // bytes waiting for the socket
  std::size_t out_sent_ = 0;
  std::optional<protocol::DeflateParams> deflate_;
  std::unique_ptr<protocol::Deflater> deflater_;  // on first use
  std::unique_ptr<protocol::Inflater> inflater_;  // on first use, when the server keeps context
  std::uint64_t inflated_ = 0;
  std::unique_ptr<TlsStream> tls_;  // with --tls, from the TCP connect on
};

}  // namespace wisp::tool::bench
