// Incremental HTTP/1.1 request-body reader (RFC 9112 §6-§7), sans-I/O.
//
// After HttpRequestParser completes a head, start() learns how its body is framed (Content-Length,
// chunked, or no body) and feed() takes the bytes that follow the head, split anywhere. feed() says
// when the body is complete and how many input bytes it used: the rest is the next pipelined
// request. Content-Length bodies come out as views into the input (no copy); chunked bodies are
// decoded onto a string the caller provides. Chunk extensions are checked and ignored; trailer
// fields are checked, bounded and ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/http_request.hpp"

namespace wisp::protocol {

struct BodyLimits {
  std::uint64_t max_body_size = 1024 * 1024;  // body bytes (decoded, if chunked); over: 413
  std::size_t max_chunk_line = 4096;          // one chunk-size line with extensions; over: 400
  std::size_t max_trailer_bytes = 8 * 1024;   // the trailer section with its CRLFs; over: 431
};

class HttpBodyReader {
 public:
  enum class Status { Incomplete, Complete, Error };
  struct Result {
    Status status;
    std::size_t consumed;   // bytes of this call's input that belong to the body, framing included
    std::string_view data;  // Content-Length bodies: this input's body bytes, a view into it
  };

  // Begins the body of `request`, a head HttpRequestParser completed (so its Content-Length and
  // Transfer-Encoding were already checked). Complete: the request has no body. Incomplete: feed
  // the bytes after the head. Error, known before any body byte is read (answer at once, and
  // without "100 Continue"): 413 for a Content-Length over max_body_size, 501 for a transfer
  // coding other than chunked alone. `request` is not kept.
  Status start(const HttpRequest& request, BodyLimits limits = {});

  // Feeds the next bytes. Content-Length: the body bytes are in `data`; `chunked_body` is unused.
  // Chunked: the decoded bytes are appended to `chunked_body` and `data` is empty.
  // Incomplete: all of `input` was used, feed more. Complete: the input after `consumed` bytes is
  // not part of the body. Error: error_status() and error_reason() say why (400 for malformed
  // chunked framing, 413 over max_body_size, 431 over max_trailer_bytes); consumed is 0 and the
  // reader stays in error until start(). Before start() and after Complete, feed() returns
  // Complete with nothing consumed.
  Result feed(std::string_view input, std::string& chunked_body);

  bool chunked() const { return chunked_; }
  std::uint64_t size() const { return received_; }  // body bytes delivered so far
  int error_status() const { return error_status_; }
  std::string_view error_reason() const { return error_reason_; }  // one line of plain text

 private:
  // The chunked states in wire order. The ranges [Size0, LineLf] (the chunk-size line) and
  // [TrailerStart, EndLf] (the trailer section) are each bounded by a limit.
  enum class State : std::uint8_t {
    Done,
    Length,  // Content-Length body
    Size0,   // chunk-size: first hex digit
    Size,
    ExtBws,      // BWS, then ';'
    ExtName0,    // BWS, then a chunk-ext-name
    ExtName,     // in the name
    ExtNameBws,  // BWS after the name, then '=' or ';'
    ExtValue0,   // BWS, then a token or a quoted-string
    ExtToken,
    ExtQuoted,
    ExtEscape,     // after '\' in a quoted-string
    ExtQuotedEnd,  // after the closing quote
    LineLf,        // CR seen, LF due
    Data,
    DataCr,
    DataLf,
    TrailerStart,  // a field line or the final CRLF
    TrailerName,
    TrailerValue,
    TrailerLf,
    EndLf,
    Failed,
  };

  Result feed_length(std::string_view input);
  Result feed_chunked(std::string_view input, std::string& out);
  std::size_t copy_data(std::string_view input, std::string& out);
  bool step(char c);
  bool step_size(char c);
  bool step_extension(char c);
  bool end_of_item(char c);
  bool step_line_end(char c);
  bool step_trailer(char c);
  bool go(State next);  // moves to `next`; true, for `return go(...)` from the steps
  bool fail(int status, std::string_view reason);

  BodyLimits limits_;
  State state_ = State::Done;
  bool chunked_ = false;
  std::uint64_t remaining_ = 0;  // Content-Length: body bytes to come; chunked: of this chunk
  std::uint64_t received_ = 0;
  std::size_t line_bytes_ = 0;  // of the chunk-size line, or of the trailer section
  int error_status_ = 0;
  std::string_view error_reason_;
};

// True if the client waits for "100 Continue" before it sends the body (RFC 9110 §10.1.1): an
// HTTP/1.1 request with "Expect: 100-continue". Send it only when about to read the body; a final
// response instead (such as 413) is also allowed; then the body is still coming, so read and drop
// it or close the connection.
bool expects_continue(const HttpRequest& request);

}  // namespace wisp::protocol
