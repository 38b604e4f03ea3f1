// Flow control: a client that writes far more than it reads gets every answer back, in order and
// byte for byte, while the server stops reading it (TCP slows the client) and its backlog stays
// under the settings' bound; over plain TCP and TLS, with many slow clients beside a fast one, and
// for pipelined HTTP requests. (Sends from elsewhere keep the backpressure policy:
// test_timeouts.cpp.)
#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "raw_client.hpp"
#include "tls_test_support.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

namespace fs = std::filesystem;

constexpr std::uint8_t kText = 0x1, kBinary = 0x2;
// What one socket may hold: the high-water mark, plus what the echoes of one read add (a server
// frame is no longer than the client frame it answers; one read is at most the loop's 512 KiB
// read buffer), plus TLS records' overhead.
constexpr std::size_t kBacklogBound = WebSocketSettings{}.backlog_high_water + 512 * 1024 + 4096;

// ---- the server --------------------------------------------------------------------------------

// An app whose /echo sends every message back (as `wisp serve` does) and keeps the largest
// backlog any socket had right after a send; GET /hello answers a text.
class EchoApp {
 public:
  EchoApp() {
    app.ws("/echo", {.message = [this](WebSocket& ws, std::string_view message, OpCode op) {
             ws.send(message, op);
             std::size_t seen = max_backlog.load();
             const std::size_t now = ws.buffered_amount();
             while (now > seen && !max_backlog.compare_exchange_weak(seen, now)) {
             }
           }});
    app.get("/hello", [](Request&, Response& res) { res.text("Hello world!"); });
  }
  // Listens (over TLS with `tls`) and runs on a thread of its own until destroyed.
  void start(const TlsOptions* tls = nullptr) {
    if (tls)
      app.listen("127.0.0.1", 0, *tls);
    else
      app.listen("127.0.0.1", 0);
    stopped_ = std::async(std::launch::async, [this] { app.run(); });
  }
  ~EchoApp() {
    app.stop();
    stopped_.wait();
  }

  App app;
  std::atomic<std::size_t> max_backlog{0};

 private:
  std::future<void> stopped_;
};

// Waits (at most 10 s) until `holds` is true of the app's metrics.
template <class Predicate>
bool metrics_become(App& app, Predicate holds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!holds(app.metrics())) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling a counter, not a guess
  }
  return true;
}

// ---- the client's bytes, plain or TLS, without blocking ----------------------------------------

class Pipe {
 public:
  virtual ~Pipe() = default;
  // How many bytes moved (0: none can now), of at most `limit` of `bytes`. A read of an ended
  // connection throws.
  virtual std::size_t write_some(std::string_view bytes, std::size_t limit) = 0;
  virtual std::size_t read_some(char* into, std::size_t most) = 0;
  virtual int fd() const = 0;
};

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

class PlainPipe final : public Pipe {
 public:
  explicit PlainPipe(std::uint16_t port) : client_(port) {
    client_.handshake("/echo");
    set_nonblocking(client_.fd());
  }
  std::size_t write_some(std::string_view bytes, std::size_t limit) override {
    const ssize_t n =
        ::send(client_.fd(), bytes.data(), std::min(limit, bytes.size()), MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN) throw std::runtime_error("the server went away");
    return n < 0 ? 0 : static_cast<std::size_t>(n);
  }
  std::size_t read_some(char* into, std::size_t most) override {
    const ssize_t n = ::recv(client_.fd(), into, most, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN)) throw std::runtime_error("the server hung up");
    return n < 0 ? 0 : static_cast<std::size_t>(n);
  }
  int fd() const override { return client_.fd(); }

 private:
  RawClient client_;
};

