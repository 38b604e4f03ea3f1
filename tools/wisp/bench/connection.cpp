#include "connection.hpp"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "frames.hpp"
#include "protocol/client_handshake.hpp"
#include "protocol/frame.hpp"
#include "protocol/handshake.hpp"

namespace wisp::tool::bench {
namespace {

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); });
}

// The values of header `name` (lower case, with its colon) in a response head, trimmed, joined
// with ", " when it appears more than once.
std::string header_value(std::string_view head, std::string_view name) {
  std::string value;
  for (std::size_t at = head.find("\r\n"); at != std::string_view::npos;) {
    const std::size_t line = at + 2;
    at = head.find("\r\n", line);
    std::string_view text = head.substr(line, at == std::string_view::npos ? at : at - line);
    if (!starts_with_ci(text, name)) continue;
    text.remove_prefix(name.size());
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    value.append(value.empty() ? "" : ", ").append(text);
  }
  return value;
}

// Replies compressed without context takeover share one inflater (its window fits any server's).
protocol::Inflater& shared_inflater() {
  static protocol::Inflater inflater(15);
  return inflater;
}

// Scratch for inflated replies (a mode reads each before the next arrives) and deflated sends.
std::string& inflated_scratch() {
  static std::string scratch;
  return scratch;
}

std::string& deflated_scratch() {
  static std::string scratch;
  return scratch;
}

}  // namespace

Target::Target(const std::string& host, std::uint16_t port, const std::string& path, bool raw,
               Deflate deflate)
    : raw(raw) {
  server.sin_family = AF_INET;
  server.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &server.sin_addr) != 1) {
    throw std::invalid_argument("--host must be an IPv4 address");
  }
  const std::string key = protocol::random_handshake_key();  // one for the run: same bytes each
  accept = protocol::accept_key(key);
  request.append("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(host);
  request.append(":").append(std::to_string(port));
  request.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
  request.append(key).append("\r\nSec-WebSocket-Version: 13\r\n");
  if (deflate != Deflate::Off && !raw) {
    const bool alone = deflate == Deflate::Shared;
    this->deflate = {.server_no_context_takeover = alone, .client_no_context_takeover = alone};
    request.append("Sec-WebSocket-Extensions: ").append(protocol::deflate_offer(*this->deflate));
    request.append("\r\n");
  }
  request.append("\r\n");
  // A raw echo returns our masked frames: the server role's reader unmasks and checks them.
  reader = {.role = raw ? protocol::Role::Server : protocol::Role::Client,
            .max_message_size = std::uint64_t{1} << 30,
            .compression = this->deflate.has_value()};
}

void Connection::connect(in_addr source) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return end(std::strerror(errno));
  const int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (source.s_addr != htonl(INADDR_ANY)) {
    // The port is chosen at connect(), per destination: each local address has its own
    // ephemeral range, which is how the load passes ~28,000 connections to one server port.
    setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in local{.sin_family = AF_INET, .sin_port = 0, .sin_addr = source, .sin_zero = {}};
    if (bind(fd_, reinterpret_cast<const sockaddr*>(&local), sizeof local) < 0) {
      return end(std::strerror(errno));
    }
  }
  state_ = State::Connecting;
  opened_ = false;
  tls_.reset();
  reader_ = {};
  out_.clear();
  out_sent_ = 0;
  deflate_.reset();
  deflater_.reset();
  inflater_.reset();
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&target_.server), sizeof target_.server) <
          0 &&
      errno != EINPROGRESS) {
    return end(std::strerror(errno));
  }
  want_write_ = true;  // the connect's outcome shows as writability
  poller_.add(fd_, *this, EPOLLIN | EPOLLOUT);
}

void Connection::send_frame(OpCode op, std::string_view payload) {
  append_masked_frame(out_, op, payload);
}

void Connection::send_message(OpCode op, std::string_view payload) {
  if (!deflate_) return send_frame(op, payload);
  if (!deflater_) {
    deflater_ = std::make_unique<protocol::Deflater>(deflate_->client_max_window_bits, 8);
  }
  std::string& deflated = deflated_scratch();
  deflater_->deflate(payload, deflated, deflate_->client_no_context_takeover);
  append_masked_frame(out_, op, deflated, true);
}

