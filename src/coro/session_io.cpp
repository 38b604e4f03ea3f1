// A session's messages: received ones handed to the waiting receive (or queued for the next),
// sends that wait while the socket is over its high-water mark.
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "coro/session_access.hpp"
#include "net/event_loop.hpp"
#include "server/connection.hpp"

namespace wisp {
namespace {

constexpr std::size_t kQueuedHead = 5;  // an opcode byte and a 4-byte length

}  // namespace

// ---- receiving

// A memcpy, not std::string::assign (60 instructions more per message: it checks for an
// overlapping source, and grows by the exact size).
// (Messages are at most ReaderConfig's max_message_size: a 32-bit capacity.)
void Session::keep(std::string_view bytes, OpCode op) {
  if (bytes.size() > own_capacity_) {
    own_capacity_ =
        static_cast<std::uint32_t>(std::max<std::size_t>(bytes.size(), 2 * own_capacity_));
    own_ = std::make_unique_for_overwrite<char[]>(own_capacity_);
  }
  if (!bytes.empty()) std::memcpy(own_.get(), bytes.data(), bytes.size());
  current_ = {own_.get(), bytes.size()};
  current_op_ = op;
}

[[gnu::noinline]] void Session::release_read_buffer() {
  static_cast<net::EventLoop*>(loop_)->read_buffers().release(
      static_cast<std::uint8_t*>(std::exchange(kept_read_, nullptr)));
}

Message Session::take_message() {
  const char* head = backlog_.data() + backlog_at_;
  std::uint32_t size = 0;
  std::memcpy(&size, head + 1, sizeof size);
  keep({head + kQueuedHead, size}, static_cast<OpCode>(head[0]));
  backlog_at_ += kQueuedHead + size;
  if (backlog_at_ == backlog_.size()) {  // keeps its capacity: no allocation once warm
    backlog_.clear();
    backlog_at_ = 0;
  }
  return current();
}

bool Session::ReceiveAwaiter::await_ready() {
  Session& s = session_;
  s.check_thread();
  if (s.receiver_ || s.phase_ == Phase::Deciding) [[unlikely]]
    s.throw_cannot_receive();
  s.let_go_of_read();  // the last message is valid until now
  return !s.backlog_.empty() || s.phase_ == Phase::Closed;
}

void Session::throw_cannot_receive() const {
  if (receiver_) throw std::logic_error("wisp::Session: one receive at a time");
  throw std::logic_error("wisp::Session::receive: accept() first");
}

Message Session::ReceiveAwaiter::take_queued() {
  Session& s = session_;
  if (!s.backlog_.empty()) return s.take_message();
  s.throw_disconnected();
}

json Session::JsonAwaiter::await_resume() {
  const Message message = ReceiveAwaiter::await_resume();
  if (message.op != OpCode::Text) throw MessageTypeError(message.op);
  return json::parse(message.data);
}

Task<std::string_view> Session::receive_text(std::chrono::milliseconds limit) {
  co_return co_await with_timeout(limit, receive_text());
}

Task<Message> Session::receive(std::chrono::milliseconds limit) {
  co_return co_await with_timeout(limit, receive());
}

// A waiting receive gets the message where the read left it if it lies in the loop's read
// buffer (it came whole in one read, uncompressed): most coroutines consume it at once, inside
// this call, and come back to their next receive. One that waits for something else holding
// it keeps the read's buffer instead (the loop reads into another), until its next receive.
// Past the loop's few kept buffers, or for a message assembled elsewhere, it is copied.
void detail::SessionAccess::received(Session& s, std::string_view message, OpCode op) {
  s.sent_uncounted_ = 0;  // a read's writes are corked and counted as they go
  if (Session::ReceiveAwaiter* receiver = std::exchange(s.receiver_, nullptr)) {
    const net::ReadBuffers& reads = static_cast<net::EventLoop*>(s.loop_)->read_buffers();
    if (!reads.holds(message.data()) || !reads.can_keep()) {
      s.keep(message, op);
      receiver->delivered_ = true;
      receiver->handle.resume();
      return;
    }
    s.current_ = message;
    s.current_op_ = op;
    s.in_read_ = true;
    const server::Connection& socket = server::Connection::of(*s.socket_);
    receiver->delivered_ = true;
    receiver->handle.resume();
    // Once the socket closed, closed() kept the buffer if needed (and the session may be gone).
    if (!socket.closed() && s.in_read_ && !s.kept_read_) s.keep_read_buffer();
    return;
  }
  if (s.backlog_.size() - s.backlog_at_ + message.size() > s.options_.max_receive_backlog) {
    s.socket_->close(close_code::policy_violation, "receive backlog over limit");
    return;
  }
  const auto size = static_cast<std::uint32_t>(message.size());
  s.backlog_.push_back(static_cast<char>(op));
  s.backlog_.append(reinterpret_cast<const char*>(&size), sizeof size);
  s.backlog_.append(message);
}

// ---- sending

// Asked on every send: the connection's count itself, inline (WebSocket::buffered_amount() is a
// call that makes another).
bool Session::over_high_water() const {
  return server::Connection::of(*socket_).buffered() > options_.send_high_water;
}

bool Session::SendAwaiter::await_ready() {
  Session& s = session_;
  WebSocket& socket = s.open_socket("send");
  if (s.over_high_water() || s.sent_uncounted_ > s.options_.send_high_water) return false;
  status_ = server::Connection::of(socket).send(message_, op_, true);  // not through WebSocket's
  s.sent_uncounted_ += message_.size();
  return true;
}

void Session::SendAwaiter::await_suspend(std::coroutine_handle<> handle) {
  this->handle = handle;
  // Always past the end of this iteration first: bytes staged for it count as unsent but may all
  // be taken by the kernel then, with no drain to report. resume_yielded() sees what is left.
  session_.yield_to_loop(*this);
}

void Session::yield_to_loop(SendAwaiter& sender) {
  const bool first = yielded_.empty();
  yielded_.push(sender);
  if (!first) return;
  // A posted task runs after this iteration's writes went out (or were buffered and counted).
  static_cast<net::EventLoop*>(loop_)->post([session = weak_from_this()] {
    if (const auto s = session.lock()) s->resume_yielded();
  });
}

void Session::resume_yielded() {
  sent_uncounted_ = 0;
  if (phase_ != Phase::Closed && over_high_water()) {
    yielded_.move_all_to(drain_waiters_);
  } else {
    yielded_.wake_all();
  }
}

SendStatus Session::SendAwaiter::finish() {
  Session& s = session_;
  if (s.phase_ == Phase::Closed) s.throw_disconnected();
  if (!status_) {
    status_ = s.socket_->send(message_, op_);
    s.sent_uncounted_ += message_.size();
  }
  if (*status_ == SendStatus::Dropped && s.phase_ == Phase::Closed) s.throw_disconnected();
  return *status_;
}

}  // namespace wisp
