// Response serialization (RFC 9112 §4, §6; RFC 9110 §6.6.1, §8.6), entity tags (RFC 9110 §8.8.3,
// §13.1.2), content types, and the public wisp::Response built on them.
#include "protocol/http_response.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "server/http_types.hpp"

namespace wisp::protocol {
namespace {

std::string respond(int status, std::string_view body, ResponseFraming framing = {}) {
  std::string out;
  ResponseWriter(out, status, framing).header("X-A", "1").body(body);
  return out;
}

TEST(HttpResponse, StatusLineHeadersLengthAndBody) {
  EXPECT_EQ(respond(200, "hi"), "HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 2\r\n\r\nhi");
  EXPECT_EQ(respond(404, ""), "HTTP/1.1 404 Not Found\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n");
}

TEST(HttpResponse, DateAndConnectionClose) {
  const ResponseFraming framing{.date = "Sun, 06 Nov 1994 08:49:37 GMT", .close = true};
  EXPECT_EQ(respond(201, "x", framing),
            "HTTP/1.1 201 Created\r\nX-A: 1\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Length: 1\r\nConnection: close\r\n\r\nx");
}

// RFC 9110 §9.3.2: HEAD gets the GET's headers, Content-Length included, without the body.
TEST(HttpResponse, HeadHasTheLengthButNoBody) {
  EXPECT_EQ(respond(200, "hello", {.head = true}),
            "HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 5\r\n\r\n");
}

// RFC 9110 §8.6, §15.3.5, §15.4.5: no Content-Length and no body for 204 and 304.
TEST(HttpResponse, NoContentAndNotModifiedHaveNoLengthOrBody) {
  EXPECT_EQ(respond(204, "ignored"), "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n");
  EXPECT_EQ(respond(304, "ignored"), "HTTP/1.1 304 Not Modified\r\nX-A: 1\r\n\r\n");
}

TEST(HttpResponse, EndHeadForABodySentSeparately) {
  std::string out;
  ResponseWriter file(out, 200);
  file.header("Content-Type", "image/png").end_head(123456789012);
  EXPECT_TRUE(file.sends_body());
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 123456789012\r\n\r\n");
  std::string head_out;
  EXPECT_FALSE(ResponseWriter(head_out, 200, {.head = true}).sends_body());
  std::string not_modified;
  EXPECT_FALSE(ResponseWriter(not_modified, 304).sends_body());
}

TEST(HttpResponse, ContinueInterimResponse) {
  std::string out = "before|";
  append_continue(out);
  EXPECT_EQ(out, "before|HTTP/1.1 100 Continue\r\n\r\n");
}

// RFC 9110 §5.6.7, formatted once per second.
TEST(HttpResponse, DateIsImfFixdate) {
  HttpDate date;
  EXPECT_EQ(date.at(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's example
  const std::string_view first = date.at(0);
  EXPECT_EQ(first, "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(date.at(0).data(), first.data());
  EXPECT_EQ(date.at(1), "Thu, 01 Jan 1970 00:00:01 GMT");
  EXPECT_EQ(date.at(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
}

TEST(HttpResponse, ValidFields) {
  EXPECT_TRUE(is_valid_field("X-Thing", "a value\twith tab and \x80 obs-text"));
  EXPECT_TRUE(is_valid_field("Set-Cookie", ""));
  EXPECT_FALSE(is_valid_field("", "v"));
  EXPECT_FALSE(is_valid_field("Bad Name", "v"));
  EXPECT_FALSE(is_valid_field("X:Y", "v"));
  EXPECT_FALSE(is_valid_field("X", "a\r\nSet-Cookie: evil=1"));
  EXPECT_FALSE(is_valid_field("X", "a\nb"));
  EXPECT_FALSE(is_valid_field("X", std::string_view("a\0b", 3)));
  EXPECT_FALSE(is_valid_field("X", "a\x7f"));
}

// RFC 9110 §8.8.3.2's table.
TEST(HttpResponse, EtagComparison) {
  EXPECT_FALSE(etag_strong_equal("W/\"1\"", "W/\"1\""));
  EXPECT_TRUE(etag_weak_equal("W/\"1\"", "W/\"1\""));
  EXPECT_FALSE(etag_strong_equal("W/\"1\"", "W/\"2\""));
  EXPECT_FALSE(etag_weak_equal("W/\"1\"", "W/\"2\""));
  EXPECT_FALSE(etag_strong_equal("W/\"1\"", "\"1\""));
  EXPECT_TRUE(etag_weak_equal("W/\"1\"", "\"1\""));
  EXPECT_TRUE(etag_strong_equal("\"1\"", "\"1\""));
  EXPECT_TRUE(etag_weak_equal("\"1\"", "\"1\""));
  // Malformed tags equal nothing, themselves included.
  for (std::string_view bad : {"1", "\"1", "w/\"1\"", "\"a b\"", "\"1\"x", ""}) {
    EXPECT_FALSE(etag_weak_equal(bad, bad)) << bad;
    EXPECT_FALSE(etag_strong_equal(bad, bad)) << bad;
  }
}

TEST(HttpResponse, IfNoneMatch) {
  EXPECT_TRUE(if_none_match("\"abc\"", "\"abc\""));
  EXPECT_TRUE(if_none_match("W/\"abc\"", "\"abc\""));  // weak comparison
  EXPECT_TRUE(if_none_match("\"abc\"", "W/\"abc\""));
  EXPECT_TRUE(if_none_match("\"x\", \"y\" ,W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(if_none_match("\"a,b\"", "\"a,b\""));  // a comma inside a tag
  EXPECT_TRUE(if_none_match(" * ", "\"anything\""));
  EXPECT_TRUE(if_none_match(",\"abc\",", "\"abc\""));  // empty list elements
  EXPECT_FALSE(if_none_match("\"abd\"", "\"abc\""));
  EXPECT_FALSE(if_none_match("", "\"abc\""));
  EXPECT_FALSE(if_none_match("abc", "\"abc\""));
  EXPECT_FALSE(if_none_match("\"abc\" \"def\"", "\"abc\""));  // no comma: malformed
  EXPECT_FALSE(if_none_match("\"abc\", junk", "\"abc\""));
  EXPECT_FALSE(if_none_match("*", "not-a-tag"));
}

TEST(HttpResponse, FileEtag) {
  const std::string tag = file_etag(0x1234, 0x5f00);
  EXPECT_EQ(tag, "W/\"5f00-1234\"");
  EXPECT_TRUE(if_none_match(tag, tag));
  EXPECT_FALSE(if_none_match(tag, file_etag(0x1235, 0x5f00)));
}

TEST(HttpResponse, ContentTypes) {
  EXPECT_EQ(content_type_for("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("/a/b/APP.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("m.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("s.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("d.json"), "application/json");
  EXPECT_EQ(content_type_for("i.png"), "image/png");
  EXPECT_EQ(content_type_for("p.jpg"), "image/jpeg");
  EXPECT_EQ(content_type_for("p.jpeg"), "image/jpeg");
  EXPECT_EQ(content_type_for("v.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("favicon.ico"), "image/x-icon");
  EXPECT_EQ(content_type_for("m.wasm"), "application/wasm");
  EXPECT_EQ(content_type_for("r.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(content_type_for("f.woff2"), "font/woff2");
  EXPECT_EQ(content_type_for("app.js.map"), "application/json");
  EXPECT_EQ(content_type_for("Makefile"), "application/octet-stream");
  EXPECT_EQ(content_type_for("dir.html/file"), "application/octet-stream");
  EXPECT_EQ(content_type_for("x.unknown"), "application/octet-stream");
  EXPECT_EQ(content_type_for("trailing."), "application/octet-stream");
}

// wisp::Response: what a handler may set, and how the server writes it.
TEST(PublicResponse, TextAndJsonWithDefaultContentTypes) {
  Response text;
  text.status(201).header("X-Id", "7").text("made");
  EXPECT_TRUE(text.ended());
  std::string out;
  server::append_response(out, text, {.date = "D"});
  EXPECT_EQ(out,
            "HTTP/1.1 201 Created\r\nX-Id: 7\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Date: D\r\nContent-Length: 4\r\n\r\nmade");

  Response json;
  json.json(R"({"a":1})");
  out.clear();
  server::append_response(out, json, {.head = true, .close = true});
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n"
            "Connection: close\r\n\r\n");
}

TEST(PublicResponse, OwnContentTypeIsKept) {
  Response r;
  r.header("content-type", "text/html").text("<p>");
  ASSERT_EQ(r.headers().size(), 1u);
  EXPECT_EQ(r.headers()[0].second, "text/html");
  EXPECT_EQ(r.body(), "<p>");
}

TEST(PublicResponse, Errors) {
  Response r;
  EXPECT_THROW(r.status(199), std::invalid_argument);
  EXPECT_THROW(r.status(101), std::invalid_argument);
  EXPECT_THROW(r.status(600), std::invalid_argument);
  EXPECT_THROW(r.header("X", "a\r\nInjected: 1"), std::invalid_argument);
  EXPECT_THROW(r.header("Bad Name", "v"), std::invalid_argument);
  for (std::string_view reserved : {"Content-Length", "transfer-encoding", "Connection", "Date"}) {
    EXPECT_THROW(r.header(reserved, "1"), std::invalid_argument) << reserved;
  }
  EXPECT_TRUE(r.headers().empty());
  EXPECT_EQ(r.status(), 200);
  r.status(599).text("x");
  EXPECT_THROW(r.text("again"), std::logic_error);
  EXPECT_THROW(r.json("{}"), std::logic_error);
  EXPECT_THROW(r.status(200), std::logic_error);
  EXPECT_THROW(r.header("X", "y"), std::logic_error);
  EXPECT_EQ(r.status(), 599);
}

}  // namespace
}  // namespace wisp::protocol
