// wisp_load: a single-threaded WebSocket echo load generator (interim, until `wisp bench`).
//
// It opens N connections to an echo server, keeps `inflight` messages outstanding on each, checks
// every echoed byte and, after a warm-up, measures throughput, latency and CPU over a fixed window.
// Frames are masked once at start-up with a fixed key, so sending costs a memcpy and no masking.
// Replies are parsed as a stream (headers staged per connection, payloads compared in place from
// one shared read buffer), so message size does not change per-connection memory.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Options {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string path = "/echo";
  int connections = 100;
  std::size_t size = 16;
  int inflight = 8;
  double duration = 10;
  double warmup = 2;
  bool binary = false;
  bool json = false;
  bool raw = false;  // plain TCP echo peer: no handshake, our masked frames come back as they are
  int server_pid = 0;
  int core = -1;  // the server's CPU core: its whole busy share, softirq (loopback TCP) included
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "wisp_load: %s\nusage: wisp_load [--host 127.0.0.1] --port P [--path /echo]\n"
               "  [--connections 100] [--size 16] [--inflight 8] [--duration 10] [--warmup 2]\n"
               "  [--binary] [--raw] [--pid SERVER_PID] [--core N] [--json]\n",
               why);
  std::exit(2);
}

// Flags take no value; every other option takes exactly one.
bool parse_flag(Options& o, std::string_view a) {
  if (a == "--binary") return o.binary = true;
  if (a == "--json") return o.json = true;
  if (a == "--raw") return o.raw = true;
  return false;
}

void parse_value(Options& o, std::string_view a, const char* v) {
  if (a == "--host")
    o.host = v;
  else if (a == "--port")
    o.port = std::atoi(v);
  else if (a == "--path")
    o.path = v;
  else if (a == "--connections")
    o.connections = std::atoi(v);
  else if (a == "--size")
    o.size = std::strtoull(v, nullptr, 10);
  else if (a == "--inflight")
    o.inflight = std::atoi(v);
  else if (a == "--duration")
    o.duration = std::atof(v);
  else if (a == "--warmup")
    o.warmup = std::atof(v);
  else if (a == "--pid")
    o.server_pid = std::atoi(v);
  else if (a == "--core")
    o.core = std::atoi(v);
  else
    usage("unknown option");
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    if (parse_flag(o, argv[i])) continue;
    if (i + 1 >= argc) usage("missing value");
    parse_value(o, argv[i], argv[i + 1]);
    ++i;
  }
  if (o.port <= 0 || o.connections <= 0 || o.inflight <= 0 || o.duration <= 0) usage("bad value");
  return o;
}

std::uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::uint64_t(ts.tv_sec) * 1'000'000'000u + std::uint64_t(ts.tv_nsec);
}

// Log-linear latency histogram (64 sub-buckets per power of two: under 1.6% error), fixed size so
// recording a sample never allocates.
class Histogram {
 public:
  void record(std::uint64_t v) {
    ++counts_[index(v)];
    ++total_;
  }
  void reset() { *this = Histogram{}; }
  std::uint64_t total() const { return total_; }
  std::uint64_t percentile(double p) const {
    if (total_ == 0) return 0;
    auto rank = std::uint64_t(p / 100.0 * double(total_ - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i)
      if ((seen += counts_[i]) >= rank) return lower_bound(i);
    return 0;
  }

 private:
  static constexpr int kSubBits = 6;
  static std::size_t index(std::uint64_t v) {
    if (v < (1u << kSubBits)) return std::size_t(v);
    int e = 63 - std::countl_zero(v);
    return (std::size_t(e - kSubBits + 1) << kSubBits) +
           std::size_t((v >> (e - kSubBits)) & ((1u << kSubBits) - 1));
  }
  static std::uint64_t lower_bound(std::size_t i) {
    if (i < (1u << kSubBits)) return i;
    int e = int(i >> kSubBits) + kSubBits - 1;
    return (std::uint64_t(1) << e) + (std::uint64_t(i & ((1u << kSubBits) - 1)) << (e - kSubBits));
  }
  std::array<std::uint64_t, (64 - kSubBits + 1) << kSubBits> counts_{};
  std::uint64_t total_ = 0;
};

constexpr std::array<std::uint8_t, 4> kMaskKey = {0x37, 0xfa, 0x21, 0x3d};
constexpr int kVariants = 4;  // distinct payloads in rotation: catches lost or reordered echoes

void mask_bytes(std::uint8_t* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) p[i] ^= kMaskKey[i & 3];
}

