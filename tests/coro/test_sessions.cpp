// Coroutine sessions end to end: the handshake's data, accept and refusal, receiving and
// sending each kind, JSON, closing from either side, exceptions.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "coro_server.hpp"

namespace wisp::test {
namespace {

using namespace std::chrono_literals;

Task<> echo(Session& s) {
  co_await s.accept();
  try {
    while (true) {
      const Message message = co_await s.receive();
      co_await s.send(message.data, message.op);
    }
  } catch (const Disconnected&) {
  }
}

TEST(Sessions, EchoesTextAndBinary) {
  CoroServer server([](App& app) { app.ws_route("/echo", echo); });
  auto client = open_session(server.port(), "/echo");
  client->send_frame(kTextFrame, "hello");
  EXPECT_EQ(next_text(*client), "hello");
  client->send_frame(kBinaryFrame, std::string("\x00\xff", 2));
  const auto frame = client->read_frame();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->opcode, kBinaryFrame);
  EXPECT_EQ(frame->payload, std::string("\x00\xff", 2));
}

// Receives a message, says so, and sends it back only once `go` gives a value: meanwhile other
// reads on the loop reuse its read buffer.
Task<> hold(Session& s, Channel<int>& go) {
  co_await s.accept();
  const Message held = co_await s.receive();
  co_await s.send_text("held");
  co_await go.receive();
  co_await s.send(held.data, held.op);
}

Task<> release_holders(Session& s, Channel<int>& go, int holders) {
  co_await s.accept();
  co_await s.receive();
  for (int i = 0; i < holders; ++i) co_await go.send(i);
}

// A received message stays valid while its coroutine awaits something else and later reads of
// the loop come in: the first holders keep the read's buffer (no copy), those past the loop's
// few kept buffers (net::ReadBuffers::max_kept, 4) get a copy.
TEST(Sessions, AMessageHeldAcrossAnotherAwaitOutlivesLaterReads) {
  constexpr int holders = 6;
  Channel<int> go(holders);
  CoroServer server(
      [&go](App& app) {
        app.ws_route("/hold", [&go](Session& s) { return hold(s, go); });
        app.ws_route("/go", [&go](Session& s) { return release_holders(s, go, holders); });
      },
      AppOptions{.threads = 1});  // one loop: every read below reuses the same buffer
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < holders; ++i) {
    clients.push_back(open_session(server.port(), "/hold"));
    clients.back()->send_frame(kTextFrame, std::string(64, static_cast<char>('a' + i)));
    ASSERT_EQ(next_text(*clients.back()), "held");
  }
  auto releaser = open_session(server.port(), "/go");
  releaser->send_frame(kTextFrame, std::string(64, 'z'));  // where the last message lay
  for (int i = 0; i < holders; ++i) {
    EXPECT_EQ(next_text(*clients[i]), std::string(64, static_cast<char>('a' + i))) << i;
  }
}

TEST(Sessions, ReceiveTextAndBytesCheckTheKind) {
  CoroServer server([](App& app) {
    app.ws_route("/kinds", [](Session& s) -> Task<> {
      co_await s.accept();
      const std::string text(co_await s.receive_text());
      const std::string bytes(co_await s.receive_bytes());
      co_await s.send_text("text " + text + ", bytes " + bytes);
      std::string answer = "accepted";
      try {
        co_await s.receive_text();
      } catch (const MessageTypeError& wrong) {  // (no co_await in a handler: C++20)
        answer = wrong.got() == OpCode::Binary ? "binary refused" : "?";
      }
      co_await s.send_text(answer);
      co_await s.send_text("still open: " + std::string(co_await s.receive_text()));
    });
  });
  auto client = open_session(server.port(), "/kinds");
  client->send_frame(kTextFrame, "a");
  client->send_frame(kBinaryFrame, "b");
  EXPECT_EQ(next_text(*client), "text a, bytes b");
  client->send_frame(kBinaryFrame, "c");
  EXPECT_EQ(next_text(*client), "binary refused");
  client->send_frame(kTextFrame, "d");
  EXPECT_EQ(next_text(*client), "still open: d");
}

