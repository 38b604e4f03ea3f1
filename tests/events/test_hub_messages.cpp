// The hub's envelope on the real server: every bad input answered with its error code and the
// request id (and the connection kept), the reply rules, and deferred replies from other threads.
#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>

#include "hub_client.hpp"

namespace wisp::test {
namespace {

// echo answers with its data; quiet answers nothing; fail throws; refuse throws a HubError.
void add_handlers(App&, Hub& hub) {
  hub.on("echo", [](Event& ev) { return ev.data(); });
  hub.on("quiet", [](Event&) {});
  hub.on("fail", [](Event&) -> json { throw std::runtime_error("secret detail"); });
  hub.on("refuse", [](Event&) -> json { throw HubError("not_allowed", "you may not"); });
  hub.on("describe", [](Event& ev) -> json {
    return {{"type", ev.type()},
            {"client_id", ev.client_id()},
            {"id", ev.id()},
            {"payload", ev.payload()}};
  });
}

void expect_error(const json& message, std::string_view code, const json& id = nullptr) {
  EXPECT_EQ(message["type"], "error") << message;
  EXPECT_EQ(message["data"]["code"], code) << message;
  EXPECT_TRUE(message["data"]["message"].is_string()) << message;
  if (id.is_null())
    EXPECT_FALSE(message.contains("id")) << message;
  else
    EXPECT_EQ(message["id"], id) << message;
}

// The connection still serves requests.
void expect_alive(HubClient& client) {
  EXPECT_EQ(client.request("echo", "still here", 99),
            json({{"type", "response"}, {"data", "still here"}, {"id", 99}}));
}

TEST(HubMessages, EachBadInputGetsItsErrorAndTheConnectionStays) {
  HubServer server(add_handlers);
  HubClient client(server.port());
  const std::pair<std::string, std::string_view> cases[] = {
      {"{\"type\":\"echo\",", hub_error::invalid_json},
      {"not json at all", hub_error::invalid_json},
      {"{\"type\":\"echo\"} trailing", hub_error::invalid_json},
      {"[1,2,3]", hub_error::invalid_message},
      {"\"a string\"", hub_error::invalid_message},
      {"{\"data\":1}", hub_error::missing_type},
  };
  for (const auto& [text, code] : cases) {
    client.send_text(text);
    expect_error(client.next(), code);
  }
  expect_alive(client);
}

TEST(HubMessages, ErrorsCarryTheRequestIdWhenTheMessageHasOne) {
  HubServer server(add_handlers);
  HubClient client(server.port());
  client.send_text(R"({"type":7,"id":3})");
  expect_error(client.next(), hub_error::missing_type, 3);
  client.send_text(R"({"type":null,"id":"req-4"})");
  expect_error(client.next(), hub_error::missing_type, "req-4");
  expect_error(client.request("no_such_type", {}, 5), hub_error::unknown_type, 5);
  client.send("no_such_type", {});
  expect_error(client.next(), hub_error::unknown_type);
  expect_alive(client);
}

TEST(HubMessages, ABinaryFrameIsAnsweredNotDropped) {
  HubServer server(add_handlers);
  HubClient client(server.port());
  client.raw().send_frame(kBinaryFrame, R"({"type":"echo","id":1})");
  expect_error(client.next(), hub_error::binary_unsupported);
  expect_alive(client);
}

TEST(HubMessages, AThrowingHandlerHidesItsMessageUnlessExposeErrors) {
  HubServer hidden(add_handlers);
  HubClient a(hidden.port());
  const json answer = a.request("fail", {}, 8);
  expect_error(answer, hub_error::handler_error, 8);
  EXPECT_EQ(answer["data"]["message"], "internal error");
  expect_alive(a);

  HubServer exposed(add_handlers, {.expose_errors = true});
  HubClient b(exposed.port());
  EXPECT_EQ(b.request("fail", {}, 9)["data"]["message"], "secret detail");
}

TEST(HubMessages, AHubErrorShowsItsOwnCodeAndMessage) {
  HubServer server(add_handlers);
  HubClient client(server.port());
  const json answer = client.request("refuse", {}, "r1");
  expect_error(answer, "not_allowed", "r1");
  EXPECT_EQ(answer["data"]["message"], "you may not");
}

TEST(HubMessages, ABadValueInsideDataIsInvalidJson) {
  HubServer server(add_handlers);
  HubClient client(server.port());
  client.send_text(R"({"type":"echo","data":{"x":1e999},"id":2})");
  expect_error(client.next(), hub_error::invalid_json);
  expect_alive(client);
}

TEST(HubMessages, TheEventShowsTypeClientIdIdAndPayload) {
  HubServer server(add_handlers);
  HubClient client(server.port());
  const json answer = client.request("describe", {{"k", "v"}}, 12);
  EXPECT_EQ(answer["data"]["type"], "describe");
  EXPECT_EQ(answer["data"]["client_id"], client.id());
  EXPECT_EQ(answer["data"]["id"], 12);
  EXPECT_EQ(answer["data"]["payload"],
            json({{"type", "describe"}, {"data", {{"k", "v"}}}, {"id", 12}}));
  // Escapes in the type are decoded before dispatch.
  client.send_text(R"({"type":"d\u0065scribe","id":13})");
  EXPECT_EQ(client.next()["data"]["type"], "describe");
}

// A reply goes out when the handler returns something, or when the request has an id.
TEST(HubMessages, ReplyRules) {
  HubServer server(add_handlers);
  HubClient client(server.port());
  client.send("echo", {{"a", 1}});  // no id, a value: answered without an id
  EXPECT_EQ(client.next(), json({{"type", "response"}, {"data", {{"a", 1}}}}));
  client.send("quiet", {});  // no id, nothing returned: no answer (the next one shows it)
  EXPECT_EQ(client.request("quiet", {}, 5),
            json({{"type", "response"}, {"data", nullptr}, {"id", 5}}));
  client.send_text(R"({"type":"echo","data":"x","id":null})");  // a null id is no id
  EXPECT_EQ(client.next(), json({{"type", "response"}, {"data", "x"}}));
  EXPECT_EQ(client.request("echo", "y", "string-id")["id"], "string-id");
  EXPECT_EQ(client.request("echo", "z", json{{"n", 1}})["id"], json({{"n", 1}}));
}

// The reserved "ping" is answered by the hub itself: a pong with the request's id and its data;
// an app's own "ping" handler takes over.
TEST(HubMessages, PingIsAnsweredWithPongAndTheId) {
  HubServer server(add_handlers);
  HubClient client(server.port());
  EXPECT_EQ(client.request("ping", {{"t", 17}}, 8),
            json({{"type", "pong"}, {"data", {{"t", 17}}}, {"id", 8}}));
  client.send_text(R"({"type":"ping","id":"p-9"})");
  EXPECT_EQ(client.next(), json({{"type", "pong"}, {"data", nullptr}, {"id", "p-9"}}));
  expect_alive(client);
  HubServer own([](App&, Hub& hub) { hub.on("ping", [](Event&) -> json { return "mine"; }); });
  HubClient other(own.port());
  EXPECT_EQ(other.request("ping", {}, 1),
            json({{"type", "response"}, {"data", "mine"}, {"id", 1}}));
}

TEST(HubMessages, EventSendGoesBeforeTheReply) {
  HubServer server([](App&, Hub& hub) {
    hub.on("work", [](Event& ev) -> json {
      ev.send("progress", {{"done", 50}});
      return "finished";
    });
  });
  HubClient client(server.port());
  client.send("work", {}, 1);
  EXPECT_EQ(client.next(), json({{"type", "progress"}, {"data", {{"done", 50}}}}));
  EXPECT_EQ(client.next(), json({{"type", "response"}, {"data", "finished"}, {"id", 1}}));
}

// Deferred replies: completed from a plain thread, rejected, dropped, or after the client left.
class DeferredServer {
 public:
  DeferredServer()
      : server_([this](App& app, Hub& hub) {
          add_handlers(app, hub);
          hub.on("later", [this](Event& ev) -> json {
            replies_.set(std::make_shared<Reply>(ev.defer()));
            return "ignored: deferred";
          });
        }) {}
  std::uint16_t port() const { return server_.port(); }
  Hub& hub() { return server_.hub(); }
  // The Reply of the "later" request just sent.
  std::shared_ptr<Reply> take() { return replies_.take(); }

