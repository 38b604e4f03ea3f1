#include "net/socket.hpp"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "net/tls.hpp"

namespace wisp::net {

void WriteBuffer::append(std::string_view bytes) {
  if (bytes.empty()) return;
  if (!pending_) pending_ = std::make_unique<Pending>();
  pending_->bytes.append(bytes);
}

void WriteBuffer::consume(std::size_t count) {
  pending_->head += count;
  if (pending_->head == pending_->bytes.size()) pending_.reset();
}

std::size_t tls_pending_size(const TlsSession& session) { return session.pending.size(); }

Socket::Socket(int fd) : Socket(fd, nullptr) {}

Socket::Socket(int fd, const TlsContext* tls)
    : fd_(fd), tls_(tls ? std::make_unique<TlsSession>(*tls) : nullptr) {
  EventLoop::current()->add(fd_, *this, EPOLLIN);
}

Socket::Socket(int fd, std::unique_ptr<TlsSession> tls) : fd_(fd), tls_(std::move(tls)) {
  EventLoop::current()->add(fd_, *this, EPOLLIN);
  if (!tls_) return;
  tls_->start();
  send_tls_output();
}

Socket::~Socket() { close_fd(); }

std::string Socket::tls_verify_error() const { return tls_ ? tls_->verify_error() : std::string(); }

void Socket::on_poll(std::uint32_t events) {
  if (fd_ < 0) return;  // closed earlier in this batch of events
  if (events & EPOLLOUT) {
    write_buffered();
    if (file_ && fd_ >= 0 && queue_empty()) pump_file();
  }
  if (fd_ >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) read_once();
}

// One read per readiness event: the poll is level-triggered, so anything left is reported again
// on the next iteration, and a busy socket cannot starve the others.
void Socket::read_once() {
  if (tls_) return read_tls();
  EventLoop& loop = *EventLoop::current();
  const ssize_t n = ::read(fd_, loop.read_buffer(), EventLoop::read_buffer_size);
  if (n > 0) {
    loop.cork(*this);
    on_data(loop.read_buffer(), static_cast<std::size_t>(n));
    if (loop.corked() == this) loop.uncork();
  } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
    on_end();
  }
}

// TLS: ciphertext is read into the upper half of the loop's read buffer and decrypted into the
// lower half, so that a TLS socket needs no buffer of its own. One read may hold many records.
// Each batch of plaintext goes to the loop's buffer of that moment: a handler may have kept the
// last one (EventLoop::read_buffers()), which still holds the ciphertext, in its upper half.
void Socket::read_tls() {
  EventLoop& loop = *EventLoop::current();
  constexpr std::size_t half = EventLoop::read_buffer_size / 2;
  std::uint8_t* const cipher = loop.read_buffer() + half;
  const ssize_t n = ::read(fd_, cipher, half);
  if (n <= 0) {
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) on_end();
    return;
  }
  tls_->feed(cipher, static_cast<std::size_t>(n));
  loop.cork(*this);
  TlsSession::Decrypted got;
  do {
    std::uint8_t* const plain = loop.read_buffer();
    got = tls_->decrypt(plain, half);
    send_tls_output();  // handshake messages, tickets, key updates, alerts
    if (got.size > 0) on_data(plain, got.size);
    if (fd_ < 0) return;  // the handler closed the socket (which also uncorked it)
  } while (got.status == TlsSession::Status::more);
  if (loop.corked() == this) loop.uncork();
  using enum TlsSession::Status;
  if (got.status == closed || got.status == failed) return on_end();
  if (!tls_->pending.empty() && tls_->established()) write_buffered();  // held by the handshake
}

void Socket::write(std::string_view first, std::string_view second) {
  if (fd_ < 0 || write_failed_) return;
  if (file_) {
    file_->after.append(first);
    file_->after.append(second);
    return;
  }
  EventLoop& loop = *EventLoop::current();
  if (loop.corked() == this) {
    CorkBuffer& cork = loop.cork_buffer();
    const std::size_t size = first.size() + second.size();
    if (cork.size() + size > EventLoop::cork_buffer_size && !cork.empty()) {
      flush_cork(cork.view());
      cork.clear();
    }
    if (size <= EventLoop::cork_buffer_size) {
      cork.append(first);
      cork.append(second);
      return;
    }
    return send_now(first, second);
  }
  if (defers_to_arena()) return defer(loop.stage(first, second));
  WriteBuffer& later = tls_ ? tls_->pending : out_;  // TLS: encrypted all at once at the flush
  later.append(first);
  later.append(second);
  if (!flush_pending_ && !watching_writable_) {  // a backpressured socket flushes when writable
    flush_pending_ = true;
    loop.flush_later(*this);
  }
}

