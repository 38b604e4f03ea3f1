// Upgrade control on the real server: the route's hook (accept with a subprotocol and headers,
// reject with any status, defer to another thread, the client leaving first), routes with
// parameters and what the socket keeps, upgrade middleware and the ready-made ones, and HTTP
// answers given later.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http_test_support.hpp"
#include "raw_client.hpp"
#include "server_thread.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr std::uint8_t kText = 0x1, kClose = 0x8;

// Threads a test starts to decide from (a stand-in for an auth service's workers); joined when
// the test ends, before the App goes.
class Workers {
 public:
  ~Workers() { join(); }
  template <class F>
  void run(F f) {
    std::lock_guard lock(mutex_);
    threads_.emplace_back(std::move(f));
  }
  void join() {
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }

 private:
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

class Server {
 public:
  explicit Server(App& app) : running_(app) {}
  std::uint16_t port() const { return running_.port(); }

 private:
  ServerThread running_;
};

HttpResponse try_upgrade(std::uint16_t port, std::string_view path,
                         std::string_view extra_headers = {}) {
  RawClient client(port);
  client.send(RawClient::upgrade_request(path, extra_headers));
  return client.read_http_response();
}

std::string next_text(RawClient& client) {
  const auto frame = client.read_frame();
  return frame ? frame->payload : "<no frame>";
}

WebSocketBehavior echo(UpgradeHook hook = {}) {
  return {.upgrade = std::move(hook),
          .message = [](WebSocket& ws, std::string_view m, OpCode op) { ws.send(m, op); }};
}

void expect_echo(RawClient& client) {
  client.send_frame(kText, "ping?");
  EXPECT_EQ(next_text(client), "ping?");
}

// ---- the hook ----------------------------------------------------------------------------------

TEST(UpgradeHook, RejectSendsStatusHeadersAndBody) {
  App app;
  app.ws("/t", echo([](Upgrade& up) {
           up.reject(451, "not here", {{"X-Reason", "legal"}, {"Content-Type", "text/x-note"}});
         }));
  Server server(app);
  const HttpResponse res = try_upgrade(server.port(), "/t");
  EXPECT_EQ(res.status, 451);
  EXPECT_EQ(res.body, "not here");
  EXPECT_EQ(res.header("X-Reason"), "legal");
  EXPECT_EQ(res.header("Content-Type"), "text/x-note");
  EXPECT_EQ(res.header("Connection"), "close");
  EXPECT_EQ(app.metrics().handshakes_refused, 1u);
}

TEST(UpgradeHook, AcceptChoosesAnOfferedSubprotocolAndAddsHeaders) {
  App app;
  std::vector<std::string> offered;
  bool refused_unoffered = false;
  app.ws("/t", echo([&](Upgrade& up) {
           for (std::string_view p : up.protocols()) offered.emplace_back(p);
           try {
             up.accept({.subprotocol = "mqtt"});
           } catch (const std::invalid_argument&) {
             refused_unoffered = true;
           }
           EXPECT_THROW(up.accept({.headers = {{"Sec-WebSocket-Accept", "x"}}}),
                        std::invalid_argument);
           up.accept({.subprotocol = "chat", .headers = {{"X-A", "b"}}});
           EXPECT_THROW(up.reject(403), std::logic_error);  // decided already
         }));
  Server server(app);
  const HttpResponse res =
      try_upgrade(server.port(), "/t",
                  "Sec-WebSocket-Protocol: v2.chat, chat\r\nSec-WebSocket-Protocol: json\r\n");
  EXPECT_EQ(res.status, 101);
  EXPECT_EQ(res.header("Sec-WebSocket-Protocol"), "chat");
  EXPECT_EQ(res.header("X-A"), "b");
  EXPECT_EQ(offered, (std::vector<std::string>{"v2.chat", "chat", "json"}));
  EXPECT_TRUE(refused_unoffered);
}

TEST(UpgradeHook, NoDecisionAccepts) {
  App app;
  app.ws("/t", echo([](Upgrade&) {}));
  Server server(app);
  RawClient client(server.port());
  client.handshake("/t");
  expect_echo(client);
}

TEST(UpgradeHook, AHookThatThrowsRejectsWith500) {
  App app;
  app.ws("/t", echo([](Upgrade&) { throw std::runtime_error("auth service down"); }));
  Server server(app);
  EXPECT_EQ(try_upgrade(server.port(), "/t").status, 500);
}

struct Session {
  std::string user;
};

TEST(UpgradeHook, UserDataMadeAtTheUpgradeIsTheSocketsOwn) {
  App app;
  app.ws<Session>("/t", {.upgrade = [](Upgrade& up) { up.data<Session>().user = "ada"; },
                         .open = [](WebSocket& ws) { ws.send(ws.data<Session>().user); }});
  Server server(app);
  RawClient client(server.port());
  client.handshake("/t");
  EXPECT_EQ(next_text(client), "ada");
}

TEST(UpgradeHook, AcceptThenCloseWith1008) {
  App app;
  app.ws("/t", {.open = [](WebSocket& ws) { ws.close(1008, "not allowed"); }});
  Server server(app);
  RawClient client(server.port());
  client.handshake("/t");
  const auto close = client.read_until_close_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1008);
  EXPECT_EQ(close->close_reason(), "not allowed");
}

