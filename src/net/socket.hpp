// A non-blocking TCP connection on an event loop: reads into the loop's buffer, writes through
// the loop's cork buffer or straight to the kernel, and keeps what the kernel refuses until the
// socket is writable again. Knows nothing of what the bytes mean, and may speak TLS: then the
// subclass still reads and writes plaintext.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/event_loop.hpp"
#include "net/unique_fd.hpp"

namespace wisp::net {

// Bytes accepted for a socket that the kernel has not taken yet. Holds no memory while empty,
// so an idle socket pays one pointer for it.
class WriteBuffer {
 public:
  bool empty() const { return !pending_; }
  std::size_t size() const { return pending_ ? pending_->bytes.size() - pending_->head : 0; }
  std::string_view front() const {
    return pending_ ? std::string_view(pending_->bytes).substr(pending_->head) : std::string_view();
  }
  void append(std::string_view bytes);
  void consume(std::size_t count);  // frees the memory once everything is consumed
  void clear() { pending_.reset(); }

 private:
  struct Pending {
    std::string bytes;
    std::size_t head = 0;
  };
  std::unique_ptr<Pending> pending_;
};

// Flow control: a socket holding more than `high` unsent bytes is not read until it holds no more
// than `low`, so that a peer sending faster than it reads is slowed by TCP instead of growing the
// socket's backlog.
struct BacklogMarks {
  std::size_t high;
  std::size_t low;
};

class TlsContext;
class TlsSession;
std::size_t tls_pending_size(const TlsSession& session);

class Socket : public Pollable {
 public:
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  int fd() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }
  bool is_tls() const { return tls_ != nullptr; }

  // Queues `first` then `second` for the peer. Order is kept across corked, direct and buffered
  // writes. After a write error (peer gone) further writes are discarded; the loop then reports
  // the end through on_end().
  void write(std::string_view first, std::string_view second = {});
  // While this socket is corked (its read handling), `size` bytes at the end of the loop's cork
  // buffer for the caller to fill at once, in order with every other write: one copy where
  // write() would gather pieces. nullptr when not corked, or when `size` is over the cork
  // buffer's: use write() then.
  char* cork_space(std::size_t size);
  // Bytes written but not yet taken by the kernel (with TLS: ciphertext, plus plaintext that
  // waits for the end of the loop iteration or of the handshake), also those that wait in the
  // loop's arena for the end of the iteration. The corked bytes of a read under way are not
  // counted: they leave when the read's handling ends.
  std::size_t buffered() const {
    return out_.size() + staged_ + (tls_ ? tls_pending_size(*tls_) : 0);
  }
  // The kernel refused bytes: the socket waits to be writable (a slow or stalled peer).
  bool backpressured() const { return watching_writable_; }
  // Writes bytes staged in the loop's arena (a frame shared by many sockets) without copying
  // them again where it can.
  void write_staged(EventLoop::Staged bytes);
  // Sends `length` bytes of `file` (an open regular file, owned from here on) from `offset`,
  // after every byte written before; bytes written meanwhile follow it. Plain TCP uses
  // sendfile(2), so the bytes never pass through user space; TLS reads and encrypts one record
  // at a time. Either way the socket holds at most about one record of the file, sends a bounded
  // share of it per loop iteration (the loop serves everyone else in between), and reads nothing
  // while the file waits for the peer (input would only queue answers behind it). on_file_sent()
  // reports the end. A file that cannot be read to the end ends the connection: the peer was
  // promised `length` bytes.
  void send_file(UniqueFd file, std::uint64_t offset, std::uint64_t length);
  bool sending_file() const { return file_ != nullptr; }
  // True if bytes of the file left since the previous call: a stalled peer takes none.
  bool file_progressed();
  // Sends FIN once every buffered byte is out; reading goes on (half-close).
  void shutdown_write();
  // Closes the descriptor now; unsent bytes are dropped (TLS sends close_notify if it can do so
  // at once). Safe to call more than once.
  void close_fd();