TEST(Sessions, AcceptSendsTheSubprotocolAndHeaders) {
  CoroServer server([](App& app) {
    app.ws_route("/chat", [](Session& s) -> Task<> {
      AcceptOptions options{.subprotocol = "chat"};
      options.headers.emplace_back("X-Server", "wisp");  // (GCC 12 rejects a nested braced list)
      co_await s.accept(std::move(options));
      co_await s.send_text("welcome");
    });
  });
  RawClient client(server.port());
  client.send(RawClient::upgrade_request("/chat", "Sec-WebSocket-Protocol: other, chat\r\n"));
  const HttpResponse res = client.read_http_response();
  EXPECT_EQ(res.status, 101);
  EXPECT_EQ(res.header("sec-websocket-protocol"), "chat");
  EXPECT_EQ(res.header("x-server"), "wisp");
  EXPECT_EQ(next_text(client), "welcome");
  // Returning after accept closes with 1000.
  const auto close = client.read_until_close_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1000);
}

// Seed 003: "check the header, close with 1008 if missing", before accepting.
Task<> authenticated(Session& s) {
  if (s.header("authorization").empty()) {
    co_await s.close(1008, "Authentication required");
    co_return;
  }
  if (s.query("room") == "none") co_return;  // returning undecided refuses too
  if (s.query("room") == "private") {
    s.refuse(401, "who are you?");
    co_return;
  }
  if (s.query("room") == "broken") throw std::runtime_error("the hook broke");
  co_await s.accept();
  co_await s.send_text("in");
}

TEST(Sessions, ClosingOrReturningBeforeAcceptRefusesTheUpgrade) {
  CoroServer server([](App& app) { app.ws_route("/secure", authenticated); });
  const HttpResponse missing = upgrade_answer(server.port(), "/secure");
  EXPECT_EQ(missing.status, 403);
  EXPECT_EQ(missing.body, "Authentication required");
  EXPECT_EQ(upgrade_answer(server.port(), "/secure?room=none", "Authorization: x\r\n").status, 403);
  const HttpResponse refused =
      upgrade_answer(server.port(), "/secure?room=private", "Authorization: x\r\n");
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.body, "who are you?");
  EXPECT_EQ(upgrade_answer(server.port(), "/secure?room=broken", "Authorization: x\r\n").status,
            500);
  RawClient client(server.port());
  client.send(RawClient::upgrade_request("/secure", "Authorization: x\r\n"));
  EXPECT_EQ(client.read_http_response().status, 101);
  EXPECT_EQ(next_text(client), "in");
}

TEST(Sessions, TheRefusalStatusIsASetting) {
  CoroServer server([](App& app) {
    app.ws_route(
        "/closed", [](Session&) -> Task<> { co_return; }, SessionOptions{.refusal_status = 404});
  });
  EXPECT_EQ(upgrade_answer(server.port(), "/closed").status, 404);
}