TEST(UpgradeHook, DeferredAcceptFromAnotherThread) {
  App app;
  Workers workers;
  app.ws("/t", echo([&](Upgrade& up) {
           const std::string user(up.header("X-User"));
           workers.run([later = up.defer(), user]() mutable {
             if (user == "ada") later.accept({.headers = {{"X-Checked", "yes"}}});
           });
         }));
  Server server(app);
  RawClient client(server.port());
  client.send(RawClient::upgrade_request("/t", "X-User: ada\r\n") + client_frame(kText, "early"));
  const HttpResponse res = client.read_http_response();
  EXPECT_EQ(res.status, 101);
  EXPECT_EQ(res.header("X-Checked"), "yes");
  EXPECT_EQ(next_text(client), "early") << "a frame sent behind the request is not lost";
  expect_echo(client);
}

TEST(UpgradeHook, DeferredRejectFromAnotherThread) {
  App app;
  Workers workers;
  app.ws("/t", echo([&](Upgrade& up) {
           workers.run([later = up.defer()]() mutable { later.reject(401, "who are you?"); });
         }));
  Server server(app);
  const HttpResponse res = try_upgrade(server.port(), "/t");
  EXPECT_EQ(res.status, 401);
  EXPECT_EQ(res.body, "who are you?");
}

// Signals when destroyed: the server let go of the upgrade (its user data went with it).
struct Probe {
  std::promise<void>* gone = nullptr;
  ~Probe() {
    if (gone) gone->set_value();
  }
};

TEST(UpgradeHook, ClientGoneBeforeTheDecisionBreaksNothing) {
  App app;
  std::promise<void> gone;
  std::promise<DeferredUpgrade> handed;
  app.ws<Probe>("/t", {.upgrade = [&](Upgrade& up) {
                  if (up.header("X-Probe").empty()) return;  // the later clients pass
                  up.data<Probe>().gone = &gone;
                  handed.set_value(up.defer());
                }});
  Server server(app);
  auto deferral = handed.get_future();
  {
    RawClient client(server.port());
    client.send(RawClient::upgrade_request("/t", "X-Probe: 1\r\n"));
    deferral.wait();
  }  // the client leaves undecided
  gone.get_future().wait();
  DeferredUpgrade later = deferral.get();
  std::thread([&] { later.accept(); }).join();  // finds the connection gone
  RawClient next(server.port());
  next.handshake("/t");
}

TEST(UpgradeHook, AnUndecidedDeferralEndsAtTheHandshakeTimeout) {
  App app({.handshake_timeout = std::chrono::milliseconds(200)});
  app.ws("/t", echo([](Upgrade& up) { (void)up.defer(); }));  // dropped undecided
  Server server(app);
  RawClient client(server.port());
  client.send(RawClient::upgrade_request("/t"));
  EXPECT_NE(client.wait_tcp_end(), TcpEnd::Timeout);
}