// A client frame (FIN set, masked with kMaskKey) of `opcode` carrying `payload`.
std::vector<std::uint8_t> masked_frame(std::uint8_t opcode, const std::uint8_t* payload,
                                       std::size_t len) {
  std::uint8_t h[14];
  std::size_t n = 0;
  h[n++] = std::uint8_t(0x80 | opcode);
  if (len < 126) {
    h[n++] = std::uint8_t(0x80 | len);
  } else if (len < 65536) {
    h[n++] = 0x80 | 126;
    for (int s = 8; s >= 0; s -= 8) h[n++] = std::uint8_t(len >> s);
  } else {
    h[n++] = 0x80 | 127;
    for (int s = 56; s >= 0; s -= 8) h[n++] = std::uint8_t(std::uint64_t(len) >> s);
  }
  for (std::uint8_t k : kMaskKey) h[n++] = k;
  std::vector<std::uint8_t> f(n + len);
  std::memcpy(f.data(), h, n);
  if (len) std::memcpy(f.data() + n, payload, len);
  mask_bytes(f.data() + n, len);
  return f;
}

// The payloads are printable ASCII so text frames are valid UTF-8; each variant differs everywhere.
struct Messages {
  std::uint8_t opcode;
  std::vector<std::uint8_t> payload[kVariants];
  std::vector<std::uint8_t> frame[kVariants];
  const std::uint8_t* expect[kVariants];  // what an echo must hold: payload, or (raw) masked bytes
};

Messages build_messages(const Options& o) {
  Messages m;
  m.opcode = o.binary ? 2 : 1;
  for (int v = 0; v < kVariants; ++v) {
    m.payload[v].resize(o.size);
    for (std::size_t i = 0; i < o.size; ++i) m.payload[v][i] = std::uint8_t('A' + (i + v * 7) % 58);
    m.frame[v] = masked_frame(m.opcode, m.payload[v].data(), o.size);
    m.expect[v] = o.raw ? m.frame[v].data() + (m.frame[v].size() - o.size) : m.payload[v].data();
  }
  return m;
}

enum class State { kConnecting, kHandshake, kOpen, kDead };

// Per-connection state: small and flat; the read buffer is shared by all connections.
struct Conn {
  int fd = -1;
  State state = State::kConnecting;
  std::string handshake;               // response bytes until the blank line
  std::array<std::uint8_t, 14> hdr{};  // a frame header split across reads
  std::size_t hdr_len = 0;
  bool in_payload = false;        // between a frame's header and the end of its payload
  std::uint64_t frame_left = 0;   // payload bytes of the current frame still to come
  std::uint8_t frame_opcode = 0;  // opcode of the current frame (0: continuation)
  bool frame_fin = false;
  std::size_t msg_offset = 0;  // bytes of the current data message checked so far
  bool msg_bad = false;
  std::vector<std::uint8_t> control;  // payload of a control frame being read
  std::uint64_t sent = 0, received = 0;
  std::vector<std::uint64_t> sent_at;  // ring of send times, `inflight` long (echoes are FIFO)
  std::vector<std::uint8_t> out;       // bytes waiting for the socket
  std::size_t out_off = 0;
  bool want_write = true;  // registered with EPOLLOUT to see the connect finish
};

struct Counters {
  std::uint64_t messages = 0, bytes = 0, errors = 0;
};

class Load {
 public:
  Load(Options o) : o_(std::move(o)), msgs_(build_messages(o_)), rbuf_(256 * 1024) {}

  int run() {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (!open_all()) return 1;
    std::uint64_t start = now_ns();
    measure_from_ = start + std::uint64_t(o_.warmup * 1e9);
    measure_to_ = measure_from_ + std::uint64_t(o_.duration * 1e9);
    loop();
    report();
    return (total_errors_ + window_.errors) ? 1 : 0;
  }

 private:
  bool open_all() {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(std::uint16_t(o_.port));
    if (inet_pton(AF_INET, o_.host.c_str(), &addr.sin_addr) != 1) usage("--host must be IPv4");
    conns_.resize(std::size_t(o_.connections));
    for (std::size_t i = 0; i < conns_.size(); ++i)
      if (!start_connect(conns_[i], i, addr)) return false;
    return wait_open();
  }