TEST(Sessions, ReadTheHandshakeAndKeepState) {
  struct Counter {
    int messages = 0;
  };
  CoroServer server([](App& app) {
    app.ws_route("/rooms/{room}/{user}", [](Session& s) -> Task<> {
      co_await s.accept();
      s.state<Counter>().messages = 0;
      json params = json::object();
      for (const auto& [name, value] : s.path_params()) params[name] = value;
      json query = json::object();
      for (const auto& [name, value] : s.query_params()) query[name] = value;
      // (GCC 12 cannot compile a braced list inside a co_await expression: named first.)
      const json info = {{"params", params},
                         {"query", query},
                         {"header", s.header("x-probe")},
                         {"headers", s.headers().size()},
                         {"host", s.client() ? s.client()->host : "none"},
                         {"port_set", s.client() && s.client()->port != 0},
                         {"path", s.path()}};
      co_await s.send_json(info);
      while (true) {
        co_await s.receive_text();
        co_await s.send_text(std::to_string(++s.state<Counter>().messages));
      }
    });
  });
  RawClient client(server.port());
  client.send(RawClient::upgrade_request("/rooms/a%20b/ada?x=1&y=two+words", "X-Probe: yes\r\n"));
  ASSERT_EQ(client.read_http_response().status, 101);
  const json info = json::parse(next_text(client));
  EXPECT_EQ(info["params"], json({{"room", "a b"}, {"user", "ada"}}));
  EXPECT_EQ(info["query"], json({{"x", "1"}, {"y", "two words"}}));
  EXPECT_EQ(info["header"], "yes");
  EXPECT_GE(info["headers"].get<int>(), 5);
  EXPECT_EQ(info["host"], "127.0.0.1");
  EXPECT_EQ(info["port_set"], true);
  EXPECT_EQ(info["path"], "/rooms/a%20b/ada");
  client.send_frame(kTextFrame, "one");
  client.send_frame(kTextFrame, "two");
  EXPECT_EQ(next_text(client), "1");
  EXPECT_EQ(next_text(client), "2");
}

TEST(Sessions, InvalidJsonIsAnErrorTheCoroutineAnswers) {
  CoroServer server([](App& app) {
    app.ws_route("/api", [](Session& s) -> Task<> {
      co_await s.accept();
      while (true) {
        json answer;
        try {
          const json data = co_await s.receive_json();
          if (data.value("type", "") == "ping") answer = {{"type", "pong"}};
        } catch (const json::parse_error&) {
          answer = {{"error", "Invalid JSON"}};
        }
        co_await s.send_json(answer);
      }
    });
  });
  auto client = open_session(server.port(), "/api");
  client->send_frame(kTextFrame, R"({"type":"ping"})");
  EXPECT_EQ(json::parse(next_text(*client)), json({{"type", "pong"}}));
  client->send_frame(kTextFrame, "{not json");
  EXPECT_EQ(json::parse(next_text(*client)), json({{"error", "Invalid JSON"}}));
  client->send_frame(kTextFrame, R"({"type":"ping"})");
  EXPECT_EQ(json::parse(next_text(*client)), json({{"type", "pong"}}));
}

TEST(Sessions, ServerCloseIsSeenByTheClientAndLaterReceivesThrow) {
  Awaited<std::string> after_close;
  CoroServer server([&](App& app) {
    app.ws_route("/quit", [&](Session& s) -> Task<> {
      co_await s.accept();
      if (co_await s.receive_text() == "quit") {
        co_await s.close(1000, "User requested disconnect");
      }
      try {
        co_await s.receive_text();
      } catch (const Disconnected& gone) {
        after_close.set(std::to_string(gone.code()) + " " + gone.reason());
      }
    });
  });
  auto client = open_session(server.port(), "/quit");
  client->send_frame(kTextFrame, "quit");
  const auto close = client->read_until_close_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1000);
  EXPECT_EQ(close->close_reason(), "User requested disconnect");
  EXPECT_EQ(after_close.get(), "1000 User requested disconnect");
}

TEST(Sessions, APeerCloseWakesThePendingReceiveWithItsCodeAndReason) {
  Awaited<std::string> seen;
  CoroServer server([&](App& app) {
    app.ws_route("/wait", [&](Session& s) -> Task<> {
      co_await s.accept();
      co_await s.send_text("ready");
      try {
        co_await s.receive_text();
      } catch (const Disconnected& gone) {
        seen.set(std::to_string(gone.code()) + " " + gone.reason());
      }
    });
  });
  auto client = open_session(server.port(), "/wait");
  EXPECT_EQ(next_text(*client), "ready");
  client->send_frame(0x8, close_body(4000, "bye"));
  EXPECT_EQ(seen.take(), "4000 bye");
  auto dropped = open_session(server.port(), "/wait");
  EXPECT_EQ(next_text(*dropped), "ready");
  dropped.reset();  // TCP ends without a close frame
  EXPECT_EQ(seen.take(), "1006 ");
}

