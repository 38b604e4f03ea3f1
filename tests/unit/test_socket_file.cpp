// net::Socket::send_file over a Unix stream pair: the file in order between the bytes written
// before and after it (also when those wait in the loop's arena, outside any read), a slice by
// offset and length, and a peer that leaves in the middle.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include "net/event_loop.hpp"
#include "net/socket.hpp"

namespace wisp::net {
namespace {

constexpr std::size_t kFileSize = 4 << 20;  // far more than a socket buffer: the file must wait

std::string pattern(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(i % 251);
  return bytes;
}

// A temporary file holding pattern(kFileSize).
struct TempFile {
  std::string path;
  TempFile() {
    char name[] = "/tmp/wisp-socket-file-XXXXXX";
    const int fd = mkstemp(name);
    path = name;
    const std::string bytes = pattern(kFileSize);
    EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    ::close(fd);
  }
  ~TempFile() { std::remove(path.c_str()); }
  UniqueFd open() const { return UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)); }
};

class FileSocket final : public Socket {
 public:
  explicit FileSocket(int fd) : Socket(fd) {}
  std::promise<void> ended;

 private:
  void on_data(std::uint8_t*, std::size_t) override {}
  void on_end() override {
    close_fd();
    ended.set_value();
  }
  void on_file_sent() override { write("|sent"); }
};

// A FileSocket on an event loop thread, fed tasks from the test; the test holds the other end.
class Pair {
 public:
  Pair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    peer_ = fds[1];
    ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
    timeval timeout{10, 0};  // a stuck socket fails the test instead of hanging it
    setsockopt(peer_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::promise<void> ready;
    thread_ = std::thread([this, fd = fds[0], &ready] {
      EventLoop loop;
      FileSocket socket(fd);
      loop_ = &loop;
      socket_ = &socket;
      ready.set_value();
      loop.run();
    });
    ready.get_future().wait();
  }
  ~Pair() {
    loop_->stop();
    thread_.join();
    if (peer_ >= 0) ::close(peer_);
  }

  // Runs `task` on the loop thread, outside any read.
  void on_loop(std::function<void(FileSocket&)> task) {
    loop_->post([this, task = std::move(task)] { task(*socket_); });
  }
  // Exactly `size` bytes from the socket; fewer if it ends or stalls first.
  std::string receive(std::size_t size) {
    std::string bytes(size, '\0');
    std::size_t got = 0;
    while (got < size) {
      const ssize_t n = ::read(peer_, bytes.data() + got, size - got);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    bytes.resize(got);
    return bytes;
  }
  void close_peer() {
    ::close(peer_);
    peer_ = -1;
  }
  FileSocket& socket() { return *socket_; }

 private:
  int peer_ = -1;
  std::thread thread_;
  EventLoop* loop_ = nullptr;
  FileSocket* socket_ = nullptr;
};

TEST(SocketFile, FileComesBetweenTheBytesWrittenBeforeAndAfterIt) {
  const TempFile file;
  Pair pair;
  pair.on_loop([&](FileSocket& s) {
    s.write("head|");  // waits in the loop's arena until the end of the iteration
    s.send_file(file.open(), 0, kFileSize);
    s.write("|tail");
  });
  const std::string expected = "head|" + pattern(kFileSize) + "|tail|sent";
  EXPECT_TRUE(pair.receive(expected.size()) == expected) << "bytes missing, doubled or reordered";
}

TEST(SocketFile, SendsTheSliceAskedFor) {
  const TempFile file;
  Pair pair;
  pair.on_loop([&](FileSocket& s) { s.send_file(file.open(), 1000, 5000); });
  EXPECT_EQ(pair.receive(5000 + 5), pattern(kFileSize).substr(1000, 5000) + "|sent");
}

TEST(SocketFile, APeerThatLeavesMidFileEndsTheSocket) {
  const TempFile file;
  Pair pair;
  auto ended = pair.socket().ended.get_future();
  pair.on_loop([&](FileSocket& s) { s.send_file(file.open(), 0, kFileSize); });
  EXPECT_EQ(pair.receive(1000).size(), 1000u);
  pair.close_peer();
  EXPECT_EQ(ended.wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

}  // namespace
}  // namespace wisp::net
