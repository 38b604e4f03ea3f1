// A cluster node in a process of its own, for faults no graceful stop shows: killed outright
// (SIGKILL) or hung (SIGSTOP).
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster_app.hpp"

namespace wisp::test {

// A node in a process of its own (forked while this test's process has one thread, before any
// App runs here), killed with SIGKILL: no farewell, its heartbeat just stops.
class ChildNode {
 public:
  explicit ChildNode(const RedisOptions& options) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) run_child(options, fds[1]);
    ::close(fds[1]);
    pollfd ready{fds[0], POLLIN, 0};
    bool told = poll(&ready, 1, 10000) == 1 && read(fds[0], &port_, sizeof port_) == sizeof port_;
    ::close(fds[0]);
    if (!told) throw std::runtime_error("the child node did not start");
  }
  ~ChildNode() { kill(); }
  std::uint16_t port() const { return port_; }
  void hang() { ::kill(pid_, SIGSTOP); }
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  [[noreturn]] static void run_child(const RedisOptions& options, int out) {
    auto* node = new Node(options);  // never destroyed: the process is killed
    if (!eventually([&] { return node->up(); })) _exit(1);
    std::uint16_t port = node->port();
    if (write(out, &port, sizeof port) != sizeof port) _exit(1);
    for (;;) ::pause();
  }
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace wisp::test
