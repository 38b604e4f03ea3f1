#include "protocol/handshake.hpp"

#include <openssl/evp.h>

#include <charconv>
#include <memory>
#include <stdexcept>

#include "protocol/base64.hpp"

namespace wisp::protocol {
namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";  // RFC 6455 §1.3

UpgradeCheck refuse(int status, std::string_view reason) {
  UpgradeCheck check;
  check.status = status;
  check.reason = reason;
  return check;
}

// Fetched once for the process and never freed: fetching per call would cost a provider lookup
// on every handshake, and freeing at exit could race OpenSSL's own cleanup.
const EVP_MD* sha1() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  return md;
}

struct DigestContextFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// One context per thread, reused by every handshake on that thread's loop.
EVP_MD_CTX* digest_context() {
  thread_local const std::unique_ptr<EVP_MD_CTX, DigestContextFree> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

}  // namespace

bool wants_websocket(const HttpRequest& request) {
  return request.has_token("upgrade", "websocket");
}

UpgradeCheck check_upgrade(const HttpRequest& request) {
  if (request.method != "GET") return refuse(400, "websocket handshake requires GET");
  if (request.version_minor < 1) return refuse(400, "websocket handshake requires HTTP/1.1");
  if (request.header_count("host") != 1) return refuse(400, "exactly one Host header required");
  if (!request.has_token("upgrade", "websocket")) {
    return refuse(400, "Upgrade header must name websocket");
  }
  if (!request.has_token("connection", "upgrade")) {
    return refuse(400, "Connection header must name upgrade");
  }
  // Before the key: clients of older drafts send no Sec-WebSocket-Key but deserve a 426 that
  // names the version this server speaks.
  if (request.header_count("sec-websocket-version") != 1 ||
      request.header("sec-websocket-version") != "13") {
    return refuse(426, "Sec-WebSocket-Version must be 13");
  }
  if (request.header_count("sec-websocket-key") != 1) {
    return refuse(400, "exactly one Sec-WebSocket-Key header required");
  }
  const std::string_view key = request.header("sec-websocket-key");
  if (base64_decoded_size(key) != 16) {
    return refuse(400, "Sec-WebSocket-Key is not base64 of 16 bytes");
  }
  UpgradeCheck check;
  check.key = key;
  check.protocols = request.header("sec-websocket-protocol");
  check.extensions = request.header("sec-websocket-extensions");
  check.origin = request.header("origin");
  return check;
}

std::array<char, 28> accept_key(std::string_view key) {
  EVP_MD_CTX* ctx = digest_context();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (sha1() == nullptr || ctx == nullptr || !EVP_DigestInit_ex(ctx, sha1(), nullptr) ||
      !EVP_DigestUpdate(ctx, key.data(), key.size()) ||
      !EVP_DigestUpdate(ctx, kGuid.data(), kGuid.size()) ||
      !EVP_DigestFinal_ex(ctx, digest, &size) || size != 20) {
    throw std::runtime_error("OpenSSL SHA-1 failed");
  }
  std::array<char, 28> accept;
  base64_encode(digest, size, accept.data());
  return accept;
}

void append_switching_protocols(std::string& out, std::string_view key,
                                std::string_view subprotocol, std::string_view extensions,
                                std::string_view extra_headers) {
  const std::array<char, 28> accept = accept_key(key);
  out.append(
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n");
  append_header(out, "Sec-WebSocket-Accept", {accept.data(), accept.size()});
  if (!subprotocol.empty()) append_header(out, "Sec-WebSocket-Protocol", subprotocol);
  if (!extensions.empty()) append_header(out, "Sec-WebSocket-Extensions", extensions);
  out.append(extra_headers).append("\r\n");
}

void append_error_response(std::string& out, int status, std::string_view body,
                           std::string_view extra_headers) {
  char number[24];
  out.append("HTTP/1.1 ");
  out.append(number, std::to_chars(number, number + sizeof number, status).ptr);
  out.append(" ").append(reason_phrase(status)).append("\r\n");
  out.append("Content-Type: text/plain\r\nContent-Length: ");
  out.append(number, std::to_chars(number, number + sizeof number, body.size()).ptr);
  out.append("\r\nConnection: close\r\n").append(extra_headers).append("\r\n").append(body);
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Error";
  }
}

}  // namespace wisp::protocol