 private:
  HubServer server_;
  Awaited<std::shared_ptr<Reply>> replies_;
};

TEST(HubMessages, ADeferredReplyCompletesFromAnotherThread) {
  DeferredServer server;
  HubClient client(server.port());
  client.send("later", {}, 21);
  auto reply = server.take();
  EXPECT_TRUE(reply->pending());
  std::thread([&] { reply->resolve({{"result", 42}}); }).join();
  EXPECT_FALSE(reply->pending());
  EXPECT_EQ(client.next(), json({{"type", "response"}, {"data", {{"result", 42}}}, {"id", 21}}));
  EXPECT_THROW(reply->resolve(1), std::logic_error);  // once only

  client.send("later", {}, 22);
  reply = server.take();
  std::thread([&] { reply->reject("busy", "try later"); }).join();
  const json rejected = client.next();
  expect_error(rejected, "busy", 22);
  EXPECT_EQ(rejected["data"]["message"], "try later");
}

// A deferred reply is an answer like any other: it goes out even when the client, reading
// nothing, holds far more than max_backpressure unsent.
TEST(HubMessages, ADeferredReplyIsNeverDroppedForASlowReader) {
  Awaited<std::shared_ptr<Reply>> replies;
  Awaited<bool> filled;
  HubSettings settings;
  settings.websocket.max_backpressure = 64 * 1024;
  HubServer server(
      [&](App&, Hub& hub) {
        hub.on("later", [&](Event& ev) -> json {
          replies.set(std::make_shared<Reply>(ev.defer()));
          return nullptr;
        });
        hub.on("fill", [&](Event& ev) -> json {
          const std::string chunk(64 * 1024, 'x');
          for (int i = 0; i < 128; ++i) ev.send("chunk", chunk);  // 8 MiB, which nobody reads yet
          filled.set(true);
          return nullptr;
        });
      },
      settings);
  HubClient client(server.port());
  client.send("later", {}, 1);
  auto reply = replies.take();
  client.send("fill", {});
  filled.take();
  std::thread([&] { reply->resolve("kept"); }).join();
  for (int i = 0; i < 128; ++i) ASSERT_EQ(client.next()["type"], "chunk");
  EXPECT_EQ(client.next(), json({{"type", "response"}, {"data", "kept"}, {"id", 1}}));
  EXPECT_EQ(server.app().metrics().dropped, 0u);
}

TEST(HubMessages, ADroppedDeferredReplyAnswersTimeout) {
  DeferredServer server;
  HubClient client(server.port());
  client.send("later", {}, 31);
  std::thread([reply = server.take()]() mutable { reply.reset(); }).join();
  expect_error(client.next(), hub_error::timeout, 31);
  expect_alive(client);
}

TEST(HubMessages, ADeferredReplyToAClientThatLeftDoesNothing) {
  DeferredServer server;
  std::shared_ptr<Reply> reply;
  {
    HubClient client(server.port());
    client.send("later", {}, 41);
    reply = server.take();
    client.raw().send_frame(0x8, close_body(1000));
    client.raw().read_until_close_frame();
  }
  HubClient other(server.port());
  std::thread([&] { reply->resolve("too late"); }).join();
  EXPECT_FALSE(reply->pending());
  expect_alive(other);  // nothing else arrived for the newcomer
}

}  // namespace
}  // namespace wisp::test
