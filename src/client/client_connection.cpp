#include "client/client_connection.hpp"

#include <algorithm>
#include <charconv>
#include <random>
#include <stdexcept>

#include "client/backoff.hpp"
#include "client/connections.hpp"
#include "protocol/client_handshake.hpp"
#include "protocol/frame.hpp"

namespace wisp::client {
namespace {

using std::chrono::milliseconds;

constexpr std::size_t max_refusal_body = 64 * 1024;

net::EventLoop& loop() { return *net::EventLoop::current(); }

std::unique_ptr<net::TlsSession> tls_session(const Plan& plan) {
  return plan.tls ? std::make_unique<net::TlsSession>(*plan.tls, plan.url.host) : nullptr;
}

// Masking keys: RFC 6455 §10.3 wants them unpredictable to whoever sees the traffic, so that a
// client cannot be made to send chosen bytes to an intermediary. A per-thread Mersenne twister
// seeded from the system's entropy: random enough for that, and no system call per frame.
std::uint32_t mask_key() {
  thread_local std::mt19937 random(std::random_device{}());
  return static_cast<std::uint32_t>(random());
}

// Scratch for one frame being built, one inflated message, one deflated message: per thread, as
// each is used up before the next is made.
std::string& frame_scratch() {
  thread_local std::string scratch;
  return scratch;
}

std::string& inflate_scratch() {
  thread_local std::string scratch;
  return scratch;
}

std::string& deflate_scratch() {
  thread_local std::string scratch;
  return scratch;
}

// The refusal's body size to read: its Content-Length, else all until the end of TCP; both
// capped, as the body is only for the error report.
std::size_t refusal_body_size(const protocol::ResponseHead& head) {
  const std::string_view text = head.header("content-length");
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return max_refusal_body;
  }
  return std::min(value, max_refusal_body);
}

}  // namespace

ClientConnection::ClientConnection(int fd, std::shared_ptr<const Plan> plan, Connections& owner)
    : net::Socket(fd, tls_session(*plan)),
      net::TimerNode(&ClientConnection::on_timer),
      plan_(std::move(plan)),
      owner_(owner) {
  owner_.add(*this);
  loop().timers().schedule(*this, plan_->settings.open_timeout);
  write(plan_->request);  // with TLS, held until the handshake is done
}

ClientConnection::~ClientConnection() { loop().timers().cancel(*this); }

// ---- the handshake -----------------------------------------------------------------------------

void ClientConnection::on_data(std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  switch (phase_) {
    case Phase::Handshake:
      return read_handshake(bytes);
    case Phase::Refused:
      return read_refusal(bytes);
    case Phase::Open:
    case Phase::Closing:  // still read: the server's close frame answers ours
      last_activity_ = loop().now();
      awaiting_pong_ = false;  // any bytes prove the server alive
      return reader_.consume(data, size, reader_config_, *this);
    case Phase::Done:
      return;
  }
}

void ClientConnection::read_handshake(std::string_view bytes) {
  head_.append(bytes);
  const protocol::ResponseScan scan = protocol::scan_response_head(head_);
  if (scan.status == protocol::ResponseScan::Status::Incomplete) return;
  if (scan.status == protocol::ResponseScan::Status::Error) {
    return fail({.message = "invalid handshake response: " + std::string(scan.error)});
  }
  const protocol::ResponseHead& head = scan.head;
  if (head.status != 101) {
    refusal_status_ = head.status;
    refusal_line_ = std::to_string(head.status) + " " + std::string(head.reason);
    refusal_body_size_ = refusal_body_size(head);
    phase_ = Phase::Refused;
    const std::string body = head_.substr(scan.size);
    head_.clear();
    return read_refusal(body);
  }
  protocol::HandshakeResult result = protocol::check_upgrade_response(
      head, plan_->key, plan_->settings.subprotocols, plan_->deflate);
  if (!result.ok()) return fail({.message = "invalid handshake response: " + result.error});
  subprotocol_ = std::move(result.subprotocol);
  deflate_ = result.deflate;
  const std::string rest = head_.substr(scan.size);  // frames right behind the 101
  head_ = std::string();
  open(rest);
}

// The body of a refused upgrade, up to its Content-Length (or the end of TCP), at most 64 KiB.
void ClientConnection::read_refusal(std::string_view bytes) {
  head_.append(bytes.substr(0, refusal_body_size_ - std::min(refusal_body_size_, head_.size())));
  if (head_.size() < refusal_body_size_) return;
  fail(
      {.message = "handshake refused: " + refusal_line_, .status = refusal_status_, .body = head_});
}

