#include "client/dialer.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "client/backoff.hpp"
#include "client/client_connection.hpp"

namespace wisp::client {
namespace {

net::EventLoop& loop() { return *net::EventLoop::current(); }

void report(const Plan& plan, std::string message) {
  if (plan.handlers.fail) plan.handlers.fail({.message = std::move(message)});
}

}  // namespace

void Dialer::start(std::shared_ptr<const Plan> plan, Connections& owner) {
  const int fd = ::socket(plan->address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return report(*plan, std::strerror(errno));
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&plan->address), plan->address_size) < 0 &&
      errno != EINPROGRESS) {
    const int error = errno;
    ::close(fd);
    return report(*plan, std::strerror(error));
  }
  new Dialer(fd, std::move(plan), owner);  // owns itself until end()
}

Dialer::Dialer(int fd, std::shared_ptr<const Plan> plan, Connections& owner)
    : net::TimerNode(&Dialer::on_timer), fd_(fd), plan_(std::move(plan)), owner_(owner) {
  owner_.add(*this);
  loop().add(fd_, *this, EPOLLOUT);  // the connect's outcome shows as writability
  loop().timers().schedule(*this, plan_->settings.open_timeout);
}

void Dialer::on_poll(std::uint32_t) {
  if (fd_ < 0) return;  // ended earlier in this batch
  int error = 0;
  socklen_t size = sizeof error;
  getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size);
  if (error) return fail(std::strerror(error));
  loop().remove(fd_);
  const int fd = std::exchange(fd_, -1);
  std::shared_ptr<const Plan> plan = plan_;
  Connections& owner = owner_;
  end();
  new ClientConnection(fd, std::move(plan), owner);  // owns itself until it finishes
}

void Dialer::on_timer(net::TimerNode& node) {
  static_cast<Dialer&>(node).fail("timed out connecting");
}

void Dialer::fail(const std::string& message) {
  std::shared_ptr<const Plan> plan = plan_;
  Connections& owner = owner_;
  abandon();
  attempt_failed(plan, owner, {.message = message});
}

void Dialer::abandon() {
  if (fd_ >= 0) {
    loop().remove(fd_);
    ::close(std::exchange(fd_, -1));
  }
  end();
}

void Dialer::end() {
  loop().timers().cancel(*this);
  owner_.remove(*this);
  loop().retire(this);
}

}  // namespace wisp::client
