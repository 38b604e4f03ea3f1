// Testing your handlers with wisp::testing::TestClient (library wisp::testing) and GoogleTest:
// the app is built by the same function the program uses, run on port 0 in the background, and
// driven by blocking calls that fail the test after a timeout instead of hanging it. One test per
// handler style: raw callbacks, the event hub, a coroutine session, and an HTTP route.
#include <gtest/gtest.h>

#include "wisp/testing.hpp"
#include "wisp/wisp.hpp"

namespace {

// The application under test: what main() would listen() and run().
void add_routes(wisp::App& app) {
  app.ws("/shout", {.message = [](wisp::WebSocket& ws, std::string_view message, wisp::OpCode) {
           std::string loud(message);
           for (char& c : loud) c = static_cast<char>(std::toupper(c));
           ws.send(loud);
           if (loud == "BYE") ws.close(4000, "see you");
         }});
  app.hub("/hub").on("add", [](wisp::Event& ev) -> wisp::json {
    return {{"sum", ev.data()["a"].get<int>() + ev.data()["b"].get<int>()}};
  });
  app.ws_route("/greet", [](wisp::Session& s) -> wisp::Task<> {
    wisp::AcceptOptions options{.subprotocol = "greeting"};  // named: GCC 12 destroys a
    co_await s.accept(std::move(options));                   // temporary argument here twice
    co_await s.send_text("hello, " + std::string(s.query("name").value_or("stranger")));
  });
  app.get("/health", [](wisp::Request&, wisp::Response& res) { res.json(R"({"ok":true})"); });
}

wisp::App& with_routes(wisp::App& app) {
  add_routes(app);
  return app;
}

class Handlers : public ::testing::Test {
 protected:
  wisp::App app;
  wisp::testing::TestClient client{with_routes(app)};  // routes first: the client starts the app
};

TEST_F(Handlers, RawCallbacksAnswerAndClose) {
  auto ws = client.websocket_connect("/shout");
  ws.send_text("hello");
  EXPECT_EQ(ws.receive_text(), "HELLO");
  ws.send_text("bye");
  EXPECT_EQ(ws.receive_text(), "BYE");
  EXPECT_EQ(ws.close_code(), 4000);
  EXPECT_EQ(ws.close_reason(), "see you");
}

TEST_F(Handlers, HubEventsAnswerByRequestId) {
  auto ws = client.websocket_connect("/hub");
  ws.send_json({{"type", "add"}, {"data", {{"a", 2}, {"b", 3}}}, {"id", 7}});
  wisp::json reply = ws.receive_json();
  while (reply.value("id", -1) != 7) reply = ws.receive_json();  // skip the hub's welcome
  EXPECT_EQ(reply["data"]["sum"], 5);
}

TEST_F(Handlers, CoroutineSessionsSeeTheQueryAndSubprotocol) {
  auto ws = client.websocket_connect("/greet", {.subprotocols = {"greeting"}, .query = "name=ada"});
  EXPECT_EQ(ws.subprotocol(), "greeting");
  EXPECT_EQ(ws.receive_text(), "hello, ada");
}

TEST_F(Handlers, HttpRoutes) {
  const auto health = client.get("/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.json()["ok"], true);
}

}  // namespace
