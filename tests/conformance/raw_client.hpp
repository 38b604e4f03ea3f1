// A small blocking WebSocket client for conformance tests: it speaks raw bytes over loopback TCP,
// builds frames by hand (any bits, any opcode, any length encoding) and parses server frames.
// Errors (timeouts, malformed server output) throw std::runtime_error; GoogleTest reports them.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wisp::test {

using namespace std::chrono_literals;

// How the payload length is written in a hand-built frame (RFC 6455 §5.2).
enum class LengthForm { Shortest, Len7, Len16, Len64 };

struct FrameSpec {
  bool fin = true;
  bool rsv1 = false;
  bool rsv2 = false;
  bool rsv3 = false;
  std::uint8_t opcode = 0x1;
  bool masked = true;
  std::array<std::uint8_t, 4> mask_key{0x37, 0xfa, 0x21, 0x3d};
  std::string payload{};
  LengthForm length_form = LengthForm::Shortest;
  // The value written in the length field; by default payload.size(). Setting it larger announces
  // bytes that are not part of `payload` (the caller may send them later, or never).
  std::optional<std::uint64_t> announced_length{};
};

// The frame's bytes: header, optional mask key, payload (masked when spec.masked).
std::string build_frame(const FrameSpec& spec);
// A masked client frame with the shortest length encoding.
std::string client_frame(std::uint8_t opcode, std::string_view payload, bool fin = true);
// A close frame body: the 2-byte code in network order, then the reason.
std::string close_body(std::uint16_t code, std::string_view reason = {});

struct Frame {
  bool fin = false;
  bool rsv1 = false;
  bool rsv2 = false;
  bool rsv3 = false;
  std::uint8_t opcode = 0;
  bool masked = false;
  std::string payload;

  // The close code of a close frame: 1005 for an empty body, -1 for a 1-byte body.
  int close_code() const;
  std::string_view close_reason() const;
};

struct HttpResponse {
  int status = 0;
  std::string head;  // status line and headers, up to and including the blank line
  std::string body;  // Content-Length bytes after the head (empty if none announced)
  // The value of the first header `name` (case-insensitive), if present.
  std::optional<std::string> header(std::string_view name) const;
};

// Sec-WebSocket-Accept computed independently of the server: base64(SHA-1(key + GUID)).
std::string expected_accept(std::string_view key);

// Where a read ended when the client waited for the server to close.
enum class TcpEnd { Closed, Reset, Timeout, DataArrived };

class RawClient {
 public:
  static constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";

  // Connects to 127.0.0.1:port; every read and write gives up after `timeout`.
  explicit RawClient(std::uint16_t port, std::chrono::milliseconds timeout = 5s);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // A WebSocket upgrade request for `path`; `extra_headers` lines end in "\r\n" each, and
  // replace the defaults named in `omit` (a comma list of header names to leave out).
  static std::string upgrade_request(std::string_view path = "/echo",
                                     std::string_view extra_headers = {},
                                     std::string_view omit = {});

  // Sends the upgrade request followed by `trailing` in one write, reads the response and throws
  // unless it is a 101 with the right Upgrade, Connection and Sec-WebSocket-Accept.
  void handshake(std::string_view path = "/echo", std::string_view trailing = {});

  // One write loop for all of `bytes` (as few write() calls as the kernel allows).
  void send(std::string_view bytes);
  // Like send(), but returns false instead of throwing when the server has gone away.
  bool try_send(std::string_view bytes);
  // One write() per byte.
  void send_bytewise(std::string_view bytes);
  void send_frame(const FrameSpec& spec) { send(build_frame(spec)); }
  void send_frame(std::uint8_t opcode, std::string_view payload, bool fin = true) {
    send(client_frame(opcode, payload, fin));
  }

  // Reads an HTTP response head and its Content-Length body.
  HttpResponse read_http_response();
  // The next server frame; nullopt when the server closed TCP (FIN or RST) first. Throws on
  // timeout or when the frame is cut short by the close.
  std::optional<Frame> read_frame();
  // Frames until a close frame (returned) or TCP close (nullopt); data frames are skipped.
  std::optional<Frame> read_until_close_frame();
  // Waits for the server to close TCP, discarding nothing: any byte that arrives is DataArrived.
  TcpEnd wait_tcp_end();

  int fd() const { return fd_; }

 private:
  // Ensures `n` buffered bytes; false if the peer closed first. Throws on timeout.
  bool fill(std::size_t n);
  // One recv() into the buffer: >0 bytes read, 0 closed, -1 reset; throws on timeout.
  long recv_some();

  int fd_ = -1;
  std::string in_;
  std::size_t pos_ = 0;
};

}  // namespace wisp::test
