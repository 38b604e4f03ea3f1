#include "protocol/http_request.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>

namespace wisp::protocol {
namespace {

// Character classes of RFC 9110 §5.6.2 (token), RFC 9112 §3.2 (request-target, VCHAR only: no
// SP, CTL or non-ASCII) and RFC 9110 §5.5 (field-value: VCHAR, SP, HTAB, obs-text).
enum : std::uint8_t { kToken = 1, kTarget = 2, kFieldValue = 4 };

constexpr std::array<std::uint8_t, 256> kClass = [] {
  std::array<std::uint8_t, 256> table{};
  for (int c = 0x21; c < 0x7f; ++c) table[c] = kTarget | kFieldValue;
  for (int c = 0x80; c < 0x100; ++c) table[c] = kFieldValue;
  table[' '] = table['\t'] = kFieldValue;
  for (unsigned char c : std::string_view("!#$%&'*+-.^_`|~0123456789"
                                          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")) {
    table[c] |= kToken;
  }
  return table;
}();

bool all_in(std::string_view s, std::uint8_t cls) {
  for (char c : s) {
    if (!(kClass[static_cast<unsigned char>(c)] & cls)) return false;
  }
  return true;
}

bool is_token(std::string_view s) { return !s.empty() && all_in(s, kToken); }

// all_in(s, kFieldValue), 8 bytes a step: values (user agents, cookies) are most of a head.
bool is_field_value(std::string_view s) {
  constexpr std::uint64_t kOnes = 0x0101010101010101;
  constexpr std::uint64_t kHighs = kOnes * 0x80;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    const std::uint64_t del = word ^ (kOnes * 0x7f);
    // High bit set in some byte if a byte is below 0x20 (CTL or HTAB) or is DEL; then look closer.
    const std::uint64_t suspect = ((word - kOnes * 0x20) & ~word) | ((del - kOnes) & ~del);
    if ((suspect & kHighs) != 0 && !all_in(s.substr(i, 8), kFieldValue)) return false;
  }
  return all_in(s.substr(i), kFieldValue);
}

bool is_ows(char c) { return c == ' ' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// 1*DIGIT that fits in 64 bits (RFC 9110 §8.6); lists such as "5, 5" are refused as invalid.
std::optional<std::uint64_t> parse_content_length(std::string_view s) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || !is_digit(s.front()) || ec != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return n;
}

// The last transfer coding of a Transfer-Encoding value ("gzip, chunked" -> "chunked").
std::string_view last_coding(std::string_view value) {
  const std::size_t comma = value.rfind(',');
  return trim_ows(comma == std::string_view::npos ? value : value.substr(comma + 1));
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

std::string_view HttpFields::header(std::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

std::size_t HttpFields::header_count(std::string_view name) const {
  std::size_t count = 0;
  for (const HttpHeader& h : headers) count += iequals(h.name, name);
  return count;
}

bool HttpFields::has_token(std::string_view name, std::string_view token) const {
  for (const HttpHeader& h : headers) {
    if (!iequals(h.name, name)) continue;
    std::string_view rest = h.value;
    while (true) {
      const std::size_t comma = rest.find(',');
      if (iequals(trim_ows(rest.substr(0, comma)), token)) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

HttpRequestParser::HttpRequestParser(HttpLimits limits) : limits_(limits) {}

HttpRequestParser::Result HttpRequestParser::feed(std::string_view data) {
  if (error_status_ != 0) return {Status::Error, 0};
  if (complete_) reset();
  return buffer_.empty() ? feed_in_place(data) : feed_buffered(data);
}

// First bytes of a head: parse straight from the caller's data; copy only if the head is cut off.
HttpRequestParser::Result HttpRequestParser::feed_in_place(std::string_view data) {
  const std::string_view window = data.substr(0, limits_.max_header_bytes);
  const Status status = scan(window);
  if (status == Status::Complete) return {status, head_end_};
  if (status == Status::Error) return {status, 0};
  if (window.size() == limits_.max_header_bytes) {
    fail(431, "request head too large");
    return {Status::Error, 0};
  }
  buffer_.assign(data);
  return {Status::Incomplete, data.size()};
}

// Later pieces: join them in buffer_, never beyond max_header_bytes (more can't be a valid head).
HttpRequestParser::Result HttpRequestParser::feed_buffered(std::string_view data) {
  const std::size_t before = buffer_.size();
  buffer_.append(data.substr(0, limits_.max_header_bytes - before));
  const Status status = scan(buffer_);
  if (status == Status::Complete) return {status, head_end_ - before};
  if (status == Status::Error) return {status, 0};
  if (buffer_.size() == limits_.max_header_bytes) {
    fail(431, "request head too large");
    return {Status::Error, 0};
  }
  return {Status::Incomplete, data.size()};
}

// Finds line ends from scanned_ on, so each byte is searched once however the head is split.
// Line endings and the field count are checked here, so they fail before the head is complete;
// the lines themselves are parsed once, when the blank line ending the head arrives.
HttpRequestParser::Status HttpRequestParser::scan(std::string_view text) {
  while (scanned_ < text.size()) {
    const void* lf = std::memchr(text.data() + scanned_, '\n', text.size() - scanned_);
    if (lf == nullptr) {
      scanned_ = text.size();
      break;
    }
    const std::size_t end = static_cast<const char*>(lf) - text.data();
    scanned_ = end + 1;
    if (end == line_start_ || text[end - 1] != '\r') {
      fail(400, "line ends in bare LF instead of CRLF");
      return Status::Error;
    }
    const bool blank = end - 1 == line_start_;
    line_start_ = end + 1;
    if (!blank) {
      if (++lines_ - 1 > limits_.max_headers) {
        fail(431, "too many header fields");
        return Status::Error;
      }
    } else if (lines_ == 0) {
      head_start_ = line_start_;  // RFC 9112 §2.2: ignore empty lines before the request line
    } else {
      head_end_ = line_start_;
      complete_ = parse(text.substr(head_start_, head_end_ - head_start_));
      return complete_ ? Status::Complete : Status::Error;
    }
  }
  return Status::Incomplete;
}

// `head` is the request line through the blank line; scan() has checked every LF follows a CR,
// so the first CR of a line must be its end, else it is a bare CR.
bool HttpRequestParser::parse(std::string_view head) {
  request_.headers.reserve(lines_ - 1);
  std::size_t pos = 0;
  for (bool first = true;; first = false) {
    const std::size_t cr = head.find('\r', pos);
    if (head[cr + 1] != '\n') return fail(400, "bare CR in request head");
    const std::string_view line = head.substr(pos, cr - pos);
    pos = cr + 2;
    if (line.empty()) return check_fields();
    if (!(first ? parse_request_line(line) : parse_header_line(line))) return false;
  }
}

// RFC 9112 §3: method SP request-target SP HTTP-version, single spaces.
bool HttpRequestParser::parse_request_line(std::string_view line) {
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return fail(400, "request line is not: method target version");
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) return fail(400, "method is not a token");
  if (target.empty()) return fail(400, "empty request-target");
  if (!all_in(target, kTarget)) return fail(400, "request-target contains invalid character");
  // RFC 9112 §2.3: "HTTP/" DIGIT "." DIGIT, case-sensitive.
  if (version.size() != 8 || !version.starts_with("HTTP/") || !is_digit(version[5]) ||
      version[6] != '.' || !is_digit(version[7])) {
    return fail(400, "malformed HTTP version");
  }
  if (version[5] != '1') return fail(505, "HTTP version not supported (only HTTP/1.x)");
  request_.method = method;
  request_.target = target;
  const std::size_t question = target.find('?');
  request_.path = target.substr(0, question);
  request_.query =
      question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
  request_.version_minor = version[7] - '0';
  return true;
}

// RFC 9112 §5: field-name ":" OWS field-value OWS.
bool HttpRequestParser::parse_header_line(std::string_view line) {
  if (is_ows(line.front())) return fail(400, "obsolete line folding (line starts with whitespace)");
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return fail(400, "header line has no colon");
  const std::string_view name = line.substr(0, colon);
  if (name.empty()) return fail(400, "empty header name");
  if (is_ows(name.back())) return fail(400, "whitespace between header name and colon");
  if (!is_token(name)) return fail(400, "header name contains invalid character");
  const std::string_view value = trim_ows(line.substr(colon + 1));
  if (!is_field_value(value)) return fail(400, "header value contains a control character");
  request_.headers.push_back({name, value});
  return true;
}

// Fields whose misuse enables request smuggling or that RFC 9112 requires a server to reject.
bool HttpRequestParser::check_fields() {
  std::optional<std::uint64_t> length;
  const HttpHeader* transfer_encoding = nullptr;
  std::size_t hosts = 0;
  for (const HttpHeader& h : request_.headers) {
    if (iequals(h.name, "content-length")) {
      const std::optional<std::uint64_t> n = parse_content_length(h.value);
      if (!n) return fail(400, "invalid Content-Length");
      if (length && *length != *n) return fail(400, "conflicting Content-Length headers");
      length = n;
    } else if (iequals(h.name, "transfer-encoding")) {
      transfer_encoding = &h;
    } else if (iequals(h.name, "host")) {
      ++hosts;
    }
  }
  // RFC 9112 §3.2: exactly one Host in HTTP/1.1; at most one in any version.
  if (hosts > 1) return fail(400, "more than one Host header");
  if (hosts == 0 && request_.version_minor >= 1) return fail(400, "missing Host header");
  if (transfer_encoding == nullptr) return true;
  // RFC 9112 §6.1, §6.3: the body length must be unambiguous.
  if (length) return fail(400, "both Content-Length and Transfer-Encoding");
  if (request_.version_minor == 0) return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
  if (!iequals(last_coding(transfer_encoding->value), "chunked")) {
    return fail(400, "Transfer-Encoding does not end in chunked");
  }
  return true;
}

bool HttpRequestParser::fail(int status, std::string_view reason) {
  error_status_ = status;
  error_reason_ = reason;
  return false;
}

void HttpRequestParser::reset() {
  std::string().swap(buffer_);  // a split head is rare: don't keep its memory per connection
  scanned_ = line_start_ = head_start_ = head_end_ = lines_ = 0;
  complete_ = false;
  request_.method = request_.target = request_.path = request_.query = {};
  request_.version_minor = 1;
  request_.headers.clear();
  error_status_ = 0;
  error_reason_ = {};
}

}  // namespace wisp::protocol