TEST(Sessions, AClientThatLeavesBeforeTheDecisionWakesTheCoroutine) {
  Awaited<int> seen;
  Awaited<bool> waiting;
  CoroServer server([&](App& app) {
    app.ws_route("/slow", [&](Session& s) -> Task<> {
      waiting.set(true);
      try {
        co_await with_timeout(10s, s.app().offload([] { return 1; }));
        co_await sleep(50ms);  // gone before accept() or during it: 1006 either way
        co_await s.accept();
      } catch (const Disconnected& gone) {
        seen.set(gone.code());
      }
    });
  });
  {
    RawClient client(server.port());
    client.send(RawClient::upgrade_request("/slow"));
    waiting.get();
  }
  EXPECT_EQ(seen.get(), 1006);
}

TEST(Sessions, AnExceptionAfterAcceptClosesWith1011AndTheServerGoesOn) {
  CoroServer server([](App& app) {
    app.ws_route("/fail", [](Session& s) -> Task<> {
      co_await s.accept();
      if (co_await s.receive_text() == "boom") throw std::runtime_error("boom");
      co_await s.send_text("fine");
    });
  });
  auto client = open_session(server.port(), "/fail");
  client->send_frame(kTextFrame, "boom");
  const auto close = client->read_until_close_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1011);
  auto next = open_session(server.port(), "/fail");
  next->send_frame(kTextFrame, "hello");
  EXPECT_EQ(next_text(*next), "fine");
}

TEST(Sessions, TopicsAndTheRegistryWorkFromASession) {
  CoroServer server([](App& app) {
    app.ws_route(
        "/room",
        [](Session& s) -> Task<> {
          co_await s.accept();
          s.subscribe("room");
          s.set_metadata("name", std::string(s.query("name").value_or("?")));
          co_await s.send_text(std::string(s.client_id()));
          while (true) s.publish("room", co_await s.receive_text());
        },
        SessionOptions{.settings = {.client_registry = true}});
  });
  auto a = open_session(server.port(), "/room?name=ada");
  auto b = open_session(server.port(), "/room?name=bob");
  const std::string a_id = next_text(*a);
  EXPECT_FALSE(next_text(*b).empty());
  a->send_frame(kTextFrame, "hi all");
  EXPECT_EQ(next_text(*b), "hi all");
  const auto info = server.app().client(a_id);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->metadata.at("name"), "ada");
  EXPECT_TRUE(server.app().send_to(a_id, "direct"));
  EXPECT_EQ(next_text(*a), "direct");
}

// A topic with history (AppOptions::topic_history) from a session: subscribed at a position, it
// gets what it missed, then the callback, then the live ones.
TEST(Sessions, ASessionSubscribesToATopicWithHistoryAtAPosition) {
  AppOptions options{.threads = 2};
  options.topic_history.topics.push_back({.prefix = "news"});
  CoroServer server(
      [](App& app) {
        app.ws_route("/news", [](Session& s) -> Task<> {
          co_await s.accept();
          const StreamPosition since{s.query("epoch").value_or(""),
                                     std::stoull(s.query("offset").value_or("0"))};
          s.subscribe("news", since, [&s](const TopicRecovery& recovery) {
            s.socket()->send(std::to_string(recovery.recovered) + " " +
                             std::to_string(recovery.position.offset) + " " +
                             recovery.position.epoch);
          });
          while (true) co_await s.receive_text();
        });
      },
      options);
  auto first = open_session(server.port(), "/news");
  const std::string status = next_text(*first);
  ASSERT_TRUE(status.starts_with("0 0 ")) << status;
  const std::string epoch = status.substr(4);
  server.app().publish("news", "a");
  server.app().publish("news", "b");
  EXPECT_EQ(next_text(*first), "a");
  EXPECT_EQ(next_text(*first), "b");
  first.reset();
  server.app().publish("news", "c");
  auto back = open_session(server.port(), "/news?epoch=" + epoch + "&offset=2");
  EXPECT_EQ(next_text(*back), "c");
  EXPECT_EQ(next_text(*back), "1 3 " + epoch);
  server.app().publish("news", "d");
  EXPECT_EQ(next_text(*back), "d");
}

