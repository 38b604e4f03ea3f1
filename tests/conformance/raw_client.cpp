#include "raw_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/sha.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace wisp::test {
namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("raw_client: " + what); }

struct Timeout : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), "raw_client: " + what);
}

std::string base64(const unsigned char* data, std::size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < size; i += 3) {
    std::uint32_t n = std::uint32_t{data[i]} << 16;
    if (i + 1 < size) n |= std::uint32_t{data[i + 1]} << 8;
    if (i + 2 < size) n |= data[i + 2];
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < size ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < size ? kAlphabet[n & 63] : '=';
  }
  return out;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

timeval to_timeval(std::chrono::milliseconds ms) {
  return {static_cast<time_t>(ms.count() / 1000),
          static_cast<suseconds_t>(ms.count() % 1000 * 1000)};
}

}  // namespace

std::string build_frame(const FrameSpec& spec) {
  std::string out;
  out += static_cast<char>((spec.fin ? 0x80 : 0) | (spec.rsv1 ? 0x40 : 0) | (spec.rsv2 ? 0x20 : 0) |
                           (spec.rsv3 ? 0x10 : 0) | (spec.opcode & 0x0F));
  const std::uint64_t length = spec.announced_length.value_or(spec.payload.size());
  LengthForm form = spec.length_form;
  if (form == LengthForm::Shortest) {
    form = length < 126       ? LengthForm::Len7
           : length <= 0xFFFF ? LengthForm::Len16
                              : LengthForm::Len64;
  }
  const char mask_bit = spec.masked ? static_cast<char>(0x80) : 0;
  switch (form) {
    case LengthForm::Len7:
      if (length > 125) fail("a 7-bit length cannot hold " + std::to_string(length));
      out += static_cast<char>(mask_bit | static_cast<char>(length));
      break;
    case LengthForm::Len16:
      if (length > 0xFFFF) fail("a 16-bit length cannot hold " + std::to_string(length));
      out += static_cast<char>(mask_bit | 126);
      out += static_cast<char>(length >> 8);
      out += static_cast<char>(length & 0xFF);
      break;
    default:
      out += static_cast<char>(mask_bit | 127);
      for (int shift = 56; shift >= 0; shift -= 8)
        out += static_cast<char>((length >> shift) & 0xFF);
      break;
  }
  if (!spec.masked) return out + spec.payload;
  out.append(reinterpret_cast<const char*>(spec.mask_key.data()), 4);
  const std::size_t start = out.size();
  out += spec.payload;
  for (std::size_t i = 0; i < spec.payload.size(); ++i) {
    out[start + i] = static_cast<char>(out[start + i] ^ spec.mask_key[i % 4]);
  }
  return out;
}

std::string client_frame(std::uint8_t opcode, std::string_view payload, bool fin) {
  return build_frame({.fin = fin, .opcode = opcode, .payload = std::string(payload)});
}

std::string close_body(std::uint16_t code, std::string_view reason) {
  std::string out;
  out += static_cast<char>(code >> 8);
  out += static_cast<char>(code & 0xFF);
  return out.append(reason);
}

int Frame::close_code() const {
  if (payload.empty()) return 1005;
  if (payload.size() < 2) return -1;
  return (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
}

std::string_view Frame::close_reason() const {
  return payload.size() > 2 ? std::string_view(payload).substr(2) : std::string_view{};
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  std::string_view rest(head);
  rest.remove_prefix(std::min(rest.size(), rest.find("\r\n") + 2));  // the status line
  while (!rest.empty()) {
    const std::size_t eol = rest.find("\r\n");
    const std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 2);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && iequals(trim(line.substr(0, colon)), name)) {
      return std::string(trim(line.substr(colon + 1)));
    }
  }
  return std::nullopt;
}

std::string expected_accept(std::string_view key) {
  const std::string input = std::string(key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return base64(digest, sizeof digest);
}

RawClient::RawClient(std::uint16_t port, std::chrono::milliseconds timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) fail_errno("socket");
  const timeval tv = to_timeval(timeout);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    ::close(fd_);
    errno = err;
    fail_errno("connect to port " + std::to_string(port));
  }
}

RawClient::~RawClient() {
  if (fd_ >= 0) ::close(fd_);
}

std::string RawClient::upgrade_request(std::string_view path, std::string_view extra_headers,
                                       std::string_view omit) {
  const auto keep = [&](std::string_view name) {
    std::string_view list = omit;
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      if (iequals(trim(list.substr(0, comma)), name)) return false;
      list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
    }
    return true;
  };
  std::string out = "GET " + std::string(path) + " HTTP/1.1\r\n";
  const std::pair<std::string_view, std::string_view> defaults[] = {
      {"Host", "127.0.0.1"},       {"Upgrade", "websocket"},        {"Connection", "Upgrade"},
      {"Sec-WebSocket-Key", kKey}, {"Sec-WebSocket-Version", "13"},
  };
  for (const auto& [name, value] : defaults) {
    if (keep(name)) out.append(name).append(": ").append(value).append("\r\n");
  }
  return out.append(extra_headers).append("\r\n");
}