void Connection::flush() {
  while (out_sent_ < out_.size()) {
    const ssize_t n = transmit(out_.data() + out_sent_, out_.size() - out_sent_);
    if (n < 0) {
      if (errno == EAGAIN) break;
      return end(std::strerror(errno));
    }
    out_sent_ += static_cast<std::size_t>(n);
  }
  if (out_sent_ == out_.size()) {
    out_.clear();
    out_sent_ = 0;
  }
  want_write(!out_.empty());
}

void Connection::close() {
  if (state_ != State::Open) return;
  std::uint8_t payload[2];
  protocol::write_close_payload(payload, close_code::normal, {});
  send_frame(OpCode::Close, {reinterpret_cast<const char*>(payload), sizeof payload});
  state_ = State::Closing;
  flush();
}

void Connection::on_poll(std::uint32_t events) {
  if (state_ == State::Done || state_ == State::Idle) return;  // closed earlier in this batch
  if (state_ == State::Connecting) return on_connected();
  if (state_ == State::TlsHandshake) return continue_tls_handshake();
  if ((events & EPOLLOUT) && !out_.empty()) flush();
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable();
  if (state_ != State::Done && !out_.empty()) flush();
}

void Connection::on_connected() {
  int error = 0;
  socklen_t size = sizeof error;
  getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size);
  if (error) return end(std::strerror(error));
  if (!target_.tls) return begin_protocol();
  tls_ = std::make_unique<TlsStream>(fd_);
  state_ = State::TlsHandshake;
  continue_tls_handshake();
}

void Connection::continue_tls_handshake() {
  switch (tls_->handshake()) {
    case TlsStream::Step::Done:
      return begin_protocol();
    case TlsStream::Step::WantRead:
      return want_write(false);
    case TlsStream::Step::WantWrite:
      return want_write(true);
    case TlsStream::Step::Failed:
      return end("TLS handshake failed");
  }
}

// The transport is up: a WebSocket upgrade, or open at once (raw echo, HTTP).
void Connection::begin_protocol() {
  if (target_.raw || target_.http) {
    want_write(false);
    return open();
  }
  state_ = State::Handshake;
  send(target_.request);
  flush();
}

ssize_t Connection::transmit(const char* data, std::size_t size) {
  if (tls_) return tls_->send(data, size);
  return ::send(fd_, data, size, MSG_NOSIGNAL);
}

ssize_t Connection::receive(std::uint8_t* data, std::size_t size) {
  if (tls_) return tls_->receive(data, size);
  return ::recv(fd_, data, size, 0);
}

void Connection::on_readable() {
  std::uint8_t* const buffer = poller_.read_buffer();
  for (;;) {
    const ssize_t n = receive(buffer, Poller::read_buffer_size);
    if (n == 0) {
      return end(state_ == State::Closing ? "" : "connection closed by the server");
    }
    if (n < 0) {
      if (errno != EAGAIN) end(std::strerror(errno));
      return;
    }
    std::size_t used = 0;
    if (state_ == State::Handshake) used = read_handshake(buffer, static_cast<std::size_t>(n));
    if (target_.http && state_ == State::Open) {
      events_.on_bytes(*this, {reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(n)});
    } else if (state_ == State::Open || state_ == State::Closing) {
      reader_.consume(buffer + used, static_cast<std::size_t>(n) - used, target_.reader, *this);
    }
    // A short read emptied the socket; TLS reads a record at a time, so it reads until EAGAIN.
    if (state_ == State::Done || (!tls_ && static_cast<std::size_t>(n) < Poller::read_buffer_size))
      return;
  }
}