// ---- routes with parameters, and what the socket keeps -----------------------------------------

TEST(UpgradeRoutes, ParamsQueryAndKeptHeadersReachTheSocket) {
  App app;
  app.ws("/chat/{room}", {.upgrade =
                              [](Upgrade& up) {
                                EXPECT_EQ(up.param("room"), "red room");
                                EXPECT_EQ(up.query("name"), "ada l");
                                EXPECT_EQ(up.query_params(),
                                          (std::vector<std::pair<std::string, std::string>>{
                                              {"name", "ada l"}, {"n", "1"}}));
                                up.keep_header("X-User");
                              },
                          .open =
                              [](WebSocket& ws) {
                                ws.send(std::string(ws.param("room"))
                                            .append("|")
                                            .append(ws.query("name").value_or("-"))
                                            .append("|")
                                            .append(ws.query())
                                            .append("|")
                                            .append(ws.query_params().at(1).second)
                                            .append("|")
                                            .append(ws.header("x-user"))
                                            .append("|")
                                            .append(ws.header("X-Other")));
                              }});
  app.ws("/rooms/*", {.open = [](WebSocket& ws) { ws.send(ws.param("*")); }});
  app.ws("/plain", {.open = [](WebSocket& ws) {
           ws.send(std::string(ws.param("room")).append(ws.header("X-User")));
         }});
  Server server(app);
  RawClient chat(server.port());
  chat.send(RawClient::upgrade_request("/chat/red%20room?name=ada+l&n=%31",
                                       "X-User: ada\r\nX-Other: not kept\r\n"));
  ASSERT_EQ(chat.read_http_response().status, 101);
  EXPECT_EQ(next_text(chat), "red room|ada l|name=ada+l&n=%31|1|ada|");
  RawClient rooms(server.port());
  rooms.handshake("/rooms/a/b");
  EXPECT_EQ(next_text(rooms), "a/b");
  RawClient plain(server.port());
  plain.send(RawClient::upgrade_request("/plain", "X-User: ada\r\n"));
  ASSERT_EQ(plain.read_http_response().status, 101);
  EXPECT_EQ(next_text(plain), "");
  EXPECT_EQ(try_upgrade(server.port(), "/chat").status, 404);
  EXPECT_EQ(try_upgrade(server.port(), "/chat/%zz").status, 400);
}

// ---- middleware --------------------------------------------------------------------------------

TEST(UpgradeMiddleware, RunsInOrderBeforeTheHookAndMayContinueFromAnotherThread) {
  App app;
  Workers workers;
  std::vector<std::string> order;  // written on the loop thread only
  app.use_ws([&](Upgrade&, Next next) {
    order.push_back("first");
    next();
  });
  app.use_ws([&](Upgrade& up, Next next) {
    order.push_back("second");
    if (up.header("X-Slow").empty()) return next();
    workers.run([next = std::move(next)]() mutable { next(); });
  });
  app.use_ws([&](Upgrade& up, Next next) {
    order.push_back("third");
    if (up.header("X-Block").empty()) return next();
    up.reject(403, "blocked");
    next();  // after a decision: does nothing
  });
  app.ws("/t", {.upgrade = [&](Upgrade&) { order.push_back("hook"); },
                .open =
                    [&](WebSocket& ws) {
                      std::string joined;
                      for (const auto& step : order) joined.append(step).append(" ");
                      order.clear();
                      ws.send(joined);
                    }});
  Server server(app);
  RawClient fast(server.port());
  fast.handshake("/t");
  EXPECT_EQ(next_text(fast), "first second third hook ");
  RawClient slow(server.port());
  slow.send(RawClient::upgrade_request("/t", "X-Slow: 1\r\n"));
  ASSERT_EQ(slow.read_http_response().status, 101);
  EXPECT_EQ(next_text(slow), "first second third hook ");
  EXPECT_EQ(try_upgrade(server.port(), "/t", "X-Block: 1\r\n").status, 403);
}