// A handler that does not receive while its client sends: messages wait in the receive backlog
// up to SessionOptions::max_receive_backlog, and the one that would pass it closes the session
// with 1008 (the handler, asleep, is destroyed with its loop when the app stops).
TEST(Sessions, AReceiveBacklogPastItsLimitClosesWith1008) {
  CoroServer server([](App& app) {
    app.ws_route(
        "/slow",
        [](Session& s) -> Task<> {
          co_await s.accept();
          co_await s.send_text("ready");
          co_await sleep(std::chrono::hours(1));  // busy elsewhere: receives nothing
        },
        // Each queued message takes its size plus 5 bytes: two of 40 fit in 100, not three.
        SessionOptions{.max_receive_backlog = 100});
  });
  auto client = open_session(server.port(), "/slow");
  EXPECT_EQ(next_text(*client), "ready");
  const std::string forty(40, 'm');
  client->send_frame(kTextFrame, forty);
  client->send_frame(kTextFrame, forty);
  client->send_frame(0x9, "still open?");  // a ping: answered by the socket, never queued
  const auto pong = client->read_frame();
  ASSERT_TRUE(pong) << "closed before the backlog passed its limit";
  EXPECT_EQ(pong->opcode, 0xA) << "a pong, not a close";
  EXPECT_EQ(pong->payload, "still open?");
  client->send_frame(kTextFrame, forty);
  const auto close = client->read_until_close_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1008);
  EXPECT_EQ(close->close_reason(), "receive backlog over limit");
}

// From another thread (here the worker pool's) every call that reaches the connection throws
// before touching anything; the handshake's readers work; the session goes on on its loop.
TEST(Sessions, CallsFromAnotherThreadThrowAndTheSessionGoesOn) {
  CoroServer server([](App& app) {
    app.ws_route("/threads", [&app](Session& s) -> Task<> {
      co_await s.accept();
      auto elsewhere = [&s] {
        // An await checks when awaited: await_ready() is what co_await runs first, on this thread.
        std::string log = std::string(s.path()) + ":";
        const std::function<void()> calls[] = {[&] { (void)s.send_text("x").await_ready(); },
                                               [&] { (void)s.receive().await_ready(); },
                                               [&] { s.subscribe("t"); },
                                               [&] { s.publish("t", "x"); },
                                               [&] { (void)s.client_id(); },
                                               [&] { (void)s.buffered_amount(); },
                                               [&] { s.set_metadata("k", "v"); },
                                               [&] { (void)s.close(); }};
        for (const auto& call : calls) {
          try {
            call();
            log += " ran";
          } catch (const std::logic_error& error) {
            log += error.what() == std::string_view(
                                       "wisp::Session: call it on the session's own loop thread")
                       ? " refused"
                       : " other";
          }
        }
        return log;
      };
      const std::string log = co_await app.offload(elsewhere);
      co_await s.send_text(log);
      co_await s.send_text(co_await s.receive_text());
    });
  });
  auto client = open_session(server.port(), "/threads");
  EXPECT_EQ(next_text(*client),
            "/threads: refused refused refused refused refused refused refused refused");
  client->send_frame(kTextFrame, "still here");
  EXPECT_EQ(next_text(*client), "still here");
}

}  // namespace
}  // namespace wisp::test