 protected:
  // Takes ownership of `fd` (non-blocking) and registers it with the current thread's loop.
  explicit Socket(int fd);
  // With `tls`, a TLS server connection whose certificates come from `tls` as it is now (the
  // context may be reloaded or destroyed later); with nullptr, plain TCP.
  // Throws std::bad_alloc if OpenSSL cannot create the session.
  Socket(int fd, const TlsContext* tls);
  // A connection this side opened: plain TCP with nullptr, else the client TLS session, whose
  // handshake starts at once (bytes written meanwhile wait for it).
  Socket(int fd, std::unique_ptr<TlsSession> tls);
  ~Socket();

  // Why TLS refused the peer's certificate, or empty (plain TCP, or no such failure).
  std::string tls_verify_error() const;

  // Bytes arrived; they sit in the loop's read buffer (writable in place) until the call returns.
  // The socket is corked for the duration of the call. With TLS: decrypted bytes, possibly in
  // several calls per read, none during the handshake.
  virtual void on_data(std::uint8_t* data, std::size_t size) = 0;
  // The peer ended the connection (FIN, TLS close_notify) or it failed (TLS: a handshake or record
  // error, after the alert went out).
  virtual void on_end() = 0;
  // All buffered bytes were written, after a write had to buffer.
  virtual void on_drained() {}
  // The file of send_file() is out. The socket is corked for the duration of the call.
  virtual void on_file_sent() {}
  // The marks of this socket's flow control, read when its backlog grows or shrinks; by default
  // it is never paused.
  virtual BacklogMarks backlog_marks() const { return {SIZE_MAX, SIZE_MAX}; }
  // Reading stopped (true) or resumed (false) by the flow control; also false at close_fd().
  virtual void on_input_paused(bool) {}

 private:
  friend class EventLoop;
  void on_poll(std::uint32_t events) override;
  void read_once();
  void read_tls();
  void write_buffered();
  void send_now(std::string_view first, std::string_view second);
  void send_raw(std::string_view first, std::string_view second);
  void send_tls(std::string_view first, std::string_view second);
  void send_tls_output();
  void flush_cork(std::string_view bytes);
  void flush_deferred();
  void send_deferred(const std::vector<std::string_view>& pieces);
  bool defers_to_arena() const;
  void defer(EventLoop::Staged bytes);
  void finish_shutdown();
  void watch_writable(bool on);
  void check_backlog();
  void set_backlogged(bool on);
  // The file (socket_file.cpp).
  struct FileSend;
  bool queue_empty() const;
  void pump_file();
  std::size_t send_file_direct(std::size_t budget);
  std::size_t send_file_record();
  void end_file();
  void fail_file();

  int fd_;
  // Bit-fields: every connection holds these, and they fit in the padding after fd_.
  bool watching_writable_ : 1 = false;
  bool shutdown_pending_ : 1 = false;
  bool shut_down_ : 1 = false;
  bool write_failed_ : 1 = false;
  bool flush_pending_ : 1 = false;   // in the loop's list of sockets to flush this iteration
  bool reading_paused_ : 1 = false;  // EPOLLIN is off: a file waits for the peer, or backlogged_
  bool backlogged_ : 1 = false;      // over the high-water mark, and not yet under the low one
  // Bytes in the loop's arena for this socket this iteration (saturating: a count past 16 MiB
  // stays there), so that buffered() counts them too.
  std::uint32_t staged_ : 24 = 0;
  WriteBuffer out_;  // with TLS: ciphertext
  std::unique_ptr<TlsSession> tls_;
  std::unique_ptr<FileSend> file_;  // while send_file() is under way
};

struct Socket::FileSend {
  UniqueFd file;
  std::uint64_t offset;
  std::uint64_t left;
  std::uint64_t left_at_check;  // for file_progressed()
  WriteBuffer after;            // bytes written while the file goes out
};

}  // namespace wisp::net
