// permessage-deflate message compression (RFC 7692 §7.2): raw DEFLATE over zlib, one whole
// message per call, sans-I/O.
//
// Each object holds only its zlib stream; the caller owns the output strings (the server keeps
// per-loop scratch strings), which are cleared and refilled by each call. Memory, as measured by
// memory() (what zlib allocates; each object adds its 120-byte z_stream on the heap, and sizeof
// either class is one pointer), zlib 1.2.13 on x86-64:
//   Deflater, window 15, mem level 8: 262 KiB, zlib's (1 << (window + 2)) + (1 << (mem_level +
//     9)) = 256 KiB plus its 5.8 KiB state; window 9, mem level 1: 8.8 KiB.
//   Inflater: 7 KiB of state, plus the window (1 << window bits: 32 KiB for 15) from the first
//     message on: 39 KiB.
// Neither class is thread-safe; both are movable, not copyable.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace wisp::protocol {

namespace detail {
struct ZStream;  // a z_stream that counts what zlib allocates
}

class Inflater {
 public:
  enum class Result {
    Ok,
    TooBig,   // the message inflates past max_size: close with 1009
    Corrupt,  // not valid DEFLATE data: close with 1002 (RFC 6455 §7.1.7)
  };

  // window_bits 8-15 (else std::invalid_argument): the largest window the peer may deflate with.
  explicit Inflater(int window_bits);
  ~Inflater();
  Inflater(Inflater&&) noexcept;
  Inflater& operator=(Inflater&&) noexcept;

  // Inflates one message's payload (all its frames joined) into `out`, cleared first. Output is
  // produced in growing pieces and stops as soon as it would pass `max_size`: a zip bomb costs
  // at most max_size + 1 bytes of `out`. After TooBig or Corrupt the stream is reset (its
  // context is lost: the connection closes anyway), as after every message with `reset_after`
  // (the peer's no_context_takeover, or an inflater shared by sockets).
  Result inflate(std::string_view compressed, std::string& out, std::size_t max_size,
                 bool reset_after);

  std::size_t memory() const;  // bytes zlib holds for this stream

 private:
  std::optional<Result> feed(std::string_view in, bool tail, std::string& out,
                             std::size_t max_size);
  void restart_keeping_window();

  std::unique_ptr<detail::ZStream> z_;
};

// How a connection must fail after inflating a message (`message`, the output) with `result`:
// 1009 when too big, 1002 when corrupt, 1007 for text that is not UTF-8 (RFC 6455 §8.1, checked
// after inflating); code 0 when the message may be delivered. The same for both roles.
struct InflateVerdict {
  int code = 0;
  std::string_view reason{};
};
InflateVerdict judge_inflated(Inflater::Result result, bool text, std::string_view message);

class Deflater {
 public:
  static constexpr int default_level = -1;  // zlib's Z_DEFAULT_COMPRESSION, level 6

  // window_bits 8-15 and mem_level 1-9 (else std::invalid_argument), level 0-9 or -1.
  Deflater(int window_bits, int mem_level, int level = default_level);
  ~Deflater();
  Deflater(Deflater&&) noexcept;
  Deflater& operator=(Deflater&&) noexcept;

  // Compresses one message into `out` (cleared first), without the final 00 00 ff ff (§7.2.1).
  // `reset_after` starts the next message from an empty window (no_context_takeover, or a
  // deflater shared by sockets).
  void deflate(std::string_view message, std::string& out, bool reset_after);

  std::size_t memory() const;  // bytes zlib holds for this stream

 private:
  void compress(std::string_view message, std::string& out);

  std::unique_ptr<detail::ZStream> z_;
};

}  // namespace wisp::protocol
