// Listening TCP sockets and the acceptor that hands new connections to a callback.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "net/event_loop.hpp"
#include "net/timer_wheel.hpp"

namespace wisp::net {

// A non-blocking listening socket bound to host:port (numeric IPv4/IPv6 or "localhost"), with
// SO_REUSEADDR and, when `reuse_port`, SO_REUSEPORT so that one socket per loop thread can share
// the port. Throws std::system_error when it cannot be bound.
int listen_tcp(std::string_view host, std::uint16_t port, bool reuse_port);

// The port a socket is bound to.
std::uint16_t local_port(int fd);

// "ip:port" ("[ip]:port" for IPv6) of the peer of a connected socket; empty on failure.
std::string peer_address(int fd);
// The address part of "ip:port" or "[ip]:port": "ip".
std::string_view address_ip(std::string_view address);

// Accepts connections on a listening socket owned by the caller's loop thread. New sockets are
// non-blocking, close-on-exec and TCP_NODELAY.
class Acceptor final : public Pollable, private TimerNode {
 public:
  using Handler = std::function<void(int fd)>;
  Acceptor(int listen_fd, Handler on_accept);  // takes ownership of listen_fd
  ~Acceptor();
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  // Stops accepting and closes the listening socket.
  void close();

 private:
  void on_poll(std::uint32_t events) override;
  void pause_after_fd_exhaustion();
  static void resume(TimerNode& node);

  int fd_;
  Handler on_accept_;
};

}  // namespace wisp::net
