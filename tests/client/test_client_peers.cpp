// The client against other implementations' servers: Python websockets and Node ws (each run as
// a child process on a loopback port, plain and TLS): text, binary, fragmented, 1 MiB, ping and
// close codes.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "test_pki.hpp"
#include "wisp/testing.hpp"

extern char** environ;

namespace wisp {
namespace {

using namespace std::chrono_literals;
using testing::TestClient;

// A peer server process: started with its stdin and stdout on pipes, it prints its port; it is
// stopped by PID (SIGTERM) at the end.
class PeerServer {
 public:
  explicit PeerServer(std::vector<std::string> argv) {
    int in[2], out[2];
    if (pipe(in) < 0 || pipe(out) < 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addclose(&actions, in[1]);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    std::vector<char*> args;
    for (std::string& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    if (posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    port_ = read_port(out[0]);
    ::close(out[0]);
  }
  ~PeerServer() {
    if (stdin_ >= 0) ::close(stdin_);
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  std::uint16_t port() const { return port_; }

 private:
  static std::uint16_t read_port(int fd) {
    std::string line;
    pollfd ready{.fd = fd, .events = POLLIN, .revents = 0};
    char c;
    while (line.find('\n') == std::string::npos && poll(&ready, 1, 10'000) == 1 &&
           ::read(fd, &c, 1) == 1) {
      line.push_back(c);
    }
    return static_cast<std::uint16_t>(std::atoi(line.c_str()));
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  std::uint16_t port_ = 0;
};

const test::Pki& pki() {
  static test::Pki made = [] {
    test::Pki p;
    p.make("wisp-client-peers");
    return p;
  }();
  return made;
}

std::vector<std::string> peer_command(const std::string& peer, bool tls) {
  std::vector<std::string> argv =
      peer == "python"
          ? std::vector<std::string>{"/usr/bin/python3", WISP_CLIENT_TESTS "/peer_server.py"}
          : std::vector<std::string>{"node", WISP_INTEROP_TESTS "/client_peer_server.mjs"};
  if (tls) argv.insert(argv.end(), {"--tls", pki().path("v1.crt"), pki().path("v1.key")});
  return argv;
}

class Peers : public ::testing::TestWithParam<std::string> {};

TEST_P(Peers, TextBinaryAndOneMebibyte) {
  PeerServer server(peer_command(GetParam(), false));
  ASSERT_NE(server.port(), 0) << "the peer server did not start";
  TestClient client(server.port());
  for (const bool compression : {true, false}) {
    auto ws = client.websocket_connect("/echo", {.compression = compression});
    EXPECT_EQ(ws.compression_agreed(), compression);
    ws.send_text("hello");
    EXPECT_EQ(ws.receive_text(), "hello");
    ws.send_bytes(std::string("\0\xff", 2));
    EXPECT_EQ(ws.receive_bytes(), std::string("\0\xff", 2));
    std::string big(1024 * 1024, 'x');
    for (std::size_t i = 0; i < big.size(); i += 5) big[i] = static_cast<char>('a' + i % 26);
    ws.send_text(big);
    EXPECT_EQ(ws.receive_text(), big);
  }
}

TEST_P(Peers, FragmentedMessagesPingsAndCloseCodes) {
  PeerServer server(peer_command(GetParam(), false));
  ASSERT_NE(server.port(), 0) << "the peer server did not start";
  TestClient client(server.port());
  EXPECT_EQ(client.websocket_connect("/fragmented").receive_text(), "fragmented");
  EXPECT_EQ(client.websocket_connect("/ping").receive_text(), "pong received");
  auto closing = client.websocket_connect("/close");
  EXPECT_EQ(closing.close_code(), 4001);
  EXPECT_EQ(closing.close_reason(), "bye");
}

TEST_P(Peers, OverTls) {
  if (!pki().error.empty()) GTEST_SKIP() << pki().error;
  PeerServer server(peer_command(GetParam(), true));
  ASSERT_NE(server.port(), 0) << "the peer server did not start";
  std::promise<std::string> reply;
  Client client;
  client.connect("wss://localhost:" + std::to_string(server.port()) + "/echo",
                 {.open = [](ClientSocket& s) { s.send("over tls"); },
                  .message =
                      [&](ClientSocket& s, std::string_view m, OpCode) {
                        reply.set_value(std::string(m));
                        s.close();
                      },
                  .fail = [&](const ConnectError& e) { reply.set_value("failed: " + e.message); }},
                 {.ca_file = pki().path("ca.crt")});
  auto got = reply.get_future();
  ASSERT_EQ(got.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(got.get(), "over tls");
}

INSTANTIATE_TEST_SUITE_P(Client, Peers, ::testing::Values("python", "node"));

}  // namespace
}  // namespace wisp