class TlsPipe final : public Pipe {
 public:
  explicit TlsPipe(std::uint16_t port) : tls_(port), fd_(SSL_get_fd(tls_.ssl())) {
    tls_.send(RawClient::upgrade_request("/echo"));
    std::string head;
    while (!head.ends_with("\r\n\r\n")) {
      const std::string byte = tls_.receive(1);
      if (byte.empty()) throw std::runtime_error("no upgrade answer");
      head += byte;
    }
    if (!head.starts_with("HTTP/1.1 101")) throw std::runtime_error("upgrade refused: " + head);
    set_nonblocking(fd());
    SSL_set_mode(tls_.ssl(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  }
  // A write that could not go on must be retried with the same length (OpenSSL's rule): `bytes`
  // always reaches to the end of what is left to send, so it is long enough.
  std::size_t write_some(std::string_view bytes, std::size_t limit) override {
    if (retry_ == 0) retry_ = std::min({limit, bytes.size(), std::size_t{64 * 1024}});
    std::size_t n = 0;
    const int ok = SSL_write_ex(tls_.ssl(), bytes.data(), retry_, &n);
    if (!ok) {
      check(SSL_get_error(tls_.ssl(), ok), "write");
      return 0;
    }
    retry_ = 0;
    return n;
  }
  std::size_t read_some(char* into, std::size_t most) override {
    std::size_t n = 0;
    const int ok = SSL_read_ex(tls_.ssl(), into, most, &n);
    if (!ok) check(SSL_get_error(tls_.ssl(), ok), "read");
    return n;
  }
  int fd() const override { return fd_; }

 private:
  static void check(int error, const char* what) {
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return;
    throw std::runtime_error(std::string("TLS ") + what + " failed: " + ssl_errors());
  }
  TlsConnection tls_;
  int fd_;
  std::size_t retry_ = 0;
};

// ---- a client that writes fast and reads slowly ------------------------------------------------

// About `bytes` of binary frames of random sizes (1 B to 32 KiB), written in pieces of random size
// (up to 256 KiB) while at most 8 KiB is read per turn; every echo is checked against its frame,
// in order. The mask key is zero, so each payload sits unmasked in the bytes that go out.
class Streamer {
 public:
  Streamer(std::unique_ptr<Pipe> pipe, std::size_t bytes, std::uint32_t seed)
      : pipe_(std::move(pipe)), random_(seed) {
    std::uniform_int_distribution<std::size_t> size(1, 32 * 1024);
    while (wire_.size() < bytes) {
      std::string payload(size(random_), '\0');
      for (char& c : payload) c = static_cast<char>(random_());
      const std::string frame =
          build_frame({.opcode = kBinary, .mask_key = {0, 0, 0, 0}, .payload = std::move(payload)});
      const std::size_t payload_size = frame.size() - header_size(frame);
      frames_.push_back({wire_.size() + frame.size() - payload_size, payload_size});
      wire_ += frame;
    }
  }

  // One turn: a piece written if the socket takes it, then (if `reading`) at most 8 KiB read and
  // checked. True if any byte moved.
  bool turn(bool reading) {
    bool moved = false;
    if (written_ < wire_.size()) {
      std::uniform_int_distribution<std::size_t> piece(1, 256 * 1024);
      const std::size_t n =
          pipe_->write_some(std::string_view(wire_).substr(written_), piece(random_));
      written_ += n;
      moved = n > 0;
    }
    if (!reading) return moved;
    char chunk[8 * 1024];
    const std::size_t n = pipe_->read_some(chunk, sizeof chunk);
    in_.append(chunk, n);
    check_echoes();
    return moved || n > 0;
  }

  bool done() const { return next_ == frames_.size(); }
  bool writing() const { return written_ < wire_.size(); }
  std::size_t frames() const { return frames_.size(); }
  std::size_t echoes() const { return next_; }
  int fd() const { return pipe_->fd(); }

 private:
  struct Expected {
    std::size_t offset, size;
  };

  static std::size_t header_size(std::string_view frame) {
    const std::uint8_t length = static_cast<std::uint8_t>(frame[1]) & 0x7f;
    return 2 + (length == 126 ? 2 : length == 127 ? 8 : 0) + 4;  // + the mask key
  }

  // The server's frames are unmasked; each must be the next frame's payload, as a binary message.
  void check_echoes() {
    while (in_.size() - read_at_ >= 2) {
      const std::string_view in = std::string_view(in_).substr(read_at_);
      const std::uint8_t length = static_cast<std::uint8_t>(in[1]) & 0x7f;
      const std::size_t extra = length == 126 ? 2 : length == 127 ? 8 : 0;
      if (in.size() < 2 + extra) return;
      std::size_t size = length;
      if (extra) {
        size = 0;
        for (std::size_t i = 0; i < extra; ++i)
          size = size << 8 | static_cast<std::uint8_t>(in[2 + i]);
      }
      if (in.size() < 2 + extra + size) return;
      if (next_ == frames_.size()) throw std::runtime_error("an echo nobody sent");
      const Expected& want = frames_[next_];
      if (static_cast<std::uint8_t>(in[0]) != (0x80 | kBinary) || size != want.size ||
          in.substr(2 + extra, size) != std::string_view(wire_).substr(want.offset, want.size)) {
        throw std::runtime_error("echo " + std::to_string(next_) + " is not its frame's payload");
      }
      ++next_;
      read_at_ += 2 + extra + size;
    }
    if (read_at_ > (1u << 20)) {
      in_.erase(0, read_at_);
      read_at_ = 0;
    }
  }

  std::unique_ptr<Pipe> pipe_;
  std::mt19937 random_;
  std::string wire_;
  std::vector<Expected> frames_;
  std::size_t written_ = 0;
  std::string in_;
  std::size_t read_at_ = 0;
  std::size_t next_ = 0;  // the next echo expected
};

// Waits until a streamer can move bytes; 10 s without any is a stalled server.
void wait_for_any(const std::vector<Streamer*>& streamers) {
  std::vector<pollfd> fds;
  for (const Streamer* s : streamers) {
    fds.push_back({s->fd(), static_cast<short>(POLLIN | (s->writing() ? POLLOUT : 0)), 0});
  }
  if (::poll(fds.data(), fds.size(), 10'000) > 0) return;
  std::size_t echoes = 0, frames = 0;
  for (const Streamer* s : streamers) {
    echoes += s->echoes();
    frames += s->frames();
  }
  throw std::runtime_error("no byte moved for 10 s, with " + std::to_string(echoes) + " of " +
                           std::to_string(frames) + " echoes back");
}

// Turns the streamers until every one got all its echoes.
void run_to_the_end(const std::vector<Streamer*>& streamers) {
  for (;;) {
    bool moved = false, all_done = true;
    for (Streamer* s : streamers) {
      if (s->done()) continue;
      all_done = false;
      moved = s->turn(true) || moved;
    }
    if (all_done) return;
    if (!moved) wait_for_any(streamers);
  }
}

// The streamers write, reading nothing, until the server stops reading at least one of them
// (false if that takes over 10 s).
bool write_until_paused(App& app, const std::vector<Streamer*>& streamers) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (app.metrics().input_paused == 0) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    bool moved = false;
    for (Streamer* s : streamers) moved = s->turn(false) || moved;
    if (moved) continue;
    std::vector<pollfd> fds;  // until the server reads more (a short wait between metrics reads)
    for (const Streamer* s : streamers) fds.push_back({s->fd(), POLLOUT, 0});
    ::poll(fds.data(), fds.size(), 5);
  }
  return true;
}

void expect_every_echo(const Streamer& s) {
  EXPECT_TRUE(s.done());
  EXPECT_EQ(s.echoes(), s.frames());
}

// ---- WebSocket echo ----------------------------------------------------------------------------

TEST(FlowControl, SlowReaderGetsEveryEchoInOrderAndTheBacklogStaysBounded) {
  EchoApp server;
  server.start();
  Streamer client(std::make_unique<PlainPipe>(server.app.port()), 30u << 20, 14);
  EXPECT_TRUE(write_until_paused(server.app, {&client}));
  run_to_the_end({&client});
  expect_every_echo(client);
  EXPECT_EQ(server.app.metrics().dropped, 0u);
  EXPECT_LE(server.max_backlog.load(), kBacklogBound);
  EXPECT_TRUE(metrics_become(server.app, [](const Metrics& m) { return m.input_paused == 0; }));
}

// Slow clients that write everything they can and read nothing hold up neither the loop nor a
// client that reads its answers; then they read, and get every echo.
TEST(FlowControl, ManySlowReadersDoNotHoldUpAFastOne) {
  EchoApp server;
  server.start();
  std::vector<std::unique_ptr<Streamer>> slow;
  std::vector<Streamer*> all;
  for (std::uint32_t i = 0; i < 6; ++i) {
    slow.push_back(std::make_unique<Streamer>(std::make_unique<PlainPipe>(server.app.port()),
                                              6u << 20, 100 + i));
    all.push_back(slow.back().get());
  }
  EXPECT_TRUE(write_until_paused(server.app, all));
  RawClient fast(server.app.port());
  fast.handshake("/echo");
  for (int i = 0; i < 200; ++i) {
    const std::string message = "fast " + std::to_string(i);
    fast.send_frame(kText, message);
    const auto echo = fast.read_frame();
    ASSERT_TRUE(echo);
    ASSERT_EQ(echo->payload, message);
  }
  run_to_the_end(all);
  for (const Streamer* s : all) expect_every_echo(*s);
  EXPECT_EQ(server.app.metrics().dropped, 0u);
  EXPECT_LE(server.max_backlog.load(), kBacklogBound);
}

// ---- over TLS ----------------------------------------------------------------------------------

// A self-signed certificate for the test's lifetime.
class Certificate {
 public:
  Certificate() {
    char pattern[] = "/tmp/wisp-flow-XXXXXX";
    if (!sh("command -v openssl") || !mkdtemp(pattern)) return;
    dir_ = pattern;
    made_ =
        sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
           "-days 2 -subj /CN=localhost -keyout " +
           path("key.pem") + " -out " + path("cert.pem"));
  }
  ~Certificate() {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  bool made() const { return made_; }
  TlsOptions options() const {
    return {.cert_file = path("cert.pem"), .key_file = path("key.pem")};
  }

 private:
  std::string path(const char* name) const { return (dir_ / name).string(); }
  fs::path dir_;
  bool made_ = false;
};

TEST(FlowControl, SlowReaderOverTlsGetsEveryEcho) {
  Certificate certificate;
  if (!certificate.made()) GTEST_SKIP() << "no openssl command to make a certificate";
  EchoApp server;
  const TlsOptions tls = certificate.options();
  server.start(&tls);
  Streamer client(std::make_unique<TlsPipe>(server.app.port()), 12u << 20, 15);
  EXPECT_TRUE(write_until_paused(server.app, {&client}));
  run_to_the_end({&client});
  expect_every_echo(client);
  EXPECT_EQ(server.app.metrics().dropped, 0u);
  EXPECT_LE(server.max_backlog.load(), kBacklogBound);
}

// ---- HTTP pipelining ---------------------------------------------------------------------------

// A blocking connection with a small receive buffer (so that the server's answers soon fill it),
// whose reads and writes give up after 10 s.
int connect_small_window(std::uint16_t port) {
  const int fd = connect_tcp(port, 10, 64 * 1024);
  if (fd < 0) throw std::runtime_error("cannot connect");
  return fd;
}

// Counts complete "Hello world!" answers in `in` from `at` on; throws on anything else.
std::size_t count_answers(const std::string& in, std::size_t& at) {
  std::size_t count = 0;
  for (;;) {
    const std::size_t end = in.find("\r\n\r\n", at);
    if (end == std::string::npos || in.size() < end + 4 + 12) return count;
    if (in.compare(at, 15, "HTTP/1.1 200 OK") != 0 || in.compare(end + 4, 12, "Hello world!") != 0)
      throw std::runtime_error("not a Hello world! answer: " + in.substr(at, 80));
    at = end + 4 + 12;
    ++count;
  }
}

TEST(FlowControl, HttpPipelinerThatDoesNotReadStopsBeingReadThenGetsEveryAnswer) {
  EchoApp server;
  server.start();
  const int fd = connect_small_window(server.app.port());
  constexpr std::size_t kRequests = 100'000;  // ~12 MiB of answers: far more than the buffers
  std::string requests;
  for (std::size_t i = 0; i < kRequests; ++i) requests += "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n";
  auto writer = std::async(std::launch::async, [&] {  // blocks while the server reads nothing
    for (std::size_t at = 0; at < requests.size();) {
      const ssize_t n = ::send(fd, requests.data() + at, requests.size() - at, MSG_NOSIGNAL);
      if (n <= 0) return false;
      at += static_cast<std::size_t>(n);
    }
    return true;
  });
  EXPECT_TRUE(metrics_become(server.app, [](const Metrics& m) { return m.input_paused == 1; }));
  std::string in;
  std::size_t at = 0, answers = 0;
  char chunk[64 * 1024];
  while (answers < kRequests) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) break;
    in.append(chunk, static_cast<std::size_t>(n));
    answers += count_answers(in, at);
    if (at > (1u << 20)) {
      in.erase(0, at);
      at = 0;
    }
  }
  EXPECT_TRUE(writer.get());
  EXPECT_EQ(answers, kRequests);
  ::close(fd);
}

}  // namespace
}  // namespace wisp::test
