// Incremental HTTP/1.1 request-head parser (RFC 9112 §2-§5), sans-I/O.
//
// feed() takes bytes as they arrive, split anywhere (down to one byte a call). When the head is
// complete, request() views the parsed head; bytes after the head are not consumed and belong to
// the caller (a body, or WebSocket frames after an upgrade request).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace wisp::protocol {

struct HttpLimits {
  std::size_t max_header_bytes = 16 * 1024;  // request line + headers + blank line; over: 431
  std::size_t max_headers = 64;              // header fields; over: 431
};

struct HttpHeader {
  std::string_view name;   // as sent; compare case-insensitively
  std::string_view value;  // leading and trailing whitespace removed
};

// The header fields of a request or a response head, with their lookups.
struct HttpFields {
  std::vector<HttpHeader> headers;

  // The value of the first header named `name` (case-insensitive), or an empty view if absent.
  std::string_view header(std::string_view name) const;
  // How many header fields are named `name`.
  std::size_t header_count(std::string_view name) const;
  // True if some header `name` holds `token` in its comma-separated list (case-insensitive),
  // e.g. has_token("connection", "upgrade") for "Connection: keep-alive, Upgrade".
  bool has_token(std::string_view name, std::string_view token) const;
};

struct HttpRequest : HttpFields {
  std::string_view method;  // e.g. "GET"
  std::string_view target;  // request-target as sent, e.g. "/chat?room=1"
  std::string_view path;    // target up to '?'
  std::string_view query;   // after '?', without it; empty if none
  int version_minor = 1;    // HTTP/1.<minor>
};

class HttpRequestParser {
 public:
  enum class Status { Incomplete, Complete, Error };
  struct Result {
    Status status;
    std::size_t consumed;  // bytes of this call's input that belong to the head
  };

  explicit HttpRequestParser(HttpLimits limits = {});

  // Feeds the next bytes. Incomplete: all of `data` was taken (copied as needed), call again.
  // Complete: request() is valid until the next feed() or reset(); the input after `consumed`
  // bytes is not part of the head. A feed() after Complete starts the next request (pipelining).
  // Error: error_status() and error_reason() say why; the parser stays in error until reset().
  // When a whole head arrives in the first feed(), request() views point into that feed's data
  // (no copy), so the caller must keep it alive while it uses request().
  Result feed(std::string_view data);

  const HttpRequest& request() const { return request_; }
  int error_status() const { return error_status_; }               // 400, 431 or 505
  std::string_view error_reason() const { return error_reason_; }  // one line of plain text
  void reset();

 private:
  Result feed_in_place(std::string_view data);
  Result feed_buffered(std::string_view data);
  Status scan(std::string_view head);
  bool parse(std::string_view head);
  bool parse_request_line(std::string_view line);
  bool parse_header_line(std::string_view line);
  bool check_fields();
  bool fail(int status, std::string_view reason);

  HttpLimits limits_;
  std::string buffer_;  // only used when the head arrives in more than one piece
  // Offsets into the head so far (the caller's data, or buffer_), kept across feeds.
  std::size_t scanned_ = 0;     // bytes already searched for line ends
  std::size_t line_start_ = 0;  // first byte of the line being scanned
  std::size_t head_start_ = 0;  // first byte of the request line (after ignored empty lines)
  std::size_t head_end_ = 0;    // one past the blank line ending the head, once found
  std::size_t lines_ = 0;       // non-empty lines seen: the request line and the header lines
  bool complete_ = false;
  HttpRequest request_;
  int error_status_ = 0;
  std::string_view error_reason_;
};

// Compares ASCII case-insensitively.
bool iequals(std::string_view a, std::string_view b);

}  // namespace wisp::protocol