void RawClient::handshake(std::string_view path, std::string_view trailing) {
  send(upgrade_request(path) + std::string(trailing));
  const HttpResponse response = read_http_response();
  if (response.status != 101) fail("upgrade refused:\n" + response.head + response.body);
  const auto upgrade = response.header("Upgrade");
  if (!upgrade || !iequals(*upgrade, "websocket")) fail("101 without Upgrade: websocket");
  const auto connection = response.header("Connection");
  if (!connection || !iequals(*connection, "Upgrade")) fail("101 without Connection: Upgrade");
  const auto accept = response.header("Sec-WebSocket-Accept");
  if (accept != expected_accept(kKey)) fail("wrong Sec-WebSocket-Accept: " + accept.value_or("-"));
}

void RawClient::send(std::string_view bytes) {
  if (!try_send(bytes)) fail_errno("send");
}

bool RawClient::try_send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void RawClient::send_bytewise(std::string_view bytes) {
  for (char c : bytes) send(std::string_view(&c, 1));
}

long RawClient::recv_some() {
  if (pos_ > 0 && pos_ == in_.size()) {
    in_.clear();
    pos_ = 0;
  }
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      in_.append(buf, static_cast<std::size_t>(n));
      return n;
    }
    if (n == 0) return 0;
    if (errno == EINTR) continue;
    if (errno == ECONNRESET) return -1;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      throw Timeout("raw_client: timed out waiting for the server");
    fail_errno("recv");
  }
}

bool RawClient::fill(std::size_t n) {
  while (in_.size() - pos_ < n) {
    if (recv_some() <= 0) return false;
  }
  return true;
}

HttpResponse RawClient::read_http_response() {
  std::size_t end;
  while ((end = in_.find("\r\n\r\n", pos_)) == std::string::npos) {
    if (recv_some() <= 0) fail("connection closed inside the HTTP response head: " + in_);
  }
  HttpResponse response;
  response.head = in_.substr(pos_, end + 4 - pos_);
  pos_ = end + 4;
  if (response.head.rfind("HTTP/1.1 ", 0) != 0 || response.head.size() < 12) {
    fail("not an HTTP/1.1 response: " + response.head);
  }
  response.status = std::stoi(response.head.substr(9, 3));
  if (const auto length = response.header("Content-Length")) {
    const std::size_t n = std::stoul(*length);
    if (!fill(n)) fail("connection closed inside the HTTP response body");
    response.body = in_.substr(pos_, n);
    pos_ += n;
  }
  return response;
}

std::optional<Frame> RawClient::read_frame() {
  if (!fill(2)) {
    if (in_.size() == pos_) return std::nullopt;
    fail("connection closed inside a frame header");
  }
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(in_[pos_ + i]); };
  Frame frame;
  frame.fin = byte(0) & 0x80;
  frame.rsv1 = byte(0) & 0x40;
  frame.rsv2 = byte(0) & 0x20;
  frame.rsv3 = byte(0) & 0x10;
  frame.opcode = byte(0) & 0x0F;
  frame.masked = byte(1) & 0x80;
  std::uint64_t length = byte(1) & 0x7F;
  std::size_t header = 2;
  if (length >= 126) {
    const std::size_t extra = length == 126 ? 2 : 8;
    if (!fill(2 + extra)) fail("connection closed inside a frame length");
    length = 0;
    for (std::size_t i = 0; i < extra; ++i) length = (length << 8) | byte(2 + i);
    header += extra;
  }
  if (frame.masked) header += 4;
  if (length > (std::uint64_t{1} << 40)) fail("absurd frame length " + std::to_string(length));
  if (!fill(header + length)) fail("connection closed inside a frame payload");
  frame.payload = in_.substr(pos_ + header, length);
  if (frame.masked) {
    for (std::size_t i = 0; i < length; ++i) {
      frame.payload[i] = static_cast<char>(frame.payload[i] ^ in_[pos_ + header - 4 + i % 4]);
    }
  }
  pos_ += header + length;
  return frame;
}

std::optional<Frame> RawClient::read_until_close_frame() {
  while (auto frame = read_frame()) {
    if (frame->opcode == 0x8) return frame;
  }
  return std::nullopt;
}

TcpEnd RawClient::wait_tcp_end() {
  if (pos_ < in_.size()) return TcpEnd::DataArrived;
  try {
    const long n = recv_some();
    return n > 0 ? TcpEnd::DataArrived : n == 0 ? TcpEnd::Closed : TcpEnd::Reset;
  } catch (const Timeout&) {
    return TcpEnd::Timeout;
  }
}

}  // namespace wisp::test
