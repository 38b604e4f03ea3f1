// HTTP/1.1 responses, sans-I/O: serialization (RFC 9112 §4, §6; RFC 9110 §6.6.1, §8.6), the
// "100 Continue" interim response, entity tags and If-None-Match (RFC 9110 §8.8.3, §13.1.2), and
// content types by file extension. The caller supplies the time, so nothing here reads a clock.
#pragma once

#include <array>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

namespace wisp::protocol {

// The Date header's value (IMF-fixdate, RFC 9110 §5.6.7: "Sun, 06 Nov 1994 08:49:37 GMT"),
// formatted again only when the second changes. One per event loop: not thread-safe.
class HttpDate {
 public:
  // The date for `now` (seconds since the epoch); valid until the next call.
  std::string_view at(std::time_t now);

 private:
  std::time_t second_ = -1;
  std::array<char, 29> text_{};
};

struct ResponseFraming {
  std::string_view date{};  // the Date value (HttpDate::at); no Date header if empty
  bool head = false;        // answering HEAD: the headers a GET would get, without the body
  bool close = false;       // adds "Connection: close": the connection ends after this response
};

// Writes one response onto a string: the constructor writes the status line, header() the
// caller's fields, and body() or end_head() the framing fields and the blank line.
class ResponseWriter {
 public:
  // Appends "HTTP/1.1 <status> <reason phrase>". `status` is in 100..599.
  ResponseWriter(std::string& out, int status, ResponseFraming framing = {});

  // Appends "name: value". The caller checked the field with is_valid_field(), and leaves
  // Content-Length, Transfer-Encoding, Connection and Date to body() or end_head().
  ResponseWriter& header(std::string_view name, std::string_view value);

  // Ends the head (Date, Content-Length, Connection: close) and appends `body`. For HEAD the
  // Content-Length is the body's size but the body is left out; 1xx, 204 and 304 responses have
  // neither (RFC 9110 §8.6, §15.3.5, §15.4.5), so their `body` is ignored.
  void body(std::string_view body);

  // Ends the head of a body the caller sends itself (a file) of `length` bytes; send them only
  // if sends_body().
  void end_head(std::uint64_t length);

  // False for HEAD and for 1xx, 204 and 304: then no body bytes may follow the head.
  bool sends_body() const;

 private:
  bool has_content() const;

  std::string& out_;
  int status_;
  ResponseFraming framing_;
};

// Appends "HTTP/1.1 100 Continue" and the blank line (RFC 9110 §15.2.1): the client that sent
// "Expect: 100-continue" may now send its body. The final response follows later.
void append_continue(std::string& out);

// True if `name` is a token and `value` holds only field characters (RFC 9110 §5.5): no CR, LF,
// NUL or other control characters but HTAB, any of which could end the line and let the rest of
// the value smuggle in fields or a whole second response.
bool is_valid_field(std::string_view name, std::string_view value);

// Entity tags as sent: "\"xyz\"" (strong) or "W/\"xyz\"" (weak). A malformed tag equals nothing.
// Strong comparison: both strong with the same opaque-tag. Weak: the same opaque-tag, W/ or not.
bool etag_strong_equal(std::string_view a, std::string_view b);
bool etag_weak_equal(std::string_view a, std::string_view b);

// True if an If-None-Match value matches the current `etag` (weak comparison, RFC 9110
// §13.1.2): a GET or HEAD then gets 304 Not Modified. "*" matches any etag. An empty or
// malformed value matches nothing, so the full response is sent.
bool if_none_match(std::string_view header_value, std::string_view etag);

// A weak entity tag for a file from its size and modification time, W/"<mtime>-<size>" in hex:
// weak, because equal size and time do not prove equal bytes.
std::string file_etag(std::uint64_t size, std::int64_t mtime_ns);

// The Content-Type for a file name by its extension, case-insensitive ("a/b.HTML" ->
// "text/html; charset=utf-8"); "application/octet-stream" when unknown or absent.
std::string_view content_type_for(std::string_view path);

}  // namespace wisp::protocol
