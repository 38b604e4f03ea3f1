// Counters of a running App, their Prometheus text, and the log records it reports (a sink of
// the test's own: events with their fields, level filtering, off, the two formats).
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "raw_client.hpp"
#include "server_thread.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr std::uint8_t kText = 0x1, kClose = 0x8;

// The value of a sample line "name value" or "name{labels} value" in Prometheus text.
std::optional<double> sample(const std::string& text, const std::string& name) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with('#')) continue;
    const auto space = line.rfind(' ');
    if (line.substr(0, space) == name) return std::stod(line.substr(space + 1));
  }
  return std::nullopt;
}

TEST(Metrics, CountConnectionsMessagesBytesAndClosesByCode) {
  App app({.threads = 2});
  app.ws("/echo",
         {.message = [](WebSocket& ws, std::string_view m, OpCode op) { ws.send(m, op); }});
  ServerThread running(app);
  {
    RawClient a(running.port()), b(running.port());
    a.handshake();
    b.handshake();
    for (int i = 0; i < 3; ++i) {
      a.send_frame(kText, "hello");
      ASSERT_TRUE(a.read_frame());
    }
    const Metrics open = app.metrics();
    EXPECT_EQ(open.websockets, 2u);
    EXPECT_EQ(open.opened, 2u);
    EXPECT_EQ(open.messages_in, 3u);
    EXPECT_EQ(open.messages_out, 3u);
    EXPECT_EQ(open.bytes_in, 15u);
    EXPECT_EQ(open.threads, 2u);
    b.send_frame(kClose, close_body(4000));
    ASSERT_TRUE(b.read_until_close_frame());
  }
  {
    RawClient bad(running.port());
    bad.send("GET /echo HTTP/1.1\r\n\r\n");  // no Host: 400
    EXPECT_EQ(bad.read_http_response().status, 400);
  }
  const Metrics after = app.metrics();
  EXPECT_EQ(after.closes.at(4000), 1u);
  EXPECT_EQ(after.handshakes_refused, 1u);
  const std::string text = after.prometheus();
  EXPECT_EQ(sample(text, "wisp_messages_in_total"), 3.0);
  EXPECT_EQ(sample(text, "wisp_websockets_closed_total{code=\"4000\"}"), 1.0);
  EXPECT_NE(text.find("# TYPE wisp_websockets gauge"), std::string::npos);
}

// ---- logs
// ----------------------------------------------------------------------------------------

// A record as the sink saw it, copied (the record's views end with the call).
struct Logged {
  LogLevel level;
  std::string event;
  std::map<std::string, std::string> fields;
};

// Installs itself as the log sink for the length of a test; restores the default sink and level.
class LogCollector {
 public:
  LogCollector() {
    set_log_sink([this](const LogRecord& r) {
      Logged copy{r.level, std::string(r.event), {}};
      for (const LogField& f : r.fields) copy.fields.emplace(f.name, f.value);
      std::lock_guard lock(mutex_);
      records_.push_back(std::move(copy));
      changed_.notify_all();
    });
  }
  ~LogCollector() {
    set_log_sink({});
    set_log_level(LogLevel::info);
  }

  // The first record of `event` (after `skip` of them), waiting at most 5 s for it.
  std::optional<Logged> wait_for(std::string_view event, std::size_t skip = 0) {
    std::unique_lock lock(mutex_);
    std::optional<Logged> found;
    changed_.wait_for(lock, std::chrono::seconds(5), [&] {
      std::size_t seen = 0;
      for (const Logged& r : records_)
        if (r.event == event && seen++ == skip) return (found = r).has_value();
      return false;
    });
    return found;
  }
  std::size_t count(std::string_view event) {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const Logged& r : records_) n += r.event == event;
    return n;
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return records_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Logged> records_;
};

WebSocketBehavior echo_or_close() {
  return {.message = [](WebSocket& ws, std::string_view m, OpCode op) {
    if (m == "close me") return ws.close(4001, "as asked");
    ws.send(m, op);
  }};
}

