#include "protocol/http_response.hpp"

#include <charconv>
#include <optional>
#include <utility>

#include "protocol/handshake.hpp"
#include "protocol/http_chars.hpp"
#include "protocol/http_request.hpp"

namespace wisp::protocol {
namespace {

void append_number(std::string& out, std::uint64_t n, int base = 10) {
  char digits[20];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, n, base).ptr);
}

// `n` in decimal, zero-padded to `width` digits.
std::string& append_digits(std::string& out, int n, int width) {
  char digits[4] = {'0', '0', '0', '0'};
  for (int i = width - 1; i >= 0; --i, n /= 10) digits[i] = static_cast<char>('0' + n % 10);
  return out.append(digits, static_cast<std::size_t>(width));
}

struct EntityTag {
  bool weak;
  std::string_view opaque;  // with its quotes
};

// entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, read from the front of `s`, which is advanced past
// it. etagc is any visible character but '"', or obs-text (RFC 9110 §8.8.3).
std::optional<EntityTag> take_etag(std::string_view& s) {
  const bool weak = s.starts_with("W/");
  const std::size_t open = weak ? 2 : 0;
  if (s.size() <= open || s[open] != '"') return std::nullopt;
  std::size_t close = open + 1;
  while (close < s.size() && s[close] != '"') {
    if (!is_field_char(s[close]) || is_ows(s[close])) return std::nullopt;
    ++close;
  }
  if (close == s.size()) return std::nullopt;
  const EntityTag tag{weak, s.substr(open, close + 1 - open)};
  s.remove_prefix(close + 1);
  return tag;
}

// A whole string that is one entity tag.
std::optional<EntityTag> parse_etag(std::string_view s) {
  const std::optional<EntityTag> tag = take_etag(s);
  return s.empty() ? tag : std::nullopt;
}

// Extension -> type. Text types name their charset, which browsers would otherwise guess.
constexpr std::pair<std::string_view, std::string_view> kContentTypes[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},  // RFC 9239
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"xml", "application/xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"svg", "image/svg+xml"},
    {"ico", "image/x-icon"},
    {"wasm", "application/wasm"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"pdf", "application/pdf"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
};

}  // namespace

std::string_view HttpDate::at(std::time_t now) {
  static constexpr std::string_view kDays = "SunMonTueWedThuFriSat";
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  if (now != second_) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::string text;
    text.reserve(text_.size());
    text.append(kDays.substr(3 * tm.tm_wday, 3)).append(", ");
    append_digits(text, tm.tm_mday, 2).append(" ").append(kMonths.substr(3 * tm.tm_mon, 3));
    append_digits(text.append(" "), tm.tm_year + 1900, 4).append(" ");
    append_digits(text, tm.tm_hour, 2).append(":");
    append_digits(text, tm.tm_min, 2).append(":");
    append_digits(text, tm.tm_sec, 2).append(" GMT");
    text.copy(text_.data(), text_.size());
    second_ = now;
  }
  return {text_.data(), text_.size()};
}

ResponseWriter::ResponseWriter(std::string& out, int status, ResponseFraming framing)
    : out_(out), status_(status), framing_(framing) {
  out_.append("HTTP/1.1 ");
  append_number(out_, static_cast<std::uint64_t>(status));
  out_.append(" ").append(reason_phrase(status)).append("\r\n");
}

ResponseWriter& ResponseWriter::header(std::string_view name, std::string_view value) {
  out_.append(name).append(": ").append(value).append("\r\n");
  return *this;
}

void ResponseWriter::body(std::string_view body) {
  end_head(body.size());
  if (sends_body()) out_.append(body);
}

void ResponseWriter::end_head(std::uint64_t length) {
  if (!framing_.date.empty()) header("Date", framing_.date);
  if (has_content()) {
    out_.append("Content-Length: ");
    append_number(out_, length);
    out_.append("\r\n");
  }
  if (framing_.close) out_.append("Connection: close\r\n");
  out_.append("\r\n");
}

bool ResponseWriter::sends_body() const { return has_content() && !framing_.head; }

bool ResponseWriter::has_content() const {
  return status_ >= 200 && status_ != 204 && status_ != 304;
}

void append_continue(std::string& out) { out.append("HTTP/1.1 100 Continue\r\n\r\n"); }

bool is_valid_field(std::string_view name, std::string_view value) {
  if (!is_token(name)) return false;
  for (char c : value) {
    if (!is_field_char(c)) return false;
  }
  return true;
}

bool etag_strong_equal(std::string_view a, std::string_view b) {
  const std::optional<EntityTag> x = parse_etag(a);
  const std::optional<EntityTag> y = parse_etag(b);
  return x && y && !x->weak && !y->weak && x->opaque == y->opaque;
}

bool etag_weak_equal(std::string_view a, std::string_view b) {
  const std::optional<EntityTag> x = parse_etag(a);
  const std::optional<EntityTag> y = parse_etag(b);
  return x && y && x->opaque == y->opaque;
}

// If-None-Match = "*" / #entity-tag: a comma list, with OWS and empty elements allowed.
bool if_none_match(std::string_view header_value, std::string_view etag) {
  const std::optional<EntityTag> current = parse_etag(etag);
  if (!current) return false;
  std::string_view rest = trim_ows(header_value);
  if (rest == "*") return true;
  bool matched = false;
  while (!rest.empty()) {
    if (rest.front() == ',' || is_ows(rest.front())) {
      rest.remove_prefix(1);
      continue;
    }
    const std::optional<EntityTag> tag = take_etag(rest);
    if (!tag) return false;  // malformed: trust none of it
    matched = matched || tag->opaque == current->opaque;
    rest = trim_ows(rest);
    if (!rest.empty() && rest.front() != ',') return false;
  }
  return matched;
}

std::string file_etag(std::uint64_t size, std::int64_t mtime_ns) {
  std::string tag = "W/\"";
  append_number(tag, static_cast<std::uint64_t>(mtime_ns), 16);
  tag += '-';
  append_number(tag, size, 16);
  tag += '"';
  return tag;
}

std::string_view content_type_for(std::string_view path) {
  const std::size_t dot = path.rfind('.');
  const std::size_t slash = path.rfind('/');
  if (dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash)) {
    const std::string_view extension = path.substr(dot + 1);
    for (const auto& [ext, type] : kContentTypes) {
      if (iequals(ext, extension)) return type;
    }
  }
  return "application/octet-stream";
}

}  // namespace wisp::protocol