TEST(UpgradeMiddleware, OriginAllowlistRefusesOtherSitesWith403) {
  App app;
  app.use_ws(middleware::allowed_origins({"https://chat.example"}));
  app.ws("/t", echo());
  Server server(app);
  EXPECT_EQ(try_upgrade(server.port(), "/t", "Origin: https://chat.example\r\n").status, 101);
  const HttpResponse evil = try_upgrade(server.port(), "/t", "Origin: https://evil.example\r\n");
  EXPECT_EQ(evil.status, 403);
  EXPECT_EQ(evil.body, "origin not allowed");
  EXPECT_EQ(try_upgrade(server.port(), "/t").status, 101) << "no Origin: not a browser";
}

TEST(UpgradeMiddleware, OriginAllowlistMayRequireAnOrigin) {
  App app;
  app.use_ws(middleware::allowed_origins({"https://chat.example"}, true));
  app.ws("/t", echo());
  Server server(app);
  EXPECT_EQ(try_upgrade(server.port(), "/t").status, 403);
}

TEST(UpgradeMiddleware, TokenAuthFromHeaderOrQuery) {
  App app;
  app.use_ws(middleware::token_auth({.validate = [](std::string_view token, Upgrade& up) {
    up.keep_header("Authorization");
    return token == "s3cret";
  }}));
  app.ws("/t", {.open = [](WebSocket& ws) { ws.send(ws.header("authorization")); }});
  Server server(app);
  RawClient by_header(server.port());
  by_header.send(RawClient::upgrade_request("/t", "Authorization: Bearer s3cret\r\n"));
  ASSERT_EQ(by_header.read_http_response().status, 101);
  EXPECT_EQ(next_text(by_header), "Bearer s3cret");
  EXPECT_EQ(try_upgrade(server.port(), "/t?token=s3cret").status, 101);
  const HttpResponse wrong = try_upgrade(server.port(), "/t?token=guess");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(wrong.body, "invalid token");
  EXPECT_EQ(try_upgrade(server.port(), "/t").body, "missing token");
}

TEST(UpgradeMiddleware, MaxConnectionsAnswers503WithRetryAfterAndFreesSlotsOnClose) {
  App app({.threads = 2});
  app.use_ws(middleware::max_connections(2, std::chrono::seconds(7)));
  app.ws("/t", echo());
  Server server(app);
  RawClient first(server.port()), second(server.port());
  first.handshake("/t");
  second.handshake("/t");
  const HttpResponse third = try_upgrade(server.port(), "/t");
  EXPECT_EQ(third.status, 503);
  EXPECT_EQ(third.header("Retry-After"), "7");
  first.send_frame(kClose, close_body(1000));
  ASSERT_TRUE(first.read_until_close_frame());  // the server closed it: its slot is free
  RawClient again(server.port());
  again.handshake("/t");
  expect_echo(again);
}

TEST(UpgradeMiddleware, PerIpLimitCountsOpenSocketsOfOneAddress) {
  App app;
  app.use_ws(middleware::max_connections_per_ip(1));
  app.ws("/t", echo());
  Server server(app);
  RawClient first(server.port());
  first.handshake("/t");
  const HttpResponse second = try_upgrade(server.port(), "/t");
  EXPECT_EQ(second.status, 429);
  EXPECT_TRUE(second.header("Retry-After"));
  expect_echo(first);
}

TEST(UpgradeMiddleware, ASlotHeldByARejectedUpgradeIsFreedAtOnce) {
  App app;
  app.use_ws(middleware::max_connections(1));
  app.ws("/t", echo([](Upgrade& up) {
           if (!up.header("X-Refuse").empty()) up.reject(403);
         }));
  Server server(app);
  EXPECT_EQ(try_upgrade(server.port(), "/t", "X-Refuse: 1\r\n").status, 403);
  RawClient client(server.port());
  client.handshake("/t");
  expect_echo(client);
}

