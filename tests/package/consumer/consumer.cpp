// A project of a wisp user's, built against an installed wisp (find_package or pkg-config): it
// serves GET /version on a free loopback port, asks for it over a plain socket, and checks the
// answer. Exit status 0 when the installed headers, library and dependencies all work together.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <thread>

#include "wisp/wisp.hpp"

namespace {

// One HTTP/1.1 request to 127.0.0.1:port; the whole answer (the server closes after it).
std::string ask(std::uint16_t port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval limit{5, 0};  // a broken install fails here instead of hanging
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) answer.append(buffer, n);
  }
  ::close(fd);
  return answer;
}

}  // namespace

int main() {
  wisp::App app;
  app.get("/version", [](wisp::Request&, wisp::Response& res) { res.text(wisp::version); });
  app.listen("127.0.0.1", 0);
  std::thread server([&] { app.run(); });
  std::string answer =
      ask(app.port(), "GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  app.stop();
  server.join();
  bool ok = answer.starts_with("HTTP/1.1 200") && answer.ends_with(std::string(wisp::version));
  std::cout << (ok ? "consumer: wisp " : "consumer: unexpected answer from wisp ")
            << (ok ? std::string(wisp::version) : answer) << std::endl;
  return ok ? 0 : 1;
}