TEST(Logs, ASinkGetsOpensClosesAndRefusalsWithTheirFields) {
  LogCollector logs;
  App app;
  app.ws("/echo", echo_or_close());
  ServerThread running(app);
  const auto listen = logs.wait_for("server.listen");
  ASSERT_TRUE(listen);
  EXPECT_EQ(listen->fields.at("port"), std::to_string(running.port()));
  {
    RawClient peer_closes(running.port());
    peer_closes.handshake("/echo");
    const auto open = logs.wait_for("ws.open");
    ASSERT_TRUE(open);
    EXPECT_EQ(open->level, LogLevel::info);
    EXPECT_EQ(open->fields.at("path"), "/echo");
    EXPECT_TRUE(open->fields.at("peer").starts_with("127.0.0.1:"));
    peer_closes.send_frame(kClose, close_body(4000, "bye"));
    ASSERT_TRUE(peer_closes.read_until_close_frame());
  }
  const auto by_peer = logs.wait_for("ws.close");
  ASSERT_TRUE(by_peer);
  EXPECT_EQ(by_peer->fields.at("code"), "4000");
  EXPECT_EQ(by_peer->fields.at("reason"), "bye");
  EXPECT_EQ(by_peer->fields.at("by"), "peer");
  EXPECT_EQ(by_peer->fields.at("route"), "/echo");
  EXPECT_TRUE(by_peer->fields.contains("duration_ms"));
  {
    RawClient server_closes(running.port());
    server_closes.handshake("/echo");
    server_closes.send_frame(kText, "close me");
    ASSERT_TRUE(server_closes.read_until_close_frame());
  }
  const auto by_server = logs.wait_for("ws.close", 1);
  ASSERT_TRUE(by_server);
  EXPECT_EQ(by_server->fields.at("code"), "4001");
  EXPECT_EQ(by_server->fields.at("reason"), "as asked");
  EXPECT_EQ(by_server->fields.at("by"), "server");
  {
    RawClient refused(running.port());
    refused.send(RawClient::upgrade_request("/nowhere"));
    EXPECT_EQ(refused.read_http_response().status, 404);
  }
  const auto refusal = logs.wait_for("upgrade.refused");
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->fields.at("status"), "404");
  EXPECT_EQ(refusal->fields.at("path"), "/nowhere");
  EXPECT_FALSE(refusal->fields.at("reason").empty());
}

// HTTP access lines are debug: absent at info, there (method, path, status, bytes, us) at debug.
TEST(Logs, AccessLinesAtDebugOnly) {
  LogCollector logs;
  App app;
  app.get("/hello", [](Request&, Response& res) { res.text("Hello world!"); });
  ServerThread running(app);
  const auto get = [&] {
    RawClient client(running.port());
    client.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    return client.read_http_response().status;
  };
  ASSERT_EQ(get(), 200);  // answered: its access line, had there been one, was written before
  EXPECT_EQ(logs.count("http.access"), 0u);
  set_log_level(LogLevel::debug);
  ASSERT_EQ(get(), 200);
  const auto access = logs.wait_for("http.access");
  ASSERT_TRUE(access);
  EXPECT_EQ(access->level, LogLevel::debug);
  EXPECT_EQ(access->fields.at("method"), "GET");
  EXPECT_EQ(access->fields.at("path"), "/hello");
  EXPECT_EQ(access->fields.at("status"), "200");
  EXPECT_EQ(access->fields.at("bytes"), "12");
  EXPECT_TRUE(access->fields.contains("us"));
}

