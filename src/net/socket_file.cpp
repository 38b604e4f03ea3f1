// Socket::send_file: a file after the bytes written before it, with sendfile(2) on plain TCP and
// one TLS record at a time otherwise, never more than a bounded share per loop iteration.
#include <pthread.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>

#include "net/socket.hpp"
#include "net/tls.hpp"

namespace wisp::net {
namespace {

// What one socket may send of a file per loop iteration before the others get their turn.
constexpr std::size_t share_per_iteration = 1 << 20;
// The plaintext of TLS's largest record: the most of a file a TLS socket holds at a time.
constexpr std::size_t record_size = 16 * 1024;

// sendfile(2) has no MSG_NOSIGNAL: writing to a peer that is gone raises SIGPIPE, which ends
// the process by default. Around each call the signal is blocked on this thread, and one the call
// may have raised (it can also return a short count then) is taken before the mask is restored,
// unless the thread blocked it already.
class PipeSignalBlocked {
 public:
  PipeSignalBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
  }
  ~PipeSignalBlocked() {
    if (sigismember(&previous_, SIGPIPE)) return;
    if (take_pending_) {
      const timespec now{0, 0};
      sigtimedwait(&pipe_, nullptr, &now);
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  PipeSignalBlocked(const PipeSignalBlocked&) = delete;
  PipeSignalBlocked& operator=(const PipeSignalBlocked&) = delete;

  // At the end, take a SIGPIPE if one is pending: the call may have raised it.
  void take_pending() { take_pending_ = true; }

 private:
  sigset_t pipe_;
  sigset_t previous_;
  bool take_pending_ = false;
};

}  // namespace

void Socket::send_file(UniqueFd file, std::uint64_t offset, std::uint64_t length) {
  if (fd_ < 0 || write_failed_) return;
  file_ = std::make_unique<FileSend>(FileSend{std::move(file), offset, length, length, {}});
  EventLoop& loop = *EventLoop::current();
  if (loop.corked() == this && !loop.cork_buffer().empty()) {  // the head, say: it goes first
    flush_cork(loop.cork_buffer().view());
    loop.cork_buffer().clear();
  }
  if (queue_empty()) return pump_file();
  // Otherwise the file follows once the bytes before it are out, from on_poll.
  if (!out_.empty()) watch_writable(true);
}

bool Socket::file_progressed() {
  if (!file_) return false;
  const bool moved = file_->left != file_->left_at_check;
  file_->left_at_check = file_->left;
  return moved;
}

bool Socket::queue_empty() const {
  return out_.empty() && !flush_pending_ && (!tls_ || tls_->pending.empty());
}

// Sends the file while the kernel takes it, up to this iteration's share; then waits for the
// socket to be writable (at once, when only the share ran out).
void Socket::pump_file() {
  std::size_t budget = share_per_iteration;
  while (file_->left > 0) {
    if (fd_ < 0 || write_failed_) return fail_file();
    const std::size_t sent = tls_ ? send_file_record() : send_file_direct(budget);
    if (!file_) return;  // failed
    budget -= std::min(budget, sent);
    if (sent == 0 || budget == 0 || !out_.empty()) return watch_writable(true);
  }
  end_file();
}

std::size_t Socket::send_file_direct(std::size_t budget) {
  auto offset = static_cast<off_t>(file_->offset);
  const std::size_t count = std::min<std::uint64_t>(file_->left, budget);
  ssize_t n;
  int error;  // kept apart from errno, which restoring the signal mask may change
  {
    PipeSignalBlocked blocked;
    n = ::sendfile(fd_, file_->file.get(), &offset, count);
    error = errno;
    if (n != static_cast<ssize_t>(count)) blocked.take_pending();  // short or failed
  }
  if (n < 0 && (error == EAGAIN || error == EINTR)) return 0;
  if (n <= 0) {  // the peer is gone, or the file shrank under us
    fail_file();
    return 0;
  }
  file_->offset += static_cast<std::uint64_t>(n);
  file_->left -= static_cast<std::uint64_t>(n);
  return static_cast<std::size_t>(n);
}

// Reads one record's worth, encrypts it and sends it; what the kernel refuses waits in out_.
std::size_t Socket::send_file_record() {
  thread_local std::array<char, record_size> chunk;
  const std::size_t count = std::min<std::uint64_t>(file_->left, chunk.size());
  const ssize_t n =
      ::pread(file_->file.get(), chunk.data(), count, static_cast<off_t>(file_->offset));
  if (n < 0 && errno == EINTR) return 0;
  if (n <= 0 || !tls_->encrypt({chunk.data(), static_cast<std::size_t>(n)})) {
    fail_file();
    return 0;
  }
  file_->offset += static_cast<std::uint64_t>(n);
  file_->left -= static_cast<std::uint64_t>(n);
  send_tls_output();
  return static_cast<std::size_t>(n);
}

// The file is out: what was written meanwhile follows, reading resumes, and the owner hears of it.
void Socket::end_file() {
  const std::unique_ptr<FileSend> done = std::move(file_);
  (tls_ ? tls_->pending : out_).append(done->after.front());
  EventLoop& loop = *EventLoop::current();
  const bool cork_here = loop.corked() != this;
  if (cork_here) loop.cork(*this);
  on_file_sent();
  if (fd_ < 0) return;
  if (cork_here && loop.corked() == this) loop.uncork();
  write_buffered();
}

// The peer cannot get the bytes it was promised: end the connection; reading resumes and
// reports the end.
void Socket::fail_file() {
  file_.reset();
  write_failed_ = true;
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
  watch_writable(false);
}

}  // namespace wisp::net
