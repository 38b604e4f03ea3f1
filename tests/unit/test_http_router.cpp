// HttpRouter and RouteTable: patterns, precedence, parameters and percent-decoding, 405 with
// Allow; query parsing; and the public wisp::Request over a parsed head and a match.
#include "server/http_router.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "protocol/http_request.hpp"
#include "server/http_types.hpp"
#include "wisp/http.hpp"

namespace wisp::server {
namespace {

using Router = HttpRouter<std::string>;  // each route's "handler" is its name

struct Result {
  RouteStatus status;
  std::string route;  // the handler's name when Found
};

Result route(const Router& router, std::string_view method, std::string_view path,
             RouteParams& params) {
  const auto m = router.match(method, path, params);
  return {m.status, m.handler ? *m.handler : std::string()};
}

Router sample() {
  Router r;
  r.add("GET", "/static/*", "static");
  r.add("GET", "/users/{id}", "user");
  r.add("GET", "/users/me", "me");
  r.add("GET", "/chat/{room}/messages", "messages");
  r.add("POST", "/chat/{room}/messages", "post message");
  r.add("GET", "/api/rooms", "rooms");
  r.add("DELETE", "/api/rooms", "delete rooms");
  r.add("GET", "/*", "fallback");
  return r;
}

TEST(HttpRouter, ExactParamsAndWildcard) {
  const Router r = sample();
  RouteParams p;
  EXPECT_EQ(route(r, "GET", "/api/rooms", p).route, "rooms");
  EXPECT_EQ(route(r, "DELETE", "/api/rooms", p).route, "delete rooms");
  EXPECT_EQ(route(r, "GET", "/users/42", p).route, "user");
  EXPECT_EQ(p.get("id"), "42");
  EXPECT_EQ(route(r, "POST", "/chat/lobby/messages", p).route, "post message");
  EXPECT_EQ(p.get("room"), "lobby");
  EXPECT_EQ(route(r, "GET", "/static/css/site.css", p).route, "static");
  EXPECT_EQ(p.get("*"), "css/site.css");
  ASSERT_EQ(p.all().size(), 1u);
  EXPECT_EQ(p.all()[0].name, "*");
}

// Exact beats params beats wildcard, whatever the registration order.
TEST(HttpRouter, Precedence) {
  const Router r = sample();
  RouteParams p;
  EXPECT_EQ(route(r, "GET", "/users/me", p).route, "me");  // registered after /users/{id}
  EXPECT_TRUE(p.all().empty());
  EXPECT_EQ(route(r, "GET", "/users/you", p).route, "user");
  EXPECT_EQ(route(r, "GET", "/other", p).route, "fallback");
  EXPECT_EQ(p.get("*"), "other");
  EXPECT_EQ(route(r, "GET", "/users/1/extra", p).route, "fallback");
  EXPECT_EQ(route(r, "GET", "/static", p).route, "static");
  EXPECT_EQ(p.get("*"), "");
  EXPECT_EQ(route(r, "GET", "/static/", p).route, "static");
  EXPECT_EQ(route(r, "GET", "/staticfile", p).route, "fallback");
  EXPECT_EQ(route(r, "GET", "/", p).route, "fallback");
}

// Within a kind, the route registered first wins.
TEST(HttpRouter, RegistrationOrderWithinAKind) {
  Router r;
  r.add("GET", "/a/{x}", "first");
  r.add("GET", "/{y}/b", "second");
  r.add("GET", "/files/*", "files");
  r.add("GET", "/files/img/*", "images");
  r.add("GET", "/files/{name}", "one file");  // params, though registered after the wildcards
  RouteParams p;
  EXPECT_EQ(route(r, "GET", "/files/x", p).route, "one file");
  EXPECT_EQ(route(r, "GET", "/a/b", p).route, "first");
  EXPECT_EQ(route(r, "GET", "/z/b", p).route, "second");
  EXPECT_EQ(route(r, "GET", "/files/img/x.png", p).route, "files");
}

// A parameter is a whole, non-empty segment.
TEST(HttpRouter, ParametersAreWholeSegments) {
  Router r;
  r.add("GET", "/users/{id}", "user");
  r.add("GET", "/{a}/{b}/{c}", "three");
  r.add("GET", "/rooms/{room}/*", "room files");
  RouteParams p;
  EXPECT_EQ(route(r, "GET", "/users/", p).status, RouteStatus::NotFound);
  EXPECT_EQ(route(r, "GET", "/users", p).status, RouteStatus::NotFound);
  EXPECT_EQ(route(r, "GET", "/users/1/", p).status, RouteStatus::NotFound);
  EXPECT_EQ(route(r, "GET", "/x/y/z", p).route, "three");
  EXPECT_EQ(p.get("a"), "x");
  EXPECT_EQ(p.get("b"), "y");
  EXPECT_EQ(p.get("c"), "z");
  EXPECT_EQ(p.get("d"), "");
  EXPECT_EQ(route(r, "GET", "/x//z", p).status, RouteStatus::NotFound);
  EXPECT_EQ(route(r, "GET", "/rooms/r1/a/b", p).route, "room files");
  EXPECT_EQ(p.get("room"), "r1");
  EXPECT_EQ(p.get("*"), "a/b");
}

// Parameters are decoded after the path is split, so an encoded '/' stays inside one.
TEST(HttpRouter, PercentDecodedParameters) {
  const Router r = sample();
  RouteParams p;
  EXPECT_EQ(route(r, "GET", "/users/a%20b%2Fc%e2%82%AC", p).route, "user");
  EXPECT_EQ(p.get("id"), "a b/c\xe2\x82\xac");
  EXPECT_EQ(route(r, "GET", "/users/a+b", p).route, "user");
  EXPECT_EQ(p.get("id"), "a+b");  // '+' is a space only in queries
  EXPECT_EQ(route(r, "GET", "/static/my%20dir/f.txt", p).route, "static");
  EXPECT_EQ(p.get("*"), "my dir/f.txt");
  EXPECT_EQ(route(r, "GET", "/chat/r%31/messages", p).route, "messages");
  EXPECT_EQ(p.get("room"), "r1");
  // Literal segments compare as sent.
  EXPECT_EQ(route(r, "GET", "/api/room%73", p).route, "fallback");
}

TEST(HttpRouter, InvalidPercentEncodingIs400) {
  const Router r = sample();
  RouteParams p;
  for (std::string_view path : {"/users/%", "/users/%2", "/users/%zz", "/users/a%2g", "/x%"}) {
    EXPECT_EQ(route(r, "GET", path, p).status, RouteStatus::BadRequest) << path;
  }
}

// The decoded values stay valid through several decoded parameters (the buffer never moves).
TEST(HttpRouter, ManyDecodedParametersStayValid) {
  Router r;
  r.add("GET", "/{a}/{b}/{c}/{d}/*", "deep");
  RouteParams p;
  std::string path;
  for (char c : std::string_view("abcd")) path.append("/").append(20, c).append("%20");
  path += "/%45/%46";
  ASSERT_EQ(route(r, "GET", path, p).route, "deep");
  EXPECT_EQ(p.get("a"), std::string(20, 'a') + " ");
  EXPECT_EQ(p.get("b"), std::string(20, 'b') + " ");
  EXPECT_EQ(p.get("c"), std::string(20, 'c') + " ");
  EXPECT_EQ(p.get("d"), std::string(20, 'd') + " ");
  EXPECT_EQ(p.get("*"), "E/F");
}

// RFC 9110 §15.5.6: 405 with the methods the path allows; HEAD wherever GET is.
TEST(HttpRouter, MethodNotAllowedWithAllow) {
  const Router r = sample();
  RouteParams p;
  EXPECT_EQ(route(r, "PUT", "/api/rooms", p).status, RouteStatus::MethodNotAllowed);
  EXPECT_EQ(r.allow("/api/rooms"), "GET, HEAD, DELETE");
  EXPECT_EQ(route(r, "PUT", "/chat/x/messages", p).status, RouteStatus::MethodNotAllowed);
  EXPECT_EQ(r.allow("/chat/x/messages"), "GET, HEAD, POST");
  EXPECT_EQ(r.allow("/nothing/here/at/all"), "GET, HEAD");  // the fallback

  Router posts;
  posts.add("POST", "/a", "a");
  posts.add("PUT", "/{x}", "x");
  posts.add("HEAD", "/a", "head a");
  EXPECT_EQ(route(posts, "GET", "/a", p).status, RouteStatus::MethodNotAllowed);
  EXPECT_EQ(posts.allow("/a"), "POST, PUT, HEAD");
  EXPECT_EQ(route(posts, "GET", "/zzz/y", p).status, RouteStatus::NotFound);
  EXPECT_EQ(posts.allow("/zzz/y"), "");
}

// A method without a route at a better pattern falls through to a worse one that has it.
TEST(HttpRouter, MethodFallsThroughToALaterPattern) {
  Router r;
  r.add("POST", "/a", "post a");
  r.add("GET", "/{x}", "get x");
  RouteParams p;
  EXPECT_EQ(route(r, "GET", "/a", p).route, "get x");
  EXPECT_EQ(p.get("x"), "a");
}

TEST(HttpRouter, HeadIsServedByGetUnlessItHasItsOwnRoute) {
  Router r;
  r.add("GET", "/a", "get a");
  r.add("GET", "/b", "get b");
  r.add("HEAD", "/b", "head b");
  RouteParams p;
  EXPECT_EQ(route(r, "HEAD", "/a", p).route, "get a");
  EXPECT_EQ(route(r, "HEAD", "/b", p).route, "head b");
  EXPECT_EQ(route(r, "GET", "/b", p).route, "get b");
  EXPECT_EQ(route(r, "get", "/a", p).status, RouteStatus::MethodNotAllowed);  // case-sensitive
}

TEST(HttpRouter, AnyMethodMatchForWebSocketRoutes) {
  const Router r = sample();
  RouteParams p;
  const auto m = r.match("/chat/lobby/messages", p);
  ASSERT_EQ(m.status, RouteStatus::Found);
  EXPECT_EQ(*m.handler, "messages");  // registered first of the two
  EXPECT_EQ(p.get("room"), "lobby");
  EXPECT_EQ(r.match("/users/%zz", p).status, RouteStatus::BadRequest);
  Router empty;
  EXPECT_EQ(empty.match("/", p).status, RouteStatus::NotFound);
  EXPECT_EQ(empty.match("/", p).handler, nullptr);
}

TEST(HttpRouter, InvalidPatternsThrow) {
  Router r;
  for (std::string_view bad :
       {"", "users", "/a/*/b", "/a*", "/a/b*", "/{}", "/{a-b}", "/x{id}", "/{id}x", "/{id}/{id}",
        "/a b", "/a?b", "/a#b", "/{id", "/id}", "/caf\xc3\xa9"}) {
    EXPECT_THROW(r.add("GET", bad, "x"), std::invalid_argument) << bad;
  }
  EXPECT_THROW(r.add("", "/a", "x"), std::invalid_argument);
  EXPECT_THROW(r.add("GE T", "/a", "x"), std::invalid_argument);
  RouteParams p;
  EXPECT_EQ(r.match("/a", p).status, RouteStatus::NotFound);  // nothing was added
}

TEST(HttpRouter, DuplicateRoutesThrow) {
  Router r;
  r.add("GET", "/users/{id}", "a");
  r.add("GET", "/static/*", "b");
  r.add("GET", "/x", "c");
  EXPECT_THROW(r.add("GET", "/users/{name}", "dup"), std::invalid_argument);  // same shape
  EXPECT_THROW(r.add("GET", "/static/*", "dup"), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "/x", "dup"), std::invalid_argument);
  r.add("POST", "/users/{id}", "other method");
  r.add("GET", "/users/{id}/*", "longer");
  RouteParams p;
  EXPECT_EQ(route(r, "GET", "/users/1", p).route, "a");  // the failed adds left no trace
  EXPECT_EQ(route(r, "POST", "/users/1", p).route, "other method");
  EXPECT_EQ(route(r, "GET", "/users/1/2", p).route, "longer");
  EXPECT_EQ(route(r, "GET", "/x", p).route, "c");
}

TEST(HttpRouter, HandlersKeepTheirAddressAsRoutesAreAdded) {
  HttpRouter<std::function<int()>> r;
  r.add("GET", "/first", [] { return 1; });
  RouteParams p;
  const auto* first = r.match("GET", "/first", p).handler;
  for (int i = 0; i < 100; ++i) r.add("GET", "/r" + std::to_string(i), [i] { return i; });
  EXPECT_EQ(r.match("GET", "/first", p).handler, first);
  EXPECT_EQ((*first)(), 1);
  EXPECT_EQ((*r.match("GET", "/r57", p).handler)(), 57);
}

// Requests are the server's to make (detail::RequestAccess); users only read them.
static_assert(!std::is_constructible_v<Request, const protocol::HttpRequest&, const RouteParams&,
                                       std::string_view, int>);

TEST(Query, ParseQuery) {
  const auto q = parse_query("a=1&b=%20x&c&&d=x+y%2Bz&=v&e=%zz%4&f=a=b");
  ASSERT_EQ(q.size(), 7u);
  const std::pair<std::string, std::string> expected[] = {
      {"a", "1"}, {"b", " x"}, {"c", ""}, {"d", "x y+z"}, {"", "v"}, {"e", "%zz%4"}, {"f", "a=b"}};
  for (std::size_t i = 0; i < q.size(); ++i) EXPECT_EQ(q[i], expected[i]) << i;
  EXPECT_TRUE(parse_query("").empty());
  EXPECT_TRUE(parse_query("&&").empty());
}

TEST(Query, QueryValue) {
  EXPECT_EQ(query_value("a=1&b=2&a=3", "a"), "1");
  EXPECT_EQ(query_value("a=1&b=2", "b"), "2");
  EXPECT_EQ(query_value("a%5B%5D=x&c", "a[]"), "x");
  EXPECT_EQ(query_value("c&d=", "c"), "");
  EXPECT_EQ(query_value("q=hello+world%21", "q"), "hello world!");
  EXPECT_EQ(query_value("a=1", "b"), std::nullopt);
  EXPECT_EQ(query_value("", "a"), std::nullopt);
}

TEST(Query, PercentDecode) {
  std::string out;
  EXPECT_TRUE(percent_decode("a%2fb%2F+%00", out));
  EXPECT_EQ(out, std::string("a/b/+\0", 6));
  for (std::string_view bad : {"%", "%1", "%g0", "a%"}) {
    std::string scratch;
    EXPECT_FALSE(percent_decode(bad, scratch)) << bad;
  }
}

// wisp::Request: the parsed head, the route's parameters and the body, as a handler sees them.
TEST(PublicRequest, Accessors) {
  protocol::HttpRequestParser parser;
  const std::string head =
      "POST /chat/my%20room/messages?since=10&q=a+b HTTP/1.1\r\nHost: h\r\n"
      "X-Token: secret\r\nContent-Length: 2\r\n\r\n";
  ASSERT_EQ(parser.feed(head).status, protocol::HttpRequestParser::Status::Complete);
  const Router r = sample();
  RouteParams params;
  ASSERT_EQ(route(r, parser.request().method, parser.request().path, params).route, "post message");
  const Request req = wisp::detail::RequestAccess::make(parser.request(), params, "hi");
  EXPECT_EQ(req.method(), "POST");
  EXPECT_EQ(req.path(), "/chat/my%20room/messages");
  EXPECT_EQ(req.query(), "since=10&q=a+b");
  EXPECT_EQ(req.header("x-token"), "secret");
  EXPECT_EQ(req.header("missing"), "");
  EXPECT_EQ(req.param("room"), "my room");
  EXPECT_EQ(req.param("nope"), "");
  EXPECT_EQ(req.query("q"), "a b");
  EXPECT_EQ(req.query("since"), "10");
  EXPECT_EQ(req.query("until"), std::nullopt);
  EXPECT_EQ(req.body(), "hi");
}

}  // namespace
}  // namespace wisp::server