TEST(Logs, TheLevelFiltersAndOffSilences) {
  LogCollector logs;
  set_log_level(LogLevel::warn);
  log_event(LogLevel::info, "test.info", "below the level");
  log_event(LogLevel::error, "test.error", "above it", {{"k", "v"}});
  EXPECT_EQ(logs.count("test.info"), 0u);
  const auto error = logs.wait_for("test.error");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->fields.at("k"), "v");
  {
    App app;
    app.ws("/echo", echo_or_close());
    ServerThread running(app);
    RawClient client(running.port());
    client.handshake("/echo");
    client.send_frame(kText, "hi");
    ASSERT_TRUE(client.read_frame());  // the open was logged, or not, before the echo
    EXPECT_EQ(logs.count("ws.open"), 0u);
  }
  set_log_level(LogLevel::off);
  const std::size_t before = logs.size();
  log_event(LogLevel::critical, "test.critical", "off means nothing");
  App app;
  ServerThread running(app);  // server.listen and server.start are info: not logged either
  EXPECT_EQ(logs.size(), before);
  EXPECT_EQ(log_level(), LogLevel::off);
}

TEST(Logs, AnOffloadedJobThatThrowsIsLoggedAsAnError) {
  LogCollector logs;
  App app;
  app.get("/work", [&app](Request&, Response& res) {
    app.offload([]() -> int { throw std::runtime_error("the job failed"); }, [](int) {});
    res.text("queued");
  });
  ServerThread running(app);
  RawClient client(running.port());
  client.send("GET /work HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(client.read_http_response().status, 200);
  const auto failed = logs.wait_for("handler.exception");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->level, LogLevel::error);
  EXPECT_EQ(failed->fields.at("handler"), "offloaded work");
  EXPECT_EQ(failed->fields.at("error"), "the job failed");
}

// Messages past a rate limit are not logged one by one: the first at once (count 1), then at
// most a line a second with the count since the last (the metrics count each).
TEST(Logs, RateLimitedMessagesAreSummarised) {
  LogCollector logs;
  App app;
  WebSocketBehavior limited = echo_or_close();
  limited.settings.rate_limit_messages = 1;
  limited.settings.rate_limit_window = std::chrono::minutes(1);
  limited.rate_limited = [](WebSocket& ws, std::string_view, OpCode) { ws.send("limited"); };
  app.ws("/limited", std::move(limited));
  ServerThread running(app);
  RawClient client(running.port());
  client.handshake("/limited");
  for (const char* m : {"a", "b", "c", "d"}) client.send_frame(kText, m);
  for (const char* expected : {"a", "limited", "limited", "limited"}) {
    const auto frame = client.read_frame();
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->payload, expected);
  }
  const auto first = logs.wait_for("ws.rate_limited");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->level, LogLevel::warn);
  EXPECT_EQ(first->fields.at("count"), "1");
  EXPECT_EQ(first->fields.at("route"), "/limited");
  EXPECT_LT(logs.count("ws.rate_limited"), 3u);  // three drops: never a line each
  EXPECT_EQ(app.metrics().rate_limited, 3u);
}

// Both formats keep a record on one line, whatever its values hold; JSON lines parse.
TEST(Logs, FormatsEscapeValues) {
  const LogField fields[] = {{"reason", "say \"hi\"\nnow"}, {"path", "/a b"}, {"code", "1000"}};
  const LogRecord record{.time = std::chrono::system_clock::time_point(std::chrono::seconds(0)),
                         .level = LogLevel::warn,
                         .event = "test.format",
                         .message = "a record",
                         .fields = fields};
  const std::string text = format_log_record(record, LogFormat::text);
  EXPECT_EQ(text,
            "1970-01-01T00:00:00.000Z warn  test.format: a record reason=\"say \\\"hi\\\"\\nnow\" "
            "path=\"/a b\" code=1000");
  const auto json = nlohmann::json::parse(format_log_record(record, LogFormat::json));
  EXPECT_EQ(json.at("ts"), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(json.at("level"), "warn");
  EXPECT_EQ(json.at("event"), "test.format");
  EXPECT_EQ(json.at("msg"), "a record");
  EXPECT_EQ(json.at("reason"), "say \"hi\"\nnow");
  EXPECT_EQ(parse_log_level("warning"), LogLevel::warn);
  EXPECT_EQ(parse_log_level("debug"), LogLevel::debug);
  EXPECT_EQ(parse_log_level("loud"), std::nullopt);
}

}  // namespace
}  // namespace wisp::test
