// TLS vs plain TCP for net::Socket: memory per idle connection (the server runs in a child
// process whose RSS is read from /proc) and echo round trips over loopback.
//   wisp_tls_bench CERT KEY [CONNECTIONS]
// CERT/KEY: a certificate for 127.0.0.1 and its unencrypted key (the client does not verify it).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "net/event_loop.hpp"
#include "net/socket.hpp"
#include "net/tcp_listener.hpp"
#include "net/tls.hpp"

namespace {

using namespace wisp;
using Clock = std::chrono::steady_clock;

class Echo final : public net::Socket {
 public:
  Echo(int fd, const net::TlsContext* tls) : net::Socket(fd, tls) {}

 private:
  void on_data(std::uint8_t* data, std::size_t size) override {
    write({reinterpret_cast<const char*>(data), size});
  }
  void on_end() override {
    close_fd();
    net::EventLoop::current()->retire(this);
  }
};

// Forks a server on a free port; returns its pid and port.
std::pair<pid_t, std::uint16_t> start_server(const net::TlsContext* tls) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) std::exit(1);
  const pid_t pid = fork();
  if (pid == 0) {
    net::EventLoop loop;
    const int listen_fd = net::listen_tcp("127.0.0.1", 0, false);
    net::Acceptor acceptor(listen_fd, [tls](int fd) { new Echo(fd, tls); });
    const std::uint16_t port = net::local_port(listen_fd);
    if (write(pipe_fds[1], &port, sizeof port) != sizeof port) std::_Exit(1);
    loop.run();
    std::_Exit(0);
  }
  std::uint16_t port = 0;
  if (read(pipe_fds[0], &port, sizeof port) != sizeof port) std::exit(1);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  return {pid, port};
}

long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

struct Client {
  int fd = -1;
  SSL* ssl = nullptr;

  Client(std::uint16_t port, SSL_CTX* ctx) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) std::exit(1);
    if (!ctx) return;
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1) std::exit(1);
  }
  ~Client() {
    SSL_free(ssl);
    ::close(fd);
  }
  void send_all(const char* data, std::size_t size) {
    std::size_t n = 0;
    if (ssl ? SSL_write_ex(ssl, data, size, &n) != 1 : ::send(fd, data, size, 0) != (ssize_t)size)
      std::exit(1);
  }
  void receive_all(char* data, std::size_t size) {
    for (std::size_t got = 0; got < size;) {
      std::size_t n = 0;
      if (ssl) {
        if (SSL_read_ex(ssl, data + got, size - got, &n) != 1) std::exit(1);
      } else {
        const ssize_t r = ::recv(fd, data + got, size - got, 0);
        if (r <= 0) std::exit(1);
        n = static_cast<std::size_t>(r);
      }
      got += n;
    }
  }
  void echo(std::string& buffer) {
    send_all(buffer.data(), buffer.size());
    receive_all(buffer.data(), buffer.size());
  }
};

void measure_idle(const char* name, const net::TlsContext* tls, SSL_CTX* client_ctx, int count) {
  const auto [pid, port] = start_server(tls);
  std::string byte = "x";
  {  // warm-up: the server's allocator and OpenSSL's lazy state settle first
    std::vector<std::unique_ptr<Client>> warm;
    for (int i = 0; i < 200; ++i) warm.push_back(std::make_unique<Client>(port, client_ctx));
    for (auto& c : warm) c->echo(byte);
  }
  std::vector<std::unique_ptr<Client>> warm;  // settles the server's frees of the first batch
  for (int i = 0; i < 10; ++i) warm.push_back(std::make_unique<Client>(port, client_ctx));
  for (auto& c : warm) c->echo(byte);
  const long before = rss_kib(pid);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < count; ++i) clients.push_back(std::make_unique<Client>(port, client_ctx));
  for (auto& c : clients) c->echo(byte);  // every connection past its handshake, then idle
  const long after = rss_kib(pid);
  std::printf("%-5s idle: %d connections, server RSS +%ld KiB = %.0f bytes per connection\n", name,
              count, after - before, (after - before) * 1024.0 / count);
  clients.clear();
  warm.clear();
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

void measure_echo(const char* name, const net::TlsContext* tls, SSL_CTX* client_ctx,
                  std::size_t size, double seconds) {
  const auto [pid, port] = start_server(tls);
  Client client(port, client_ctx);
  std::string buffer(size, 'w');
  long round_trips = 0;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  for (; Clock::now() < end; ++round_trips) client.echo(buffer);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("%-5s echo %7zu B: %9.0f round trips/s, %8.1f MiB/s each way\n", name, size,
              round_trips / elapsed, round_trips * double(size) / elapsed / (1 << 20));
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s CERT KEY [CONNECTIONS]\n", argv[0]);
    return 2;
  }
  const int count = argc > 3 ? std::atoi(argv[3]) : 2000;
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  setrlimit(RLIMIT_NOFILE, &files);
  signal(SIGPIPE, SIG_IGN);

  const net::TlsContext tls(net::TlsCertificate{argv[1], argv[2], ""});
  SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
  measure_idle("plain", nullptr, nullptr, count);
  measure_idle("tls", &tls, client_ctx, count);
  for (const std::size_t size : {64u, 1024u, 16384u, 262144u}) {
    measure_echo("plain", nullptr, nullptr, size, 2.0);
    measure_echo("tls", &tls, client_ctx, size, 2.0);
  }
  SSL_CTX_free(client_ctx);
}