void ClientConnection::open(std::string_view rest) {
  const ClientSettings& settings = plan_->settings;
  reader_config_ = {.role = protocol::Role::Client,
                    .max_message_size = settings.max_message_size,
                    .compression = deflate_.has_value()};
  phase_ = Phase::Open;
  opened_ = true;
  plan_->failures = 0;
  last_activity_ = loop().now();
  loop().timers().cancel(*this);
  if (settings.ping_interval.count() > 0) loop().timers().schedule(*this, settings.ping_interval);
  if (plan_->handlers.open) plan_->handlers.open(*this);
  if (!rest.empty() && phase_ == Phase::Open) {
    std::string bytes(rest);  // the reader takes bytes it may write to
    on_data(reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size());
  }
}

void ClientConnection::fail(ConnectError error) {
  if (phase_ == Phase::Done) return;
  const std::shared_ptr<const Plan> plan = plan_;
  finish();
  attempt_failed(plan, owner_, error);
}

// ---- the frame reader's sink -------------------------------------------------------------------

bool ClientConnection::on_message(OpCode op, std::string_view message, bool compressed) {
  if (phase_ != Phase::Open) return true;  // after our close: read on for the server's
  if (compressed) {
    message = inflate(message, op);
    if (phase_ != Phase::Open) return false;
  }
  if (plan_->handlers.message) plan_->handlers.message(*this, message, op);
  return phase_ == Phase::Open || phase_ == Phase::Closing;
}

bool ClientConnection::on_ping(std::string_view payload) {
  if (phase_ != Phase::Open) return true;
  write_frame(OpCode::Pong, payload);
  if (plan_->handlers.ping) plan_->handlers.ping(*this, payload);
  return phase_ == Phase::Open || phase_ == Phase::Closing;
}

bool ClientConnection::on_pong(std::string_view payload) {
  if (phase_ != Phase::Open) return true;
  if (plan_->handlers.pong) plan_->handlers.pong(*this, payload);
  return phase_ == Phase::Open || phase_ == Phase::Closing;
}

// The server's close: answered with its code when it closes first (§5.5.1); then the server
// ends TCP (§7.1.1), or the close timeout does it for it.
void ClientConnection::on_close(int code, std::string_view reason) {
  if (phase_ == Phase::Open) {
    std::uint8_t payload[2];
    const std::size_t size = protocol::write_close_payload(payload, code, {});
    write_frame(OpCode::Close, {reinterpret_cast<const char*>(payload), size});
    enter_closed(code, reason);
  }
}

void ClientConnection::on_error(int code, std::string_view reason) {
  if (phase_ == Phase::Open) return fail_with_close(code, reason);
  finish();  // a broken frame while waiting for the server's close: nothing more to wait for
}

std::string_view ClientConnection::inflate(std::string_view compressed, OpCode op) {
  if (!inflater_)
    inflater_ = std::make_unique<protocol::Inflater>(deflate_->server_max_window_bits);
  std::string& out = inflate_scratch();
  const auto result = inflater_->inflate(compressed, out, plan_->settings.max_message_size,
                                         deflate_->server_no_context_takeover);
  const auto verdict = protocol::judge_inflated(result, op == OpCode::Text, out);
  if (verdict.code != 0) fail_with_close(verdict.code, verdict.reason);
  return out;
}

// ---- bytes out ---------------------------------------------------------------------------------

void ClientConnection::write_frame(OpCode op, std::string_view payload, bool compressed) {
  const protocol::FrameHeader header{.opcode = op,
                                     .rsv1 = compressed,
                                     .payload_size = payload.size(),
                                     .masked = true,
                                     .mask_key = mask_key()};
  const std::size_t size = protocol::frame_header_size(payload.size(), true) + payload.size();
  if (char* out = cork_space(size)) {  // an answer during a read
    protocol::write_frame(reinterpret_cast<std::uint8_t*>(out), header, payload);
    return;
  }
  std::string& frame = frame_scratch();
  frame.resize(size);
  protocol::write_frame(reinterpret_cast<std::uint8_t*>(frame.data()), header, payload);
  write(frame);
}