// ---- HTTP answered later -----------------------------------------------------------------------

TEST(HttpLater, AnswerFromAnotherThreadKeepsPipelinedOrder) {
  App app;
  Workers workers;
  app.get("/slow", [&](Request& req, Response& res) {
    res.header("X-Kind", "slow");
    const std::string id(req.query());
    workers.run([later = res.defer(), id]() mutable { later.status(202).text("slow " + id); });
  });
  app.get("/fast", [](Request&, Response& res) { res.text("fast"); });
  Server server(app);
  RawClient client(server.port());
  client.send(get("/slow?1") + get("/fast") + get("/slow?2") + get("/fast"));
  const HttpResponse first = client.read_http_response();
  EXPECT_EQ(first.status, 202);
  EXPECT_EQ(first.body, "slow 1");
  EXPECT_EQ(first.header("X-Kind"), "slow");
  EXPECT_EQ(client.read_http_response().body, "fast");
  EXPECT_EQ(client.read_http_response().body, "slow 2");
  EXPECT_EQ(client.read_http_response().body, "fast");
}

TEST(HttpLater, DroppedUndecidedAnswers500) {
  App app;
  app.get("/lost", [](Request&, Response& res) { (void)res.defer(); });
  Server server(app);
  RawClient client(server.port());
  client.send(get("/lost"));
  EXPECT_EQ(client.read_http_response().status, 500);
}

TEST(HttpLater, ClientGoneBeforeTheAnswerBreaksNothing) {
  App app;
  std::promise<DeferredResponse> handed;
  app.get("/slow", [&](Request&, Response& res) { handed.set_value(res.defer()); });
  app.get("/ok", [](Request&, Response& res) { res.text("ok"); });
  Server server(app);
  auto deferral = handed.get_future();
  {
    RawClient client(server.port());
    client.send(get("/slow"));
    deferral.wait();
  }
  // The server notices the client left (its connection count drops to 0).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (app.metrics().connections != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_EQ(app.metrics().connections, 0u);
  DeferredResponse later = deferral.get();
  std::thread([&] { later.text("too late"); }).join();
  RawClient next(server.port());
  next.send(get("/ok"));
  EXPECT_EQ(next.read_http_response().body, "ok");
}

// ---- offload -----------------------------------------------------------------------------------

TEST(Offload, WorkRunsOnAWorkerAndThenBackOnTheCallingLoop) {
  App app({.threads = 2});
  app.get("/where", [&](Request&, Response& res) {
    const auto loop = std::this_thread::get_id();
    app.offload([loop] { return std::this_thread::get_id() != loop; },
                [later = res.defer(), loop](bool worker_elsewhere) mutable {
                  const bool back_home = std::this_thread::get_id() == loop;
                  later.text(std::string(worker_elsewhere ? "worker" : "loop") +
                             (back_home ? " then loop" : " then elsewhere"));
                });
  });
  app.ws("/t", echo([&](Upgrade& up) {
           std::string user(up.header("X-User"));
           app.offload([user] { (void)user; },  // work without a result
                       [later = up.defer(), user]() mutable {
                         if (user == "ada") return later.accept();
                         later.reject(403, user + " is not welcome");
                       });
         }));
  Server server(app);
  RawClient client(server.port());
  client.send(get("/where"));
  EXPECT_EQ(client.read_http_response().body, "worker then loop");
  EXPECT_EQ(try_upgrade(server.port(), "/t", "X-User: ada\r\n").status, 101);
  EXPECT_EQ(try_upgrade(server.port(), "/t", "X-User: eve\r\n").body, "eve is not welcome");
}

TEST(Offload, IsForLoopThreads) {
  App app;
  EXPECT_THROW(app.offload([] {}, [] {}), std::logic_error);
}

TEST(HttpLater, DeferIsOnlyForTheServersResponses) {
  Response mine;
  EXPECT_THROW((void)mine.defer(), std::logic_error);
}

}  // namespace
}  // namespace wisp::test
