// SocketIo on a real App with two loop threads, driven by the raw loopback client: the
// WebSocket transport and polling byte for byte as socket.io-client sends them, middleware
// refusal, rooms and emits from another thread, the server-driven ping timeout; connection state
// recovery (a dropped socket back with its id, rooms and missed events); rooms shared with a hub.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "http_test_support.hpp"
#include "raw_client.hpp"
#include "server_thread.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr std::string_view kWs = "/socket.io/?EIO=4&transport=websocket";

// The next text frame, skipping Engine.IO pings ("2") when `skip_pings`.
std::string next_text(RawClient& client, bool skip_pings = true) {
  while (true) {
    auto frame = client.read_frame();
    if (!frame) throw std::runtime_error("the server closed the connection");
    if (frame->opcode != 0x1) continue;
    if (skip_pings && frame->payload == "2") {
      client.send_frame(0x1, "3");
      continue;
    }
    return frame->payload;
  }
}

// A WebSocket-transport client connected to the main namespace; returns its socket id.
std::string connect_ws(RawClient& client, std::string_view auth = {}) {
  client.handshake(kWs);
  const std::string open = next_text(client);
  EXPECT_EQ(open[0], '0');
  EXPECT_TRUE(nlohmann::json::parse(open.substr(1)).contains("sid"));
  client.send_frame(0x1, "40" + std::string(auth));
  const std::string connected = next_text(client);
  EXPECT_TRUE(connected.starts_with("40{")) << connected;
  return nlohmann::json::parse(connected.substr(2))["sid"];
}

struct SocketIoServerTest : ::testing::Test {
  App app{{.threads = 2}};
  SocketIo io{app, "/socket.io/", settings()};

  static SocketIoSettings settings() {
    SocketIoSettings s;
    s.ping_interval = std::chrono::milliseconds(100);
    s.ping_timeout = std::chrono::milliseconds(200);
    return s;
  }
  void SetUp() override {
    io.use([](IoSocket& socket) {
      if (socket.auth().value("token", "") == "bad") throw IoError("Invalid token", {{"why", 1}});
    });
    io.on("echo", [](IoEvent& ev) { ev.ack(ev.args()); });
    io.on("join", [](IoEvent& ev) {
      ev.ack(json::array({ev.socket().join(ev.arg(0).get<std::string>())}));
    });
    io.on("shout", [](IoEvent& ev) {
      ev.socket().to(ev.arg(0).get<std::string>()).emit("heard", ev.arg(1));
    });
  }
};

TEST_F(SocketIoServerTest, WebSocketTransportAcksAnEventWithItsArguments) {
  ServerThread server(app);
  RawClient client(server.port());
  connect_ws(client);
  client.send_frame(0x1, R"(4212["echo",1,"two",{"three":3}])");
  EXPECT_EQ(next_text(client), R"(4312[1,"two",{"three":3}])");
}

TEST_F(SocketIoServerTest, MiddlewareRefusalIsAConnectErrorWithMessageAndData) {
  ServerThread server(app);
  RawClient client(server.port());
  client.handshake(kWs);
  next_text(client);
  client.send_frame(0x1, R"(40{"token":"bad"})");
  EXPECT_EQ(next_text(client), R"(44{"data":{"why":1},"message":"Invalid token"})");
  EXPECT_EQ(io.stats().sockets, 0u);
}

TEST_F(SocketIoServerTest, PollingOpensPostsAndAnswersAHeldGet) {
  ServerThread server(app);
  const auto open = ask(server.port(), get("/socket.io/?EIO=4&transport=polling"));
  ASSERT_EQ(open.status, 200);
  ASSERT_EQ(open.body[0], '0');
  const std::string sid = nlohmann::json::parse(open.body.substr(1))["sid"];
  const std::string target = "/socket.io/?EIO=4&transport=polling&sid=" + sid;
  const std::string body =
      "40\x1e"
      R"(421["echo","x"])";
  const auto posted =
      ask(server.port(), "POST " + target + " HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(posted.status, 200);
  EXPECT_EQ(posted.body, "ok");
  const auto polled = ask(server.port(), get(target));
  EXPECT_EQ(polled.status, 200);
  EXPECT_TRUE(polled.body.starts_with("40{\"sid\":")) << polled.body;
  EXPECT_TRUE(
      polled.body.ends_with("\x1e"
                            R"(431["x"])"))
      << polled.body;
}

TEST_F(SocketIoServerTest, RoomsAndEmitsFromAnotherThreadReachSocketsOnEveryLoop) {
  ServerThread server(app);
  RawClient a(server.port()), b(server.port());
  connect_ws(a);
  connect_ws(b);
  a.send_frame(0x1, R"(421["join","r"])");
  EXPECT_EQ(next_text(a), "431[true]");
  b.send_frame(0x1, R"(42["shout","r","hi"])");
  EXPECT_EQ(next_text(a), R"(42["heard","hi"])");
  EXPECT_EQ(io.to("r").emit("news", {1, 2}), 1u);  // from the test's thread
  EXPECT_EQ(next_text(a), R"(42["news",1,2])");
  EXPECT_EQ(io.emit("all"), 2u);
  EXPECT_EQ(next_text(a), R"(42["all"])");
  EXPECT_EQ(next_text(b), R"(42["all"])");
}

TEST_F(SocketIoServerTest, AClientThatDoesNotAnswerPingsIsClosed) {
  ServerThread server(app);
  RawClient client(server.port());
  client.handshake(kWs);
  next_text(client);
  client.send_frame(0x1, "40");
  EXPECT_TRUE(next_text(client).starts_with("40"));
  EXPECT_EQ(next_text(client, false), "2");  // and no pong: the session ends
  const auto close = client.read_until_close_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1000);
  EXPECT_EQ(io.stats().ping_timeouts, 1u);
  EXPECT_EQ(io.stats().sessions, 0u);
}

