// HTTP routes on the WebSocket port: routing, parameters, bodies, keep-alive and pipelining,
// HEAD, 100-continue, limits, errors, and the metrics endpoints.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "http_test_support.hpp"
#include "raw_client.hpp"
#include "server_thread.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

class HttpServer {
 public:
  HttpServer() : app_({.max_body_size = 64}) {
    app_.get("/api/rooms", [](Request&, Response& res) { res.json(R"(["lobby","games"])"); });
    app_.get("/users/{id}", [](Request& req, Response& res) {
      res.text(std::string("user ")
                   .append(req.param("id"))
                   .append(" q=")
                   .append(req.query("q").value_or("-")));
    });
    app_.get("/query", [](Request& req, Response& res) {
      std::string listed;
      for (const auto& [name, value] : req.query_params()) listed += name + "=" + value + ";";
      res.text(listed);
    });
    app_.post("/echo-body", [](Request& req, Response& res) {
      res.header("X-Method", req.method()).text(req.body());
    });
    app_.get("/boom", [](Request&, Response&) { throw std::runtime_error("handler failed"); });
    app_.get("/static/*", [](Request& req, Response& res) { res.text(req.param("*")); });
    app_.expose_metrics();
    app_.ws("/ws",
            {.message = [](WebSocket& ws, std::string_view m, OpCode op) { ws.send(m, op); }});
    running_.emplace(app_);
  }
  std::uint16_t port() const { return running_->port(); }

 private:
  App app_;
  std::optional<ServerThread> running_;
};

TEST(HttpRoutes, GetAnswersWithTypeAndLength) {
  HttpServer server;
  const auto res = ask(server.port(), get("/api/rooms"));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, R"(["lobby","games"])");
  EXPECT_EQ(res.header("Content-Type"), "application/json");
  EXPECT_TRUE(res.header("Date"));
}

TEST(HttpRoutes, PathParametersArePercentDecodedAndQueryParsed) {
  HttpServer server;
  EXPECT_EQ(ask(server.port(), get("/users/a%20b?q=x+y")).body, "user a b q=x y");
  EXPECT_EQ(ask(server.port(), get("/query?b=2&a=x+y&&b=%33")).body, "b=2;a=x y;b=3;");
  EXPECT_EQ(ask(server.port(), get("/static/css/site.css")).body, "css/site.css");
  EXPECT_EQ(ask(server.port(), get("/users/%zz")).status, 400);
}

TEST(HttpRoutes, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  HttpServer server;
  EXPECT_EQ(ask(server.port(), get("/nowhere")).status, 404);
  const auto res = ask(server.port(), "DELETE /api/rooms HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(res.header("Allow"), "GET, HEAD");
}

TEST(HttpRoutes, HeadSendsTheHeadersOfGetWithoutTheBody) {
  HttpServer server;
  RawClient client(server.port());
  client.send("HEAD /api/rooms HTTP/1.1\r\nHost: t\r\n\r\n" + get("/users/7"));
  const auto head = client.read_http_response();  // a HEAD answer announces a length it omits
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Length"), "17");
  EXPECT_TRUE(head.body.starts_with("HTTP/1.1 200")) << "the next response must follow at once";
}

TEST(HttpRoutes, PipelinedRequestsAreAnsweredInOrderOnOneConnection) {
  HttpServer server;
  RawClient client(server.port());
  client.send(get("/users/1") + get("/users/2") + get("/api/rooms"));
  EXPECT_EQ(client.read_http_response().body, "user 1 q=-");
  EXPECT_EQ(client.read_http_response().body, "user 2 q=-");
  EXPECT_EQ(client.read_http_response().body, R"(["lobby","games"])");
  client.send(get("/users/3"));  // kept alive
  EXPECT_EQ(client.read_http_response().body, "user 3 q=-");
}

TEST(HttpRoutes, ConnectionCloseIsHonoured) {
  HttpServer server;
  RawClient client(server.port());
  client.send(get("/users/1", "Connection: close\r\n"));
  const auto res = client.read_http_response();
  EXPECT_EQ(res.header("Connection"), "close");
  EXPECT_NE(client.wait_tcp_end(), TcpEnd::Timeout);
}

TEST(HttpBodies, ContentLengthBodyInOnePieceAndOneBytePerWrite) {
  HttpServer server;
  const std::string request =
      "POST /echo-body HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello there";
  EXPECT_EQ(ask(server.port(), request).body, "hello there");
  RawClient client(server.port());
  client.send_bytewise(request + request);
  EXPECT_EQ(client.read_http_response().body, "hello there");
  EXPECT_EQ(client.read_http_response().body, "hello there");
}

TEST(HttpBodies, ChunkedBodyIsDecoded) {
  HttpServer server;
  RawClient client(server.port());
  client.send_bytewise(
      "POST /echo-body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6;ext=1\r\n there\r\n0\r\n\r\n");
  EXPECT_EQ(client.read_http_response().body, "hello there");
}

TEST(HttpBodies, ExpectContinueGets100BeforeTheBody) {
  HttpServer server;
  RawClient client(server.port());
  client.send(
      "POST /echo-body HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(client.read_http_response().status, 100);
  client.send("ok");
  EXPECT_EQ(client.read_http_response().body, "ok");
}

TEST(HttpLimits, BodyOverTheLimitIs413AndBadRequestsAre400And431) {
  HttpServer server;
  EXPECT_EQ(ask(server.port(), "POST /echo-body HTTP/1.1\r\nHost: t\r\nContent-Length: 65\r\n\r\n")
                .status,
            413);
  EXPECT_EQ(ask(server.port(), "GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n").status, 400);
  EXPECT_EQ(ask(server.port(), get("/", "X-Big: " + std::string(20000, 'x') + "\r\n")).status, 431);
}

TEST(HttpErrors, AThrowingHandlerAnswers500AndTheServerGoesOn) {
  HttpServer server;
  EXPECT_EQ(ask(server.port(), get("/boom")).status, 500);
  EXPECT_EQ(ask(server.port(), get("/users/9")).status, 200);
}

TEST(HttpRoutes, WebSocketsShareThePort) {
  HttpServer server;
  RawClient client(server.port());
  client.send(get("/users/1"));  // an HTTP request first, then an upgrade on the same connection
  EXPECT_EQ(client.read_http_response().body, "user 1 q=-");
  client.handshake("/ws");
  client.send_frame(0x1, "over the same port");
  const auto echo = client.read_frame();
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->payload, "over the same port");
}

TEST(Observability, MetricsAndHealthz) {
  HttpServer server;
  RawClient ws(server.port());
  ws.handshake("/ws");
  const auto metrics = ask(server.port(), get("/metrics"));
  EXPECT_EQ(metrics.status, 200);
  EXPECT_TRUE(metrics.header("Content-Type")->starts_with("text/plain; version=0.0.4"));
  EXPECT_NE(metrics.body.find("\nwisp_websockets 1\n"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("\nwisp_broker_up 1\n"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("\nwisp_broker_malformed_total 0\n"), std::string::npos);
  const auto health = ask(server.port(), get("/healthz"));
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, R"({"status":"ok","threads":1,"websockets":1,)"
                         R"("broker":{"kind":"local","up":true,"node_id":""}})");
}

}  // namespace
}  // namespace wisp::test