char* Socket::cork_space(std::size_t size) {
  EventLoop& loop = *EventLoop::current();
  if (loop.corked() != this || fd_ < 0 || write_failed_ || file_ ||
      size > EventLoop::cork_buffer_size) {
    return nullptr;
  }
  CorkBuffer& cork = loop.cork_buffer();
  if (cork.size() + size > EventLoop::cork_buffer_size) {
    flush_cork(cork.view());
    cork.clear();
  }
  return cork.grow(size);  // not zero-filled: the caller writes all of it
}

// A plain socket with nothing queued in the kernel's way: its deferred bytes live in the arena.
bool Socket::defers_to_arena() const {
  return !tls_ && out_.empty() && !watching_writable_ && !file_;
}

void Socket::write_staged(EventLoop::Staged bytes) {
  if (fd_ < 0 || write_failed_) return;
  EventLoop& loop = *EventLoop::current();
  if (loop.corked() == this || !defers_to_arena()) return write(loop.staged(bytes));
  defer(bytes);
}

// The bytes leave from the loop's arena at the end of the iteration (send_deferred).
void Socket::defer(EventLoop::Staged bytes) {
  constexpr std::size_t most = (1u << 24) - 1;  // what staged_ holds
  EventLoop::current()->defer(*this, bytes);
  flush_pending_ = true;
  staged_ = std::min(most, staged_ + bytes.size);
}

void Socket::send_deferred(const std::vector<std::string_view>& pieces) {
  flush_pending_ = false;
  staged_ = 0;
  if (fd_ < 0 || write_failed_) return;
  std::size_t at = 0;      // the first piece not wholly sent
  std::size_t offset = 0;  // how much of it was
  while (out_.empty() && at < pieces.size()) {
    iovec iov[64];
    std::size_t count = 0, batch = 0;
    for (; count < 64 && at + count < pieces.size(); ++count) {
      const std::string_view piece = pieces[at + count].substr(count == 0 ? offset : 0);
      iov[count] = {const_cast<char*>(piece.data()), piece.size()};
      batch += piece.size();
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      write_failed_ = true;  // the read side sees the end and reports it
      return;
    }
    for (std::size_t sent = n < 0 ? 0 : static_cast<std::size_t>(n); sent > 0;) {
      const std::size_t rest = pieces[at].size() - offset;
      if (sent < rest) {
        offset += sent;
        break;
      }
      sent -= rest;
      offset = 0;
      ++at;
    }
    if (n < 0 || static_cast<std::size_t>(n) < batch) break;  // the kernel is full
  }
  for (; at < pieces.size(); ++at, offset = 0) out_.append(pieces[at].substr(offset));
  // A file waiting behind these bytes goes on from on_poll: its end runs the owner's code, which
  // may stage bytes, and the loop is in the middle of flushing its arena here.
  if (!out_.empty() || file_) watch_writable(true);
  if (!out_.empty()) check_backlog();
  if (shutdown_pending_) finish_shutdown();
}

void Socket::flush_deferred() {
  flush_pending_ = false;
  if (fd_ >= 0 && !watching_writable_) write_buffered();
}

void Socket::flush_cork(std::string_view bytes) {
  send_now(bytes, {});
  if (shutdown_pending_) finish_shutdown();
}

void Socket::send_now(std::string_view first, std::string_view second) {
  if (tls_) return send_tls(first, second);
  send_raw(first, second);
}

// Plaintext waiting from earlier writes goes first; everything leaves in one send.
void Socket::send_tls(std::string_view first, std::string_view second) {
  if (fd_ < 0 || write_failed_) return;
  if (!tls_->established()) {  // a write before the handshake ended (from a timer, say)
    tls_->pending.append(first);
    tls_->pending.append(second);
    return;
  }
  const bool sealed =
      tls_->encrypt(tls_->pending.front()) && tls_->encrypt(first) && tls_->encrypt(second);
  tls_->pending.clear();
  if (!sealed) write_failed_ = true;  // the session is broken: its next read ends the socket
  send_tls_output();
}

void Socket::send_tls_output() {
  std::string& ciphertext = TlsSession::output();
  if (ciphertext.empty()) return;
  send_raw(ciphertext, {});
  ciphertext.clear();
}