// Gathers the response head; a 101 with the right Sec-WebSocket-Accept opens the connection.
// Returns how many bytes of `data` belong to the head (the rest are frames).
std::size_t Connection::read_handshake(const std::uint8_t* data, std::size_t size) {
  const std::size_t before = handshake_.size();
  handshake_.append(reinterpret_cast<const char*>(data), size);
  const std::size_t end_of_head = handshake_.find("\r\n\r\n");
  if (end_of_head == std::string::npos) {
    if (handshake_.size() > 16384) end("handshake response over 16 KiB");
    return size;
  }
  const std::string_view head(handshake_.data(), end_of_head + 2);
  if (!head.starts_with("HTTP/1.1 101 ")) {
    std::string why = "upgrade refused: ";
    end(why.append(head.substr(0, head.find('\r'))));
    return size;
  }
  if (header_value(head, "sec-websocket-accept:") !=
      std::string_view(target_.accept.data(), target_.accept.size())) {
    end("wrong Sec-WebSocket-Accept");
    return size;
  }
  if (!agree_deflate(head)) return size;
  std::string().swap(handshake_);
  open();
  return end_of_head + 4 - before;
}

// With an offer made, the server's Sec-WebSocket-Extensions must accept it validly.
bool Connection::agree_deflate(std::string_view head) {
  if (!target_.deflate) return true;
  const std::string answer = header_value(head, "sec-websocket-extensions:");
  const protocol::DeflateResponse response =
      protocol::accept_deflate_response(answer, *target_.deflate);
  if (!response.valid) {
    end("invalid permessage-deflate response: " + answer);
    return false;
  }
  if (!response.agreement) {
    end("permessage-deflate declined");
    return false;
  }
  deflate_ = response.agreement;
  return true;
}

protocol::Inflater& Connection::inflater() {
  if (deflate_->server_no_context_takeover) return shared_inflater();
  if (!inflater_)
    inflater_ = std::make_unique<protocol::Inflater>(deflate_->server_max_window_bits);
  return *inflater_;
}

void Connection::open() {
  state_ = State::Open;
  opened_ = true;
  events_.on_open(*this);
}

bool Connection::on_message(OpCode op, std::string_view payload, bool compressed) {
  if (compressed) {  // the reader passes RSV1 only when permessage-deflate was offered
    std::string& inflated = inflated_scratch();
    const auto result = inflater().inflate(payload, inflated, target_.reader.max_message_size,
                                           deflate_->server_no_context_takeover);
    if (result != protocol::Inflater::Result::Ok) {
      end(result == protocol::Inflater::Result::TooBig ? "compressed message too big"
                                                       : "corrupt deflate data");
      return false;
    }
    payload = inflated;
    ++inflated_;
  }
  if (state_ == State::Open) events_.on_message(*this, op, payload);
  return state_ == State::Open || state_ == State::Closing;
}

bool Connection::on_ping(std::string_view payload) {
  send_frame(OpCode::Pong, payload);
  return true;
}

// The server's close: the reply to ours, or its own (which we answer, and report as an error).
void Connection::on_close(int code, std::string_view reason) {
  if (state_ == State::Closing) return;  // the server hangs up next
  std::uint8_t payload[2];
  const std::size_t size = protocol::write_close_payload(payload, code, {});
  send_frame(OpCode::Close, {reinterpret_cast<const char*>(payload), size});
  flush();
  std::string why = "closed by the server: ";
  why.append(std::to_string(code)).append(" ").append(reason);
  end(why);
}

void Connection::on_error(int code, std::string_view reason) {
  std::string why = "protocol error (";
  why.append(std::to_string(code)).append("): ").append(reason);
  end(why);
}

void Connection::end(std::string_view error) {
  if (state_ == State::Done) return;
  tls_.reset();
  if (fd_ >= 0) ::close(fd_);  // closing leaves the epoll set too
  fd_ = -1;
  state_ = State::Done;
  std::string().swap(out_);
  std::string().swap(handshake_);
  events_.on_end(*this, error);
}

void Connection::want_write(bool want) {
  if (want == want_write_ || fd_ < 0) return;
  want_write_ = want;
  poller_.modify(fd_, *this, EPOLLIN | (want ? EPOLLOUT : 0u));
}

}  // namespace wisp::tool::bench
