#include "net/tcp_listener.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <system_error>

namespace wisp::net {
namespace {

[[noreturn]] void throw_errno(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), what);
}

int bind_first(const addrinfo* candidates, bool reuse_port, const std::string& where) {
  int last_error = EADDRNOTAVAIL;
  for (const addrinfo* ai = candidates; ai; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0) return fd;
    last_error = errno;
    ::close(fd);
  }
  throw_errno(last_error, "wisp: cannot listen on " + where);
}

}  // namespace

int listen_tcp(std::string_view host, std::uint16_t port, bool reuse_port) {
  const std::string host_name(host);
  const std::string service = std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string where = host_name + ":" + service;
  if (const int rc = getaddrinfo(host_name.c_str(), service.c_str(), &hints, &found); rc != 0) {
    throw std::system_error(EINVAL, std::generic_category(),
                            "wisp: cannot resolve " + where + ": " + gai_strerror(rc));
  }
  try {
    const int fd = bind_first(found, reuse_port, where);
    freeaddrinfo(found);
    return fd;
  } catch (...) {
    freeaddrinfo(found);
    throw;
  }
}

std::uint16_t local_port(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  if (address.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<sockaddr_in6&>(address).sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in&>(address).sin_port);
}

std::string peer_address(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (fd < 0 || getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return {};
  char ip[INET6_ADDRSTRLEN] = {};
  std::uint16_t port = 0;
  const bool v6 = address.ss_family == AF_INET6;
  if (v6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
    inet_ntop(AF_INET6, &in6.sin6_addr, ip, sizeof ip);
    port = ntohs(in6.sin6_port);
  } else {
    const auto& in4 = reinterpret_cast<const sockaddr_in&>(address);
    inet_ntop(AF_INET, &in4.sin_addr, ip, sizeof ip);
    port = ntohs(in4.sin_port);
  }
  char text[INET6_ADDRSTRLEN + 10];
  std::snprintf(text, sizeof text, v6 ? "[%s]:%u" : "%s:%u", ip, unsigned{port});
  return text;
}

std::string_view address_ip(std::string_view address) {
  const auto port = address.rfind(':');
  if (port == std::string_view::npos) return address;
  address = address.substr(0, port);
  if (address.starts_with('[') && address.ends_with(']'))
    address = address.substr(1, address.size() - 2);
  return address;
}

Acceptor::Acceptor(int listen_fd, Handler on_accept)
    : TimerNode(&Acceptor::resume), fd_(listen_fd), on_accept_(std::move(on_accept)) {
  EventLoop::current()->add(fd_, *this, EPOLLIN);
}

Acceptor::~Acceptor() { close(); }

void Acceptor::close() {
  if (fd_ < 0) return;
  EventLoop::current()->timers().cancel(*this);
  EventLoop::current()->remove(fd_);
  ::close(fd_);
  fd_ = -1;
}

void Acceptor::on_poll(std::uint32_t) {
  // A bounded batch keeps one busy listener from delaying the sockets already connected.
  for (int i = 0; i < 64 && fd_ >= 0; ++i) {
    const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        pause_after_fd_exhaustion();
      }
      return;  // EAGAIN, or a connection that died in the backlog (ECONNABORTED ...)
    }
    const int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    on_accept_(fd);
  }
}

// Out of descriptors: the pending connection stays in the backlog and the level-triggered poll
// would report it again at once, spinning the loop. Stop watching for a moment instead.
void Acceptor::pause_after_fd_exhaustion() {
  EventLoop::current()->remove(fd_);
  EventLoop::current()->timers().schedule(*this, std::chrono::milliseconds(100));
}

void Acceptor::resume(TimerNode& node) {
  auto& self = static_cast<Acceptor&>(node);
  if (self.fd_ >= 0) EventLoop::current()->add(self.fd_, self, EPOLLIN);
}

}  // namespace wisp::net
