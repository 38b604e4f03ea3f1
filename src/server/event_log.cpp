#include "server/event_log.hpp"

#include <atomic>
#include <string>

#include "net/tcp_listener.hpp"
#include "server/registry.hpp"

namespace wisp::server::event_log {
namespace {

using std::chrono::steady_clock;

std::string_view closed_by_name(ClosedBy by) {
  switch (by) {
    case ClosedBy::peer:
      return "peer";
    case ClosedBy::server:
      return "server";
    case ClosedBy::lost:
      return "lost";
  }
  return "lost";
}

std::string peer_of(int fd, const ClientRecord* client) {
  return client ? client->remote_address : net::peer_address(fd);
}

// Counts events that happen per message (drops): the first one is logged at once, then at most
// one line an interval, carrying how many happened since the previous line. Any thread.
class Summary {
 public:
  Summary(std::string_view event, std::string_view message) : event_(event), message_(message) {}

  void count(std::string_view route) {
    pending_.fetch_add(1, std::memory_order_relaxed);
    const auto now = steady_clock::now().time_since_epoch().count();
    auto last = last_.load(std::memory_order_relaxed);
    if (last != 0 && now - last < interval_) return;
    if (!last_.compare_exchange_strong(last, now, std::memory_order_relaxed)) return;
    const std::string count = std::to_string(pending_.exchange(0, std::memory_order_relaxed));
    logs::write(LogLevel::warn, event_, message_,
                {{"count", count}, {"route", route}, {"interval_ms", "1000"}});
  }

 private:
  static constexpr steady_clock::rep interval_ =
      std::chrono::duration_cast<steady_clock::duration>(std::chrono::seconds(1)).count();
  std::string_view event_;
  std::string_view message_;
  std::atomic<std::uint64_t> pending_{0};
  std::atomic<steady_clock::rep> last_{0};
};

}  // namespace

void write_open(std::string_view path, int fd, const ClientRecord* client, bool compressed) {
  logs::write(LogLevel::info, "ws.open", "a WebSocket opened",
              {{"path", path},
               {"peer", peer_of(fd, client)},
               {"client", client ? std::string_view(client->id) : ""},
               {"compression", compressed ? "on" : "off"}});
}

void write_close(std::string_view route, int fd, const ClientRecord* client, int code,
                 std::string_view reason, ClosedBy by, std::chrono::milliseconds lasted) {
  logs::write(LogLevel::info, "ws.close", "a WebSocket closed",
              {{"route", route},
               {"peer", peer_of(fd, client)},
               {"client", client ? std::string_view(client->id) : ""},
               {"code", std::to_string(code)},
               {"reason", reason},
               {"by", closed_by_name(by)},
               {"duration_ms", std::to_string(lasted.count())}});
}

void write_refused(bool upgrade, int status, std::string_view reason, std::string_view path,
                   int fd) {
  logs::write(LogLevel::info, upgrade ? "upgrade.refused" : "http.refused",
              upgrade ? "a WebSocket upgrade was refused" : "an HTTP request was refused",
              {{"status", std::to_string(status)},
               {"reason", reason},
               {"path", path},
               {"peer", net::peer_address(fd)}});
}

void write_access(std::string_view method, std::string_view path, int status, std::size_t bytes,
                  steady_clock::time_point started, int fd) {
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(steady_clock::now() - started);
  logs::write(LogLevel::debug, "http.access", "an HTTP request was answered",
              {{"method", method},
               {"path", path},
               {"status", std::to_string(status)},
               {"bytes", std::to_string(bytes)},
               {"us", std::to_string(us.count())},
               {"peer", net::peer_address(fd)}});
}

void count_dropped(std::string_view route) {
  static Summary summary("ws.dropped", "messages dropped by the backpressure policy");
  summary.count(route);
}

void count_rate_limited(std::string_view route) {
  static Summary summary("ws.rate_limited", "messages past a rate limit");
  summary.count(route);
}

void listening(std::string_view host, std::uint16_t port, bool tls) {
  if (!logs::enabled(LogLevel::info)) return;
  logs::write(LogLevel::info, "server.listen", "listening",
              {{"host", host}, {"port", std::to_string(port)}, {"tls", tls ? "on" : "off"}});
}

void started(unsigned threads) {
  if (!logs::enabled(LogLevel::info)) return;
  logs::write(LogLevel::info, "server.start", "serving", {{"threads", std::to_string(threads)}});
}

void stopped() {
  if (logs::enabled(LogLevel::info)) logs::write(LogLevel::info, "server.stop", "stopped");
}

void tls_reloaded(std::size_t listeners) {
  if (!logs::enabled(LogLevel::info)) return;
  logs::write(LogLevel::info, "tls.reload", "certificates reloaded",
              {{"listeners", std::to_string(listeners)}});
}

void tls_reload_failed(std::string_view error) {
  if (!logs::enabled(LogLevel::error)) return;
  logs::write(LogLevel::error, "tls.reload_failed",
              "certificate reload failed, the old certificates stay", {{"error", error}});
}

}  // namespace wisp::server::event_log
