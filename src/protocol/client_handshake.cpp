#include "protocol/client_handshake.hpp"

#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>

#include "protocol/base64.hpp"
#include "protocol/handshake.hpp"
#include "protocol/http_chars.hpp"

namespace wisp::protocol {
namespace {

bool is_field_value(std::string_view value) {
  return std::all_of(value.begin(), value.end(), is_field_char);
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

// "HTTP/1.1 101 Switching Protocols": the version, a three-digit status, an optional reason.
bool parse_status_line(std::string_view line, ResponseHead& head) {
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') return false;
  if (line.size() > 12 && line[12] != ' ') return false;
  int status = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return false;
    status = status * 10 + (line[i] - '0');
  }
  head.status = status;
  head.reason = line.size() > 13 ? line.substr(13) : std::string_view();
  return true;
}

bool parse_field_line(std::string_view line, ResponseHead& head) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) return false;
  const std::string_view value = trim_ows(line.substr(colon + 1));
  if (!is_field_value(value)) return false;
  head.headers.push_back({line.substr(0, colon), value});
  return true;
}

// Every header field of that name, joined with ", " (the lists may span several fields).
std::string joined(const HttpFields& fields, std::string_view name) {
  std::string value;
  for (const HttpHeader& h : fields.headers) {
    if (iequals(h.name, name)) value.append(value.empty() ? "" : ", ").append(h.value);
  }
  return value;
}

// The extension names in a Sec-WebSocket-Extensions list: each element's text before ';'.
bool only_deflate(std::string_view extensions) {
  while (!extensions.empty()) {
    const std::size_t comma = extensions.find(',');
    const std::string_view element = extensions.substr(0, comma);
    if (!iequals(trim_ows(element.substr(0, element.find(';'))), "permessage-deflate")) {
      return false;
    }
    if (comma == std::string_view::npos) break;
    extensions.remove_prefix(comma + 1);
  }
  return true;
}

HandshakeResult failure(std::string error) { return {.error = std::move(error)}; }

}  // namespace

std::string upgrade_request(const UpgradeRequest& request) {
  std::string out;
  out.append("GET ").append(request.target).append(" HTTP/1.1\r\n");
  append_field(out, "Host", request.host);
  out.append("Upgrade: websocket\r\nConnection: Upgrade\r\n");
  append_field(out, "Sec-WebSocket-Key", request.key);
  out.append("Sec-WebSocket-Version: 13\r\n");
  if (!request.subprotocols.empty()) {
    std::string list;
    for (const std::string& name : request.subprotocols) {
      if (!is_token(name)) throw std::invalid_argument("wisp: subprotocol is not a token: " + name);
      list.append(list.empty() ? "" : ", ").append(name);
    }
    append_field(out, "Sec-WebSocket-Protocol", list);
  }
  if (!request.extensions.empty())
    append_field(out, "Sec-WebSocket-Extensions", request.extensions);
  for (const auto& [name, value] : request.headers) {
    if (!is_token(name) || !is_field_value(value)) {
      throw std::invalid_argument("wisp: invalid header field: " + name);
    }
    append_field(out, name, value);
  }
  out.append("\r\n");
  return out;
}

ResponseScan scan_response_head(std::string_view bytes, std::size_t max_size) {
  ResponseScan scan;
  const std::size_t end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos || end + 4 > max_size) {
    if (bytes.size() < max_size) return scan;
    scan.status = ResponseScan::Status::Error;
    scan.error = "response head too large";
    return scan;
  }
  scan.status = ResponseScan::Status::Error;
  std::string_view rest = bytes.substr(0, end + 2);
  std::size_t eol = rest.find("\r\n");
  if (!parse_status_line(rest.substr(0, eol), scan.head)) {
    scan.error = "malformed status line";
    return scan;
  }
  for (rest.remove_prefix(eol + 2); !rest.empty(); rest.remove_prefix(eol + 2)) {
    eol = rest.find("\r\n");
    if (!parse_field_line(rest.substr(0, eol), scan.head)) {
      scan.error = "malformed header line";
      return scan;
    }
  }
  scan.status = ResponseScan::Status::Complete;
  scan.size = end + 4;
  return scan;
}

HandshakeResult check_upgrade_response(const ResponseHead& head, std::string_view key,
                                       std::span<const std::string> subprotocols,
                                       const std::optional<ClientDeflatePolicy>& deflate) {
  if (head.status != 101) return failure("expected status 101, got " + std::to_string(head.status));
  if (!head.has_token("upgrade", "websocket")) return failure("Upgrade header is not websocket");
  if (!head.has_token("connection", "upgrade")) return failure("Connection header lacks upgrade");
  const std::array<char, 28> accept = accept_key(key);
  if (head.header_count("sec-websocket-accept") != 1 ||
      head.header("sec-websocket-accept") != std::string_view(accept.data(), accept.size())) {
    return failure("wrong Sec-WebSocket-Accept");
  }
  HandshakeResult result;
  const std::string extensions = joined(head, "sec-websocket-extensions");
  if (!extensions.empty()) {
    if (!deflate || !only_deflate(extensions))
      return failure("server chose an extension not offered");
    DeflateResponse answer = accept_deflate_response(extensions, *deflate);
    if (!answer.valid) return failure("invalid permessage-deflate response: " + extensions);
    result.deflate = answer.agreement;
  }
  const std::string protocol = joined(head, "sec-websocket-protocol");
  if (!protocol.empty()) {
    if (std::find(subprotocols.begin(), subprotocols.end(), protocol) == subprotocols.end()) {
      return failure("server chose a subprotocol not offered: " + protocol);
    }
    result.subprotocol = protocol;
  }
  return result;
}

std::string random_handshake_key() {
  std::random_device random;
  std::uint8_t bytes[16];
  for (auto& b : bytes) b = static_cast<std::uint8_t>(random());
  std::string key(base64_encoded_size(sizeof bytes), '\0');
  base64_encode(bytes, sizeof bytes, key.data());
  return key;
}

}  // namespace wisp::protocol