SendStatus ClientConnection::send(std::string_view message, OpCode op, bool compress) {
  if (!protocol::is_sendable(op, message.size())) {
    throw std::invalid_argument(protocol::unsendable_reason(op, message.size()));
  }
  if (phase_ != Phase::Open) return SendStatus::Dropped;
  if (buffered() > plan_->settings.max_backpressure) {
    ++dropped_;
    return SendStatus::Dropped;
  }
  if (compress && deflate_ && !protocol::is_control(op) &&
      message.size() >= plan_->settings.compression_threshold) {
    if (!deflater_) {
      deflater_ = std::make_unique<protocol::Deflater>(deflate_->client_max_window_bits, 8);
    }
    std::string& deflated = deflate_scratch();
    deflater_->deflate(message, deflated, deflate_->client_no_context_takeover);
    write_frame(op, deflated, true);
  } else {
    write_frame(op, message);
  }
  if (buffered() > 0) drain_wanted_ = true;
  return backpressured() ? SendStatus::Backpressure : SendStatus::Sent;
}

void ClientConnection::on_drained() {
  if (!drain_wanted_ || phase_ != Phase::Open) return;
  drain_wanted_ = false;
  if (plan_->handlers.drain) plan_->handlers.drain(*this);
}

// ---- closing -----------------------------------------------------------------------------------

void ClientConnection::close(int code, std::string_view reason) {
  if (const std::string why = protocol::unclosable_reason(code, reason); !why.empty()) {
    throw std::invalid_argument(why);
  }
  if (phase_ != Phase::Open) return;
  closed_here_ = true;
  fail_with_close(code, reason);
}

void ClientConnection::fail_with_close(int code, std::string_view reason) {
  std::uint8_t payload[protocol::max_control_payload];
  const std::size_t size = protocol::write_close_payload(payload, code, reason);
  write_frame(OpCode::Close, {reinterpret_cast<const char*>(payload), size});
  enter_closed(code, reason);
}

// Runs the close handler once; the connection then waits for the server to end TCP.
void ClientConnection::enter_closed(int code, std::string_view reason) {
  phase_ = Phase::Closing;
  close_code_ = code;
  close_reason_ = reason;
  loop().timers().schedule(*this, plan_->settings.close_timeout);
  if (plan_->handlers.close) plan_->handlers.close(*this, code, reason);
}

void ClientConnection::terminate() {
  closed_here_ = true;
  if (phase_ == Phase::Open) enter_closed(close_code::abnormal, {});
  finish();
}

void ClientConnection::on_end() {
  switch (phase_) {
    case Phase::Handshake: {
      const std::string why = tls_verify_error();
      return fail({.message = why.empty() ? "connection closed during the handshake"
                                          : "TLS certificate refused: " + why});
    }
    case Phase::Refused:
      refusal_body_size_ = head_.size();  // the body ends with TCP
      return read_refusal({});
    case Phase::Open:
      enter_closed(close_code::abnormal, {});
      return finish();
    case Phase::Closing:
    case Phase::Done:
      return finish();
  }
}

void ClientConnection::abandon() {
  phase_ = Phase::Done;
  loop().timers().cancel(*this);
  close_fd();
  owner_.remove(*this);
  loop().retire(this);
}

// The end of an opened connection is where reconnection starts, unless this side closed it.
void ClientConnection::finish() {
  if (phase_ == Phase::Done) return;
  abandon();
  if (opened_ && !closed_here_) reconnect(plan_, owner_, close_code_, close_reason_);
}

// ---- timers ------------------------------------------------------------------------------------

void ClientConnection::on_timer(net::TimerNode& node) {
  auto& self = static_cast<ClientConnection&>(node);
  switch (self.phase_) {
    case Phase::Handshake:
    case Phase::Refused:
      return self.fail({.message = "timed out waiting for the handshake response"});
    case Phase::Open:
      return self.check_keepalive();
    case Phase::Closing:
    case Phase::Done:
      return self.finish();  // the server never answered our close, or never hung up
  }
}

void ClientConnection::check_keepalive() {
  const ClientSettings& settings = plan_->settings;
  const auto since = std::chrono::duration_cast<milliseconds>(loop().now() - last_activity_);
  if (awaiting_pong_ && since >= settings.ping_interval + settings.pong_timeout) {
    return fail_with_close(close_code::internal_error, "keepalive ping timeout");
  }
  if (!awaiting_pong_ && since >= settings.ping_interval) {
    write_frame(OpCode::Ping, {});
    awaiting_pong_ = true;
    return loop().timers().schedule(*this, settings.pong_timeout);
  }
  const milliseconds next =
      awaiting_pong_ ? settings.ping_interval + settings.pong_timeout : settings.ping_interval;
  loop().timers().schedule(*this, std::max(next - since, milliseconds(1)));
}

}  // namespace wisp::client