void Socket::send_raw(std::string_view first, std::string_view second) {
  if (fd_ < 0 || write_failed_) return;
  if (flush_pending_) {  // pieces wait in the arena: these go behind them
    return defer(EventLoop::current()->stage(first, second));
  }
  if (!out_.empty()) {  // earlier bytes wait: keep the order
    out_.append(first);
    out_.append(second);
    return check_backlog();
  }
  iovec iov[2] = {{const_cast<char*>(first.data()), first.size()},
                  {const_cast<char*>(second.data()), second.size()}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = second.empty() ? 1 : 2;
  ssize_t n =
      ::sendmsg(fd_, &msg, MSG_NOSIGNAL);  // MSG_NOSIGNAL: a gone peer is EPIPE, not SIGPIPE
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR) {
      write_failed_ = true;  // the read side sees the end and reports it
      return;
    }
    n = 0;
  }
  const auto written = static_cast<std::size_t>(n);
  if (written < first.size()) {
    out_.append(first.substr(written));
    out_.append(second);
  } else {
    out_.append(second.substr(written - first.size()));
  }
  if (out_.empty()) return;
  watch_writable(true);
  check_backlog();
}

// Sends what the socket holds; what the kernel refuses waits for EPOLLOUT.
void Socket::write_buffered() {
  if (tls_ && !tls_->pending.empty()) send_tls({}, {});
  while (!out_.empty()) {
    const std::string_view pending = out_.front();
    const ssize_t n = ::send(fd_, pending.data(), pending.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        watch_writable(true);
        return check_backlog();
      }
      write_failed_ = true;
      out_.clear();
      set_backlogged(false);  // reading goes on, and sees the end
      return watch_writable(false);
    }
    out_.consume(static_cast<std::size_t>(n));
  }
  set_backlogged(false);
  if (file_) return watch_writable(true);  // on_poll goes on with the file (see send_deferred)
  watch_writable(false);
  if (shutdown_pending_) finish_shutdown();
  on_drained();
}

void Socket::shutdown_write() {
  shutdown_pending_ = true;
  // A corked socket with corked bytes shuts down when they leave, at uncork (which only flushes a
  // socket that has something to send).
  EventLoop& loop = *EventLoop::current();
  if (loop.corked() != this || loop.cork_buffer().empty()) finish_shutdown();
}

void Socket::finish_shutdown() {
  if (shut_down_ || fd_ < 0 || buffered() != 0 || flush_pending_ || file_) return;
  if (tls_) {
    tls_->close_notify();  // once; a partial send brings us back here when the rest is out
    send_tls_output();
    if (!out_.empty()) return;
  }
  ::shutdown(fd_, SHUT_WR);
  shut_down_ = true;
}

void Socket::close_fd() {
  if (fd_ < 0) return;
  EventLoop& loop = *EventLoop::current();
  if (loop.corked() == this) {
    loop.cork_buffer().clear();
    loop.uncork();
  }
  if (tls_ && out_.empty()) {  // best effort: a close_notify that fits in the socket buffer now
    tls_->close_notify();
    send_tls_output();
  }
  set_backlogged(false);
  loop.remove(fd_);
  ::close(fd_);
  fd_ = -1;
  out_.clear();
  file_.reset();
}

// Called when the backlog grew or shrank. A TLS socket is never paused during its handshake: it
// must read for the handshake to end, and nothing it holds then is an answer to its peer.
void Socket::check_backlog() {
  const BacklogMarks marks = backlog_marks();
  const std::size_t held = buffered();
  if (held > marks.high && (!tls_ || tls_->established())) {
    set_backlogged(true);
  } else if (held <= marks.low) {
    set_backlogged(false);
  }
  watch_writable(watching_writable_);
}

void Socket::set_backlogged(bool on) {
  if (backlogged_ == on) return;
  backlogged_ = on;
  on_input_paused(on);
}

// Reading pauses while a file waits for the peer to take more, and while the backlog is high.
void Socket::watch_writable(bool on) {
  const bool paused = (on && file_) || backlogged_;
  if (fd_ < 0 || (watching_writable_ == on && reading_paused_ == paused)) return;
  watching_writable_ = on;
  reading_paused_ = paused;
  const std::uint32_t events =
      (paused ? 0u : std::uint32_t{EPOLLIN}) | (on ? std::uint32_t{EPOLLOUT} : 0u);
  EventLoop::current()->modify(fd_, *this, events);
}

}  // namespace wisp::net