  bool start_connect(Conn& c, std::size_t id, const sockaddr_in& addr) {
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c.sent_at.resize(std::size_t(o_.inflight));
    if (connect(c.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0 &&
        errno != EINPROGRESS) {
      std::perror("wisp_load: connect");
      return false;
    }
    epoll_event ev{EPOLLIN | EPOLLOUT, {.u64 = id}};
    epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
    return true;
  }

  // Runs the loop until every connection is open (or one failed), for at most 10 seconds.
  bool wait_open() {
    std::uint64_t deadline = now_ns() + 10'000'000'000u;
    while (open_ < conns_.size()) {
      if (total_errors_) return fail("a connection failed during the handshake");
      if (now_ns() > deadline) return fail("timed out opening connections");
      poll_once(100);
    }
    return true;
  }

  bool fail(const char* why) {
    std::fprintf(stderr, "wisp_load: %s (%zu of %zu open)\n", why, open_, conns_.size());
    return false;
  }

  void loop() {
    bool measuring = false;
    for (;;) {
      std::uint64_t t = now_ns();
      if (!measuring && t >= measure_from_) {
        begin_window(t);
        measuring = true;
      }
      if (t >= measure_to_) break;
      if (open_ == 0) break;
      poll_once(10);
    }
    end_window(now_ns());
  }

  void poll_once(int timeout_ms) {
    epoll_event evs[256];
    int n = epoll_wait(ep_, evs, 256, timeout_ms);
    now_ = now_ns();
    for (int i = 0; i < n; ++i) on_event(conns_[evs[i].data.u64], evs[i].events);
  }

  void on_event(Conn& c, std::uint32_t events) {
    if (c.state == State::kDead) return;
    if (c.state == State::kConnecting) return on_connected(c, events);
    if (events & EPOLLOUT) flush(c);
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
  }

  void on_connected(Conn& c, std::uint32_t events) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err || (events & EPOLLERR)) return kill(c, std::strerror(err ? err : ECONNREFUSED));
    std::string req = "GET " + o_.path + " HTTP/1.1\r\nHost: " + o_.host + ":" +
                      std::to_string(o_.port) +
                      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n";
    if (o_.raw) return on_open(c);
    c.state = State::kHandshake;
    queue(c, reinterpret_cast<const std::uint8_t*>(req.data()), req.size());
    flush(c);
  }

  void on_readable(Conn& c) {
    for (;;) {
      ssize_t n = recv(c.fd, rbuf_.data(), rbuf_.size(), 0);
      if (n == 0) return kill(c, "closed by server");
      if (n < 0) {
        if (errno != EAGAIN) kill(c, std::strerror(errno));
        break;
      }
      consume(c, rbuf_.data(), std::size_t(n));
      if (c.state == State::kDead || std::size_t(n) < rbuf_.size()) break;
    }
    if (c.state != State::kDead) flush(c);
  }

  void consume(Conn& c, const std::uint8_t* p, std::size_t n) {
    if (c.state == State::kHandshake) {
      std::size_t used = read_handshake(c, p, n);
      p += used;
      n -= used;
    }
    while (n > 0 && c.state == State::kOpen) {
      std::size_t used = c.in_payload ? read_payload(c, p, n) : read_header(c, p, n);
      p += used;
      n -= used;
    }
  }

  // Collects the response up to the blank line; checks 101 and the accept key for our fixed key.
  std::size_t read_handshake(Conn& c, const std::uint8_t* p, std::size_t n) {
    std::size_t before = c.handshake.size();
    c.handshake.append(reinterpret_cast<const char*>(p), n);
    std::size_t end = c.handshake.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (c.handshake.size() > 16384) kill(c, "handshake response too long");
      return n;
    }
    std::string_view head(c.handshake.data(), end);
    if (head.substr(0, 13) != "HTTP/1.1 101 " ||
        head.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == std::string_view::npos) {
      kill(c, "upgrade refused");
      return n;
    }
    c.handshake = {};
    on_open(c);
    return end + 4 - before;
  }

  void on_open(Conn& c) {
    c.state = State::kOpen;
    ++open_;
    for (int i = 0; i < o_.inflight; ++i) send_next(c);
    flush(c);
  }

  // Stages header bytes until the whole header is known, then starts the frame.
  std::size_t read_header(Conn& c, const std::uint8_t* p, std::size_t n) {
    std::size_t take = std::min(n, c.hdr.size() - c.hdr_len);
    std::memcpy(c.hdr.data() + c.hdr_len, p, take);
    std::size_t have = c.hdr_len + take;
    if (have < 2) {
      c.hdr_len = have;
      return take;
    }
    std::uint8_t b0 = c.hdr[0], b1 = c.hdr[1];
    std::size_t ext = (b1 & 0x7f) == 126 ? 2 : (b1 & 0x7f) == 127 ? 8 : 0;
    std::size_t need = 2 + ext + (o_.raw && (b1 & 0x80) ? 4 : 0);  // raw: our own key comes back
    if ((b1 & 0x80) && !o_.raw) {
      kill(c, "masked server frame");
      return n;
    }
    if (have < need) {
      c.hdr_len = have;
      return take;
    }
    std::uint64_t len = b1 & 0x7f;
    if (ext) len = 0;
    for (std::size_t i = 2; i < 2 + ext; ++i) len = (len << 8) | c.hdr[i];
    std::size_t used = need - c.hdr_len;
    c.hdr_len = 0;
    start_frame(c, b0, len);
    return used;
  }

  void start_frame(Conn& c, std::uint8_t b0, std::uint64_t len) {
    c.frame_fin = b0 & 0x80;
    c.frame_opcode = b0 & 0x0f;
    c.frame_left = len;
    if (c.frame_opcode & 0x08) {
      c.control.clear();
    } else if (c.frame_opcode != 0) {
      if (c.msg_offset) c.msg_bad = true;  // a new message inside a fragmented one
      if (c.frame_opcode != msgs_.opcode) c.msg_bad = true;
      c.msg_offset = 0;
    }
    if (len == 0)
      end_frame(c);
    else
      c.in_payload = true;
  }

  // Compares payload bytes against the message expected next, as they arrive.
  std::size_t read_payload(Conn& c, const std::uint8_t* p, std::size_t n) {
    std::size_t take = std::size_t(std::min<std::uint64_t>(n, c.frame_left));
    if (c.frame_opcode & 0x08) {
      c.control.insert(c.control.end(), p, p + take);
    } else {
      const std::uint8_t* want = msgs_.expect[c.received % kVariants];
      if (c.msg_offset + take > o_.size || std::memcmp(want + c.msg_offset, p, take) != 0)
        c.msg_bad = true;
      c.msg_offset += take;
    }
    c.frame_left -= take;
    if (c.frame_left == 0) {
      c.in_payload = false;
      end_frame(c);
    }
    return take;
  }

  void end_frame(Conn& c) {
    if (c.frame_opcode == 8) return kill(c, "close frame from server");
    if (c.frame_opcode == 9) return send_pong(c);
    if (c.frame_opcode & 0x08 || !c.frame_fin) return;  // pong, or more fragments to come
    if (c.msg_offset != o_.size) c.msg_bad = true;
    on_message(c);
  }

  void on_message(Conn& c) {
    std::uint64_t sent_at = c.sent_at[c.received % c.sent_at.size()];
    ++c.received;
    if (in_window()) {
      ++window_.messages;
      window_.bytes += o_.size;
      if (c.msg_bad) ++window_.errors;
      latency_.record(now_ - sent_at);
    } else if (c.msg_bad) {
      ++total_errors_;
    }
    c.msg_bad = false;
    c.msg_offset = 0;
    send_next(c);
  }

  bool in_window() const { return now_ >= measure_from_ && now_ < measure_to_; }

  void send_next(Conn& c) {
    c.sent_at[c.sent % c.sent_at.size()] = now_;
    const auto& f = msgs_.frame[c.sent % kVariants];
    ++c.sent;
    queue(c, f.data(), f.size());
  }

  // Pongs are rare, so masking them on the spot is fine.
  void send_pong(Conn& c) {
    auto f = masked_frame(0x0a, c.control.data(), c.control.size());
    queue(c, f.data(), f.size());
  }

  void queue(Conn& c, const std::uint8_t* p, std::size_t n) { c.out.insert(c.out.end(), p, p + n); }

  void flush(Conn& c) {
    while (c.out_off < c.out.size()) {
      ssize_t n = send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN) break;
        return kill(c, std::strerror(errno));
      }
      c.out_off += std::size_t(n);
    }
    if (c.out_off == c.out.size()) {
      c.out.clear();
      c.out_off = 0;
    }
    set_want_write(c, !c.out.empty());
  }

  void set_want_write(Conn& c, bool want) {
    if (want == c.want_write) return;
    c.want_write = want;
    epoll_event ev{EPOLLIN | (want ? EPOLLOUT : 0u), {.u64 = std::uint64_t(&c - conns_.data())}};
    epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void kill(Conn& c, const char* why) {
    if (c.state == State::kOpen) --open_;
    if (errors_printed_++ < 5) std::fprintf(stderr, "wisp_load: connection: %s\n", why);
    c.state = State::kDead;
    close(c.fd);
    ++total_errors_;
  }

  // CPU time of this process and of the server, in seconds.
  static double own_cpu() {
    rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  }

  double server_cpu() const {
    if (!o_.server_pid) return 0;
    std::string path = "/proc/" + std::to_string(o_.server_pid) + "/stat";
    FILE* f = std::fopen(path.c_str(), "r");
    if (!f) return -1;
    char buf[1024];
    std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = 0;
    const char* p = std::strrchr(buf, ')');  // the command name may hold spaces
    unsigned long long ut = 0, st = 0;
    if (!p ||
        std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
      return -1;
    return double(ut + st) / double(sysconf(_SC_CLK_TCK));
  }

  // Busy and total jiffies of one core (/proc/stat). A process's own CPU time leaves out the
  // softirq work the kernel does for its sockets, a large share of loopback TCP.
  struct CoreTimes {
    unsigned long long busy = 0, total = 0;
  };
  CoreTimes core_times() const {
    CoreTimes t;
    if (o_.core < 0) return t;
    FILE* f = std::fopen("/proc/stat", "r");
    if (!f) return t;
    std::string want = "cpu" + std::to_string(o_.core);
    char line[512];
    while (std::fgets(line, sizeof line, f)) {
      char name[32];
      unsigned long long v[8] = {};
      if (std::sscanf(line, "%31s %llu %llu %llu %llu %llu %llu %llu %llu", name, &v[0], &v[1],
                      &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 9 ||
          want != name)
        continue;
      for (auto x : v) t.total += x;
      t.busy = t.total - v[3] - v[4];  // all but idle and iowait
    }
    std::fclose(f);
    return t;
  }

  void begin_window(std::uint64_t t) {
    window_ = {};
    latency_.reset();
    t0_ = t;
    cpu0_ = own_cpu();
    srv0_ = server_cpu();
    core0_ = core_times();
  }

  void end_window(std::uint64_t t) {
    elapsed_ = double(t - t0_) / 1e9;
    cpu_ = own_cpu() - cpu0_;
    srv_ = o_.server_pid ? server_cpu() - srv0_ : -1;
    CoreTimes c = core_times();
    core_pct_ = c.total > core0_.total
                    ? 100.0 * double(c.busy - core0_.busy) / double(c.total - core0_.total)
                    : -1;
  }

  void report() const {
    double secs = elapsed_ > 0 ? elapsed_ : 1;
    double rate = double(window_.messages) / secs, mbs = double(window_.bytes) / secs / 1e6;
    auto us = [&](double p) { return double(latency_.percentile(p)) / 1e3; };
    std::uint64_t errors = window_.errors + total_errors_;
    double load_pct = 100 * cpu_ / secs, srv_pct = srv_ >= 0 ? 100 * srv_ / secs : -1;
    std::FILE* text = o_.json ? stderr : stdout;
    std::fprintf(text,
                 "wisp_load: %d conns x %d in flight, %zu B %s, %.2f s: %.0f msgs/s, %.2f MB/s, "
                 "latency p50 %.0f us p99 %.0f us p99.9 %.0f us, errors %llu, load cpu %.0f%%, "
                 "server cpu %.0f%%, server core busy %.0f%%\n",
                 o_.connections, o_.inflight, o_.size, o_.binary ? "binary" : "text", secs, rate,
                 mbs, us(50), us(99), us(99.9), (unsigned long long)errors, load_pct, srv_pct,
                 core_pct_);
    if (!o_.json) return;
    std::printf(
        "{\"connections\":%d,\"inflight\":%d,\"size\":%zu,\"binary\":%s,\"seconds\":%.3f,"
        "\"messages\":%llu,\"msgs_per_s\":%.1f,\"mb_per_s\":%.3f,\"latency_us\":{\"p50\":%.1f,"
        "\"p99\":%.1f,\"p999\":%.1f},\"errors\":%llu,\"load_cpu_pct\":%.1f,"
        "\"server_cpu_pct\":%.1f,\"server_core_busy_pct\":%.1f}\n",
        o_.connections, o_.inflight, o_.size, o_.binary ? "true" : "false", secs,
        (unsigned long long)window_.messages, rate, mbs, us(50), us(99), us(99.9),
        (unsigned long long)errors, load_pct, srv_pct, core_pct_);
  }

  Options o_;
  Messages msgs_;
  std::vector<std::uint8_t> rbuf_;
  std::vector<Conn> conns_;
  int ep_ = -1;
  std::size_t open_ = 0;
  std::uint64_t now_ = 0, measure_from_ = UINT64_MAX, measure_to_ = UINT64_MAX, t0_ = 0;
  Counters window_;
  std::uint64_t total_errors_ = 0;
  int errors_printed_ = 0;
  Histogram latency_;
  double elapsed_ = 0, cpu_ = 0, cpu0_ = 0, srv_ = -1, srv0_ = 0, core_pct_ = -1;
  CoreTimes core0_;
};

}  // namespace

int main(int argc, char** argv) { return Load(parse_options(argc, argv)).run(); }