// Polls a server state no client can see an event for; false if it did not come within 5 s.
bool within_5s(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// The CONNECT answer's JSON.
json connect_answer(RawClient& client, std::string_view auth = {}) {
  client.handshake(kWs);
  next_text(client);
  client.send_frame(0x1, "40" + std::string(auth));
  const std::string connected = next_text(client);
  EXPECT_TRUE(connected.starts_with("40{")) << connected;
  return json::parse(connected.substr(2));
}

// An EVENT's data array.
json event_of(RawClient& client) {
  const std::string text = next_text(client);
  EXPECT_TRUE(text.starts_with("42[")) << text;
  return json::parse(text.substr(2));
}

TEST(SocketIoRecovery, ADroppedSocketGetsItsIdRoomsAndExactlyTheEventsItMissed) {
  App app{{.threads = 2}};
  SocketIo io{app, "/socket.io/", {.max_disconnection_duration = std::chrono::seconds(30)}};
  io.on("join", [](IoEvent& ev) { ev.socket().join(ev.arg(0).get<std::string>()); });
  ServerThread server(app);
  json first, offset;
  {
    RawClient client(server.port());
    first = connect_answer(client);
    ASSERT_TRUE(first["pid"].is_string());
    client.send_frame(0x1, R"(42["join","r"])");
    ASSERT_TRUE(within_5s([&] { return io.to("r").socket_ids().size() == 1; }));
    io.to("r").emit("m", 0);
    const json zero = event_of(client);
    ASSERT_EQ(zero.size(), 3u);  // "m", 0, the offset
    offset = zero[2];
  }  // the TCP connection drops
  ASSERT_TRUE(within_5s([&] { return io.stats().sockets == 0; }));
  io.to("r").emit("m", 1);
  io.to("elsewhere").emit("m", "not for it");
  io.to("r").emit("m", 2);
  RawClient again(server.port());
  const json answer = connect_answer(again, json{{"pid", first["pid"]}, {"offset", offset}}.dump());
  EXPECT_EQ(answer["sid"], first["sid"]);
  EXPECT_EQ(answer["pid"], first["pid"]);
  EXPECT_EQ(event_of(again)[1], 1);
  EXPECT_EQ(event_of(again)[1], 2);
  EXPECT_EQ(io.to("r").emit("m", 3), 1u);  // in its room again
  EXPECT_EQ(event_of(again)[1], 3);
  EXPECT_EQ(io.stats().recovered, 1u);
  RawClient stranger(server.port());  // an unknown pid: a new socket, counted
  EXPECT_NE(connect_answer(stranger, R"({"pid":"nope","offset":"0"})")["sid"], first["sid"]);
  EXPECT_EQ(io.stats().not_recovered, 1u);
}

TEST(SocketIoHubRooms, HubRoomEmitsAndSocketIoRoomEmitsReachBothKindsOfClient) {
  App app{{.threads = 2}};
  Hub& hub = app.hub("/ws", {.builtin_rooms = true});
  SocketIo io{app, "/socket.io/", {.hub = &hub}};
  io.on("join", [](IoEvent& ev) { ev.socket().join(ev.arg(0).get<std::string>()); });
  ServerThread server(app);
  RawClient sio(server.port()), wisp_js(server.port());
  connect_answer(sio);
  sio.send_frame(0x1, R"(42["join","r"])");
  wisp_js.handshake("/ws");
  wisp_js.send_frame(0x1, R"({"type":"join","data":{"room":"r"},"id":1})");
  ASSERT_TRUE(within_5s([&] { return io.to("r").socket_ids().size() == 1; }));
  ASSERT_TRUE(within_5s([&] { return hub.room("r").size() == 1; }));
  hub.room("r").emit("from_hub", {{"x", 1}});
  EXPECT_EQ(event_of(sio), json::parse(R"(["from_hub",{"x":1}])"));
  io.to("r").emit("from_sio", json::array({1, "two"}));
  EXPECT_EQ(event_of(sio), json::parse(R"(["from_sio",1,"two"])"));
  for (;;) {  // the hub's own messages first (the welcome, the join's answer)
    auto frame = wisp_js.read_frame();
    ASSERT_TRUE(frame);
    const json envelope = json::parse(frame->payload);
    if (envelope["type"] != "from_sio") continue;
    EXPECT_EQ(envelope["data"], json::parse(R"([1,"two"])"));
    break;
  }
  io.to("r").emit("bytes", json::array({json::binary({1, 2})}));
  EXPECT_EQ(io.stats().not_shared, 1u);
}

}  // namespace
}  // namespace wisp::test
