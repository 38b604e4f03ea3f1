// Counters of a running App, and their Prometheus text.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <thread>

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

}  // namespace
}  // namespace wisp::test
