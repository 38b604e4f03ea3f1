#include "protocol/http_body.hpp"

#include <algorithm>
#include <charconv>

#include "protocol/http_chars.hpp"

namespace wisp::protocol {
namespace {

using Status = HttpBodyReader::Status;

// True if the Transfer-Encoding fields, all of them together, list exactly one coding: chunked.
// The head parser only checked that chunked comes last; other codings are not implemented here.
bool only_chunked(const HttpRequest& request) {
  std::size_t codings = 0;
  for (const HttpHeader& h : request.headers) {
    if (!iequals(h.name, "transfer-encoding")) continue;
    std::string_view rest = h.value;
    while (true) {
      const std::size_t comma = rest.find(',');
      const std::string_view coding = trim_ows(rest.substr(0, comma));
      // RFC 9110 §5.6.1.2: empty list elements are allowed and do not count.
      if (!coding.empty() && (++codings > 1 || !iequals(coding, "chunked"))) return false;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return codings == 1;
}

// qdtext and the character after '\' (RFC 9110 §5.6.4): field characters but for '"' and '\'.
bool is_qdtext(char c) { return is_field_char(c) && c != '"' && c != '\\'; }

}  // namespace

HttpBodyReader::Status HttpBodyReader::start(const HttpRequest& request, BodyLimits limits) {
  *this = HttpBodyReader();
  limits_ = limits;
  if (request.header_count("transfer-encoding") > 0) {
    if (!only_chunked(request)) {
      fail(501, "transfer coding other than chunked is not implemented");
      return Status::Error;
    }
    chunked_ = true;
    state_ = State::Size0;
    return Status::Incomplete;
  }
  // The parser accepted only digits that fit in 64 bits, and equal values if repeated. With no
  // Content-Length, from_chars fails on the empty view and leaves remaining_ at 0: no body.
  const std::string_view length = request.header("content-length");
  std::from_chars(length.data(), length.data() + length.size(), remaining_);
  if (remaining_ > limits_.max_body_size) {
    fail(413, "Content-Length over max_body_size");
    return Status::Error;
  }
  state_ = remaining_ == 0 ? State::Done : State::Length;
  return remaining_ == 0 ? Status::Complete : Status::Incomplete;
}

HttpBodyReader::Result HttpBodyReader::feed(std::string_view input, std::string& chunked_body) {
  switch (state_) {
    case State::Failed:
      return {Status::Error, 0, {}};
    case State::Done:
      return {Status::Complete, 0, {}};
    case State::Length:
      return feed_length(input);
    default:
      return feed_chunked(input, chunked_body);
  }
}

HttpBodyReader::Result HttpBodyReader::feed_length(std::string_view input) {
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size()));
  remaining_ -= n;
  received_ += n;
  if (remaining_ == 0) state_ = State::Done;
  return {remaining_ == 0 ? Status::Complete : Status::Incomplete, n, input.substr(0, n)};
}

// Framing is read a byte at a time (it is short and bounded); chunk data is copied in one piece.
HttpBodyReader::Result HttpBodyReader::feed_chunked(std::string_view input, std::string& out) {
  std::size_t i = 0;
  while (i < input.size() && state_ != State::Done) {
    if (state_ == State::Data) {
      i += copy_data(input.substr(i), out);
    } else if (!step(input[i++])) {
      return {Status::Error, 0, {}};
    }
  }
  return {state_ == State::Done ? Status::Complete : Status::Incomplete, i, {}};
}

std::size_t HttpBodyReader::copy_data(std::string_view input, std::string& out) {
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size()));
  out.append(input.substr(0, n));
  remaining_ -= n;
  received_ += n;
  if (remaining_ == 0) state_ = State::DataCr;
  return n;
}

bool HttpBodyReader::step(char c) {
  if (state_ >= State::Size0 && state_ <= State::LineLf && ++line_bytes_ > limits_.max_chunk_line) {
    return fail(400, "chunk-size line too long");
  }
  if (state_ >= State::TrailerStart && state_ <= State::EndLf &&
      ++line_bytes_ > limits_.max_trailer_bytes) {
    return fail(431, "trailer section too large");
  }
  if (c == '\n' && state_ != State::LineLf && state_ != State::DataLf &&
      state_ != State::TrailerLf && state_ != State::EndLf) {
    return fail(400, state_ == State::DataCr ? "chunk data not followed by CRLF"
                                             : "line ends in bare LF instead of CRLF");
  }
  if (state_ <= State::Size) return step_size(c);
  if (state_ <= State::ExtQuotedEnd) return step_extension(c);
  if (state_ <= State::DataLf) return step_line_end(c);
  return step_trailer(c);
}

bool HttpBodyReader::step_size(char c) {
  const int digit = hex_value(c);
  if (digit < 0) {
    if (state_ == State::Size0) return fail(400, "chunk size is not hexadecimal");
    return end_of_item(c);
  }
  // Refuse a size over the room left before it can overflow: the room fits in 64 bits.
  const std::uint64_t room = limits_.max_body_size - received_;
  if (room < static_cast<std::uint64_t>(digit) || remaining_ > (room - digit) / 16) {
    return fail(413, "chunked body over max_body_size");
  }
  remaining_ = remaining_ * 16 + digit;
  state_ = State::Size;
  return true;
}

// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ) (RFC 9112 §7.1.1).
bool HttpBodyReader::step_extension(char c) {
  const bool ws = is_ows(c);
  switch (state_) {
    case State::ExtBws:
      if (ws) return true;
      if (c == ';') return go(State::ExtName0);
      break;
    case State::ExtName0:
      if (ws) return true;
      if (is_tchar(c)) return go(State::ExtName);
      break;
    case State::ExtName:
      if (is_tchar(c)) return true;
      if (c == '=') return go(State::ExtValue0);
      if (ws) return go(State::ExtNameBws);
      return end_of_item(c);
    case State::ExtNameBws:
      if (ws) return true;
      if (c == '=') return go(State::ExtValue0);
      if (c == ';') return go(State::ExtName0);
      break;
    case State::ExtValue0:
      if (ws) return true;
      if (c == '"') return go(State::ExtQuoted);
      if (is_tchar(c)) return go(State::ExtToken);
      break;
    case State::ExtToken:
      if (is_tchar(c)) return true;
      return end_of_item(c);
    case State::ExtQuoted:
      if (c == '"') return go(State::ExtQuotedEnd);
      if (c == '\\') return go(State::ExtEscape);
      if (is_qdtext(c)) return true;
      break;
    case State::ExtEscape:
      if (is_field_char(c)) return go(State::ExtQuoted);
      break;
    default:  // ExtQuotedEnd
      return end_of_item(c);
  }
  return fail(400, "invalid chunk extension");
}

// After a chunk size, extension name or value: more extensions, or the end of the line. Trailing
// whitespace before CRLF is not in the grammar, so BWS must lead to ';'.
bool HttpBodyReader::end_of_item(char c) {
  if (is_ows(c)) return go(State::ExtBws);
  if (c == ';') return go(State::ExtName0);
  if (c == '\r') return go(State::LineLf);
  return fail(400,
              state_ == State::Size ? "chunk size is not hexadecimal" : "invalid chunk extension");
}

bool HttpBodyReader::step_line_end(char c) {
  switch (state_) {
    case State::LineLf:
      if (c != '\n') return fail(400, "chunk-size line ends in bare CR");
      line_bytes_ = 0;
      state_ = remaining_ == 0 ? State::TrailerStart : State::Data;  // size 0: the last chunk
      return true;
    case State::DataCr:
      if (c != '\r') return fail(400, "chunk data not followed by CRLF");
      state_ = State::DataLf;
      return true;
    default:  // DataLf
      if (c != '\n') return fail(400, "chunk data not followed by CRLF");
      state_ = State::Size0;
      return true;
  }
}

// trailer-section = *( field-line CRLF ) CRLF; fields are checked for shape, then dropped.
bool HttpBodyReader::step_trailer(char c) {
  switch (state_) {
    case State::TrailerStart:
      if (c == '\r') return go(State::EndLf);
      if (is_tchar(c)) return go(State::TrailerName);
      break;
    case State::TrailerName:
      if (is_tchar(c)) return true;
      if (c == ':') return go(State::TrailerValue);
      break;
    case State::TrailerValue:
      if (c == '\r') return go(State::TrailerLf);
      if (is_field_char(c)) return true;
      break;
    case State::TrailerLf:
      if (c == '\n') return go(State::TrailerStart);
      return fail(400, "trailer line ends in bare CR");
    default:  // EndLf
      if (c == '\n') return go(State::Done);
      return fail(400, "chunked body does not end in CRLF");
  }
  return fail(400, "invalid trailer field");
}

bool HttpBodyReader::go(State next) {
  state_ = next;
  return true;
}

bool HttpBodyReader::fail(int status, std::string_view reason) {
  state_ = State::Failed;
  error_status_ = status;
  error_reason_ = reason;
  return false;
}

bool expects_continue(const HttpRequest& request) {
  return request.version_minor >= 1 && iequals(request.header("expect"), "100-continue");
}

}  // namespace wisp::protocol
